using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Lab.Core;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Lab.Scenarios.Yaml;

/// <summary>
/// Loads YAML into <see cref="YNode"/>s with positions; syntax errors become one clear line.
/// It builds the tree from the parser's events with its own stack (no recursion, so depth is
/// a checked limit rather than a stack overflow), expands aliases into copies while counting
/// the nodes they add, and reads at most <see cref="YamlLimits.MaxFileBytes"/> bytes of strict
/// UTF-8.
/// </summary>
public static class YamlLoader
{
    static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    public static YMap LoadFile(string path, YamlLimits? limits = null) => LoadFile(path, quoteContent: true, limits);

    /// <param name="quoteContent">False for a file that is not yet known to be a scenario (an
    /// <c>extends</c> base): then no message repeats the file's text, only positions.</param>
    public static YMap LoadFile(string path, bool quoteContent, YamlLimits? limits = null)
    {
        limits ??= YamlLimits.Default;
        if (Directory.Exists(path)) throw new LabInputException($"{path}: expected a scenario file, found a directory");
        if (!File.Exists(path)) throw new LabInputException($"{path}: no such scenario file");
        byte[] bytes = ReadAtMost(path, limits.MaxFileBytes);
        return LoadText(Decode(bytes, path), path, limits, quoteContent);
    }

    public static YMap LoadText(string text, string fileName, YamlLimits? limits = null, bool quoteContent = true)
    {
        limits ??= YamlLimits.Default;
        if (text.Length > limits.MaxFileBytes)
            throw new LabInputException($"{fileName}:1:1: expected a scenario of at most {limits.MaxFileBytes} bytes, found {text.Length} characters");
        var scanner = new Scanner(new StringReader(text));
        try
        {
            return new TreeBuilder(new Parser(scanner), fileName, limits, quoteContent).Build();
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner sometimes fails without a mark (an unclosed flow mapping);
            // where it stopped is the best position there is.
            var at = scanner.CurrentPosition;
            throw new LabInputException($"{fileName}:{at.Line}:{at.Column}: YAML syntax error: the document ends or breaks off here ({ex.Message.TrimEnd('.')}); look for an unclosed {{ or [ above");
        }
        catch (YamlException ex)
        {
            string what = ex.InnerException?.Message ?? ex.Message;
            // YamlDotNet prefixes its message with the mark; keep only the explanation.
            int idx = what.IndexOf("): ", StringComparison.Ordinal);
            if (what.StartsWith("(Line", StringComparison.Ordinal) && idx > 0) what = what[(idx + 3)..];
            throw new LabInputException($"{fileName}:{ex.Start.Line}:{ex.Start.Column}: YAML syntax error: {what}");
        }
    }

    /// <summary>Reads up to <paramref name="max"/> bytes; a longer file (or an endless device) is refused without reading on.</summary>
    static byte[] ReadAtMost(string path, long max)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LabInputException($"{path}: no such scenario file");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new LabInputException($"{path}: cannot read the scenario file: {e.Message}");
        }
        using (fs)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            while (true)
            {
                int n = fs.Read(chunk, 0, (int)Math.Min(chunk.Length, max + 1 - buffer.Length));
                if (n <= 0) break;
                buffer.Write(chunk, 0, n);
                if (buffer.Length > max)
                    throw new LabInputException(string.Create(CultureInfo.InvariantCulture,
                        $"{path}:1:1: expected a scenario file of at most {max} bytes{(max >= 1 << 20 ? $" ({max >> 20} MiB)" : "")}, found a longer one"));
            }
            return buffer.ToArray();
        }
    }

    /// <summary>Strict UTF-8 (a leading BOM is skipped): the first invalid byte is an error at its line and column.</summary>
    static string Decode(byte[] bytes, string file)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith(Utf8Bom)) span = span[Utf8Bom.Length..];
        var chars = new char[span.Length];
        var status = Utf8.ToUtf16(span, chars, out int read, out int written, replaceInvalidSequences: false);
        if (status == OperationStatus.Done) return new string(chars, 0, written);
        var before = span[..read];
        int line = before.Count((byte)'\n') + 1;
        int column = Encoding.UTF8.GetCharCount(before[(before.LastIndexOf((byte)'\n') + 1)..]) + 1;
        throw new LabInputException(string.Create(CultureInfo.InvariantCulture,
            $"{file}:{line}:{column}: expected UTF-8 text, found the byte 0x{span[read]:x2}, which is not valid UTF-8 here"));
    }

    public static string Describe(YNode n) => n switch
    {
        YScalar s => $"'{s.Value}'",
        YSeq => "a list",
        YMap => "a mapping",
        _ => "something else",
    };

    /// <summary>Turns the parser's events into one document's tree, within the limits.</summary>
    sealed class TreeBuilder(IParser parser, string file, YamlLimits limits, bool quoteContent)
    {
        sealed class Open(YNode node, string? anchor, long nodesBefore)
        {
            public YNode Node { get; } = node;
            public string? Anchor { get; } = anchor;
            public long NodesBefore { get; } = nodesBefore;
            public YScalar? PendingKey { get; set; }
        }

        readonly Stack<Open> _open = new();
        readonly Dictionary<string, (YNode Node, long Size)> _anchors = new(StringComparer.Ordinal);
        long _nodes;
        YNode? _root;

        public YMap Build()
        {
            while (_root is null && parser.MoveNext())
            {
                var ev = parser.Current!;
                switch (ev)
                {
                    case Scalar s:
                    {
                        var pos = Pos(s.Start);
                        Count(pos);
                        var node = new YScalar(pos, s.Value ?? "", s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted);
                        if (!s.Anchor.IsEmpty) _anchors[s.Anchor.Value] = (node, 1);
                        Attach(node);
                        break;
                    }
                    case SequenceStart q:
                        Push(new YSeq(Pos(q.Start)), q.Anchor);
                        break;
                    case MappingStart m:
                        Push(new YMap(Pos(m.Start)), m.Anchor);
                        break;
                    case SequenceEnd or MappingEnd:
                    {
                        var done = _open.Pop();
                        if (done.Anchor is not null) _anchors[done.Anchor] = (done.Node, _nodes - done.NodesBefore);
                        Attach(done.Node);
                        break;
                    }
                    case AnchorAlias a:
                    {
                        var pos = Pos(a.Start);
                        if (!_anchors.TryGetValue(a.Value.Value, out var target))
                            throw Problem(pos, quoteContent ? $"alias '*{a.Value.Value}' refers to no anchor defined above it" : "an alias refers to no anchor defined above it");
                        // A copy per use, so that --set or a sweep changing one use leaves the others alone.
                        _nodes += target.Size;
                        CheckNodeCount(pos);
                        Attach(target.Node.Clone());
                        break;
                    }
                    case StreamEnd:
                        throw Problem(new SourcePos(file, 1, 1), "expected a scenario (a YAML mapping), found an empty file");
                }
            }
            if (_root is null) throw Problem(new SourcePos(file, 1, 1), "expected a scenario (a YAML mapping), found an empty file");
            if (_root is not YMap map)
                throw Problem(_root.Pos, "expected a scenario (a YAML mapping of keys such as name, run, traffic, path), found " +
                    (quoteContent || _root is not YScalar ? Describe(_root) : "a single value"));
            return map;
        }

        SourcePos Pos(Mark m) => new(file, (int)m.Line, (int)m.Column);

        void Count(SourcePos pos)
        {
            _nodes++;
            CheckNodeCount(pos);
        }

        void CheckNodeCount(SourcePos pos)
        {
            if (_nodes > limits.MaxNodes)
                throw Problem(pos, string.Create(CultureInfo.InvariantCulture,
                    $"expected at most {limits.MaxNodes} YAML nodes with every alias expanded, found more by here (an alias that repeats a large part, such as a \"billion laughs\" bomb, or a file too large to simulate)"));
        }

        void Push(YNode node, AnchorName anchor)
        {
            Count(node.Pos);
            if (_open.Count >= limits.MaxDepth)
                throw Problem(node.Pos, $"expected mappings and lists nested at most {limits.MaxDepth} deep, found deeper nesting here");
            _open.Push(new Open(node, anchor.IsEmpty ? null : anchor.Value, _nodes - 1));
        }

        void Attach(YNode node)
        {
            if (_open.Count == 0)
            {
                _root = node;
                return;
            }
            var parent = _open.Peek();
            if (parent.Node is YSeq seq)
            {
                seq.Items.Add(node);
                return;
            }
            var map = (YMap)parent.Node;
            if (parent.PendingKey is null)
            {
                if (node is not YScalar key) throw Problem(node.Pos, $"expected a plain key, found {Describe(node)} as a key");
                if (map.KeyNode(key.Value) is { } first)
                    throw Problem(key.Pos, quoteContent
                        ? $"duplicate key '{key.Value}' (first at line {first.Pos.Line}, column {first.Pos.Column}); each key may appear once in a mapping"
                        : $"duplicate key (the same key as at line {first.Pos.Line}, column {first.Pos.Column})");
                parent.PendingKey = key;
                return;
            }
            map.TryAdd(parent.PendingKey, node);
            parent.PendingKey = null;
        }

        static LabInputException Problem(SourcePos pos, string what) => new($"{pos}: {what}");
    }
}
