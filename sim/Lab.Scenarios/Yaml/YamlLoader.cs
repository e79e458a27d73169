using Lab.Engine;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lab.Scenarios.Yaml;

/// <summary>Loads YAML into <see cref="YNode"/>s with positions; syntax errors become one clear line.</summary>
public static class YamlLoader
{
    public static YMap LoadFile(string path)
    {
        if (!File.Exists(path)) throw new LabInputException($"{path}: no such scenario file");
        return LoadText(File.ReadAllText(path), path);
    }

    public static YMap LoadText(string text, string fileName)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new Parser(scanner));
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
        if (stream.Documents.Count == 0) throw new LabInputException($"{fileName}:1:1: expected a scenario (a YAML mapping), found an empty file");
        var root = Convert(stream.Documents[0].RootNode, fileName);
        if (root is not YMap map)
            throw new LabInputException($"{root.Pos}: expected a scenario (a YAML mapping of keys such as name, run, traffic, path), found {Describe(root)}");
        return map;
    }

    static YNode Convert(YamlNode node, string file)
    {
        var pos = new SourcePos(file, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlScalarNode s:
                return new YScalar(pos, s.Value ?? "", s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted);
            case YamlSequenceNode seq:
            {
                var y = new YSeq(pos);
                foreach (var c in seq.Children) y.Items.Add(Convert(c, file));
                return y;
            }
            case YamlMappingNode map:
            {
                var y = new YMap(pos);
                foreach (var (k, v) in map.Children)
                {
                    if (Convert(k, file) is not YScalar key)
                        throw new LabInputException($"{pos}: expected a plain key, found a complex key");
                    if (y[key.Value] is not null)
                        throw new LabInputException($"{key.Pos}: duplicate key '{key.Value}'");
                    y.Entries.Add((key, Convert(v, file)));
                }
                return y;
            }
            default:
                throw new LabInputException($"{pos}: unsupported YAML node (anchors and aliases are not supported)");
        }
    }

    public static string Describe(YNode n) => n switch
    {
        YScalar s => $"'{s.Value}'",
        YSeq => "a list",
        YMap => "a mapping",
        _ => "something else",
    };
}
