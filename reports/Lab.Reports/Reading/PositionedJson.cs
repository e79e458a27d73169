using System.Globalization;
using System.Text;
using System.Text.Json;
using Lab.Core;

namespace Lab.Reports.Reading;

public enum JsonKind { Object, Array, String, Number, True, False, Null }

/// <summary>
/// A JSON value that remembers where it starts, so that a summary with the wrong shape gets an
/// error naming file:line:column (System.Text.Json's DOM forgets positions after parsing).
/// </summary>
public sealed class JsonValue
{
    readonly PositionedJson doc;

    internal JsonValue(PositionedJson doc, JsonKind kind, long offset)
    {
        this.doc = doc;
        Kind = kind;
        Offset = offset;
    }

    public JsonKind Kind { get; }
    public long Offset { get; }
    internal string? Text { get; set; }
    internal double Number { get; set; }
    internal List<KeyValuePair<string, JsonValue>>? Members { get; set; }
    internal List<JsonValue>? Items { get; set; }

    public string Where => doc.Where(Offset);

    public LabInputException Error(string expected) => new($"{Where}: expected {expected}, found {Describe()}");

    string Describe() => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => $"the string \"{Text}\"",
        JsonKind.Number => $"the number {Number.ToString("R", CultureInfo.InvariantCulture)}",
        JsonKind.Null => "null",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    public IReadOnlyList<KeyValuePair<string, JsonValue>> AsObject(string what) =>
        Kind == JsonKind.Object ? Members! : throw Error($"{what} as an object");

    public IReadOnlyList<JsonValue> AsArray(string what) => Kind == JsonKind.Array ? Items! : throw Error($"{what} as an array");

    public string AsString(string what) => Kind == JsonKind.String ? Text! : throw Error($"{what} as a string");

    /// <summary>A number; also accepts null and the strings "NaN"/"Infinity" that .NET writers emit for non-finite values.</summary>
    public double AsDouble(string what) => Kind switch
    {
        JsonKind.Number => Number,
        JsonKind.Null => double.NaN,
        JsonKind.String when Text is "NaN" => double.NaN,
        JsonKind.String when Text is "Infinity" => double.PositiveInfinity,
        JsonKind.String when Text is "-Infinity" => double.NegativeInfinity,
        _ => throw Error($"{what} as a number"),
    };

    public long AsInteger(string what)
    {
        double v = Kind == JsonKind.Number ? Number : throw Error($"{what} as an integer");
        return v == Math.Floor(v) && Math.Abs(v) < 9e15 ? (long)v : throw Error($"{what} as an integer");
    }

    public JsonValue? Optional(string key)
    {
        if (Kind != JsonKind.Object) return null;
        foreach (var m in Members!) if (m.Key == key) return m.Value;
        return null;
    }

    public JsonValue Required(string key, string what)
    {
        if (Kind != JsonKind.Object) throw Error($"{what} as an object");
        return Optional(key) ?? throw new LabInputException($"{Where}: {what} has no \"{key}\"");
    }
}

/// <summary>Parses a JSON file into <see cref="JsonValue"/>s with Utf8JsonReader, keeping byte offsets.</summary>
public sealed class PositionedJson
{
    readonly string file;
    readonly byte[] bytes;

    PositionedJson(string file, byte[] bytes)
    {
        this.file = file;
        this.bytes = bytes;
    }

    public static JsonValue Parse(string file, byte[] bytes)
    {
        var doc = new PositionedJson(file, bytes);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read()) throw new LabInputException($"{file}:1:1: expected a JSON object, found an empty file");
            var root = doc.ReadValue(ref reader);
            if (reader.Read()) throw new LabInputException($"{doc.Where(reader.TokenStartIndex)}: expected the end of the file after the top-level value");
            return root;
        }
        catch (JsonException ex)
        {
            // LineNumber and BytePositionInLine are zero-based.
            long line = (ex.LineNumber ?? 0) + 1;
            long column = (ex.BytePositionInLine ?? 0) + 1;
            string message = ex.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            throw new LabInputException($"{file}:{line}:{column}: malformed JSON: {message}");
        }
    }

    JsonValue ReadValue(ref Utf8JsonReader reader)
    {
        long start = reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var members = new List<KeyValuePair<string, JsonValue>>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string key = reader.GetString()!;
                    long keyAt = reader.TokenStartIndex;
                    foreach (var m in members)
                        if (m.Key == key) throw new LabInputException($"{Where(keyAt)}: duplicate key \"{key}\"");
                    reader.Read();
                    members.Add(new(key, ReadValue(ref reader)));
                }
                return new JsonValue(this, JsonKind.Object, start) { Members = members };
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<JsonValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadValue(ref reader));
                return new JsonValue(this, JsonKind.Array, start) { Items = items };
            }
            case JsonTokenType.String:
                return new JsonValue(this, JsonKind.String, start) { Text = reader.GetString() };
            case JsonTokenType.Number:
                return new JsonValue(this, JsonKind.Number, start) { Number = reader.GetDouble() };
            case JsonTokenType.True:
                return new JsonValue(this, JsonKind.True, start);
            case JsonTokenType.False:
                return new JsonValue(this, JsonKind.False, start);
            default:
                return new JsonValue(this, JsonKind.Null, start);
        }
    }

    /// <summary>"file:line:column" (1-based, column counted in characters) of a byte offset.</summary>
    internal string Where(long offset)
    {
        int line = 1;
        long lineStart = 0;
        for (long i = 0; i < offset && i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        int column = Encoding.UTF8.GetCharCount(bytes, (int)lineStart, (int)(Math.Min(offset, bytes.Length) - lineStart)) + 1;
        return $"{file}:{line}:{column}";
    }
}
