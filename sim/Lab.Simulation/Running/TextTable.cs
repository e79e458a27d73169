using System.Text;

namespace Lab.Simulation.Running;

/// <summary>A plain aligned text table: text columns left, numeric columns right.</summary>
public sealed class TextTable(params string[] columns)
{
    readonly List<string[]> _rows = [];
    readonly bool[] _right = new bool[columns.Length];

    public TextTable RightAlign(params int[] indices)
    {
        foreach (int i in indices) _right[i] = true;
        return this;
    }

    public void Add(params string[] cells) => _rows.Add(cells);

    public int Count => _rows.Count;

    public override string ToString()
    {
        var widths = new int[columns.Length];
        for (int i = 0; i < columns.Length; i++)
        {
            widths[i] = columns[i].Length;
            foreach (var r in _rows) widths[i] = Math.Max(widths[i], r[i].Length);
        }
        var sb = new StringBuilder();
        Line(sb, columns, widths);
        sb.Append(string.Join("  ", widths.Select(w => new string('-', w)))).Append('\n');
        foreach (var r in _rows) Line(sb, r, widths);
        return sb.ToString();
    }

    void Line(StringBuilder sb, string[] cells, int[] widths)
    {
        var parts = new string[cells.Length];
        for (int i = 0; i < cells.Length; i++) parts[i] = _right[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]);
        sb.Append(string.Join("  ", parts).TrimEnd()).Append('\n');
    }
}
