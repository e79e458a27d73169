using System.Globalization;
using Lab.Core;
using Lab.Reports.Figures;

namespace Lab.Reports.Content;

/// <summary>
/// A swept parameter as an x axis: numeric (with a unit) when every value parses as the same kind
/// of quantity ("8Gbit/s", "64B", "20s", "1.2W", "12J", or a plain number), categorical otherwise.
/// Plain powers of two spanning a factor of four or more (replay windows 32, 64, 128, 1024; cores
/// 1, 2, 4, 8) sit on a log2 axis, ticked at the swept values, so that the small ones do not crowd together.
/// </summary>
public sealed class ParameterAxis
{
    ParameterAxis(string name, IReadOnlyList<string> values, double[] positions, HumanUnit unit, bool numeric, bool log2 = false)
    {
        Name = name;
        Values = values;
        Positions = positions;
        Unit = unit;
        Numeric = numeric;
        Log2 = log2;
    }

    /// <summary>Positions are log2 of the values; tick the axis at <see cref="Positions"/> with <see cref="Values"/> as labels.</summary>
    public bool Log2 { get; }

    public string Name { get; }

    /// <summary>Distinct values in first-appearance order.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>The x position of each of <see cref="Values"/>, in display units (or the index when categorical).</summary>
    public double[] Positions { get; }
    public HumanUnit Unit { get; }
    public bool Numeric { get; }

    public string Label => Log2 ? Name + " (log2 scale)" : Display.WithUnit(Name, Numeric ? Unit : new HumanUnit("", 1));

    public double Position(string value)
    {
        for (int i = 0; i < Values.Count; i++) if (Values[i] == value) return Positions[i];
        throw new ArgumentException($"'{value}' is not a value of {Name}", nameof(value));
    }

    public int IndexOf(string value)
    {
        for (int i = 0; i < Values.Count; i++) if (Values[i] == value) return i;
        return -1;
    }

    delegate bool Parser(string text, out double value);

    static readonly (string Unit, Parser Parse)[] Kinds =
    [
        ("", (string t, out double v) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v)),
        ("bit/s", (string t, out double v) => Units.TryParseBitRate(t, out v, out _)),
        ("pps", (string t, out double v) => Units.TryParsePacketRate(t, out v, out _)),
        ("B", (string t, out double v) => { bool ok = Units.TryParseBytes(t, out long b, out _); v = b; return ok; }),
        ("s", (string t, out double v) => { bool ok = SimTime.TryParse(t, out long ps, out _); v = SimTime.ToSeconds(ps); return ok; }),
        ("mW", (string t, out double v) => Units.TryParsePower(t, out v, out _)),
        ("mJ", (string t, out double v) => Units.TryParseEnergy(t, out v, out _)),
    ];

    /// <summary>Three or more positive integer powers of two whose largest is at least four times the smallest.</summary>
    static bool PowersOfTwo(double[] raw)
    {
        if (raw.Length < 3) return false;
        foreach (var r in raw)
            if (r < 1 || r > 1L << 52 || r != Math.Floor(r) || !long.IsPow2((long)r)) return false;
        return raw.Max() / raw.Min() >= 4;
    }

    public static ParameterAxis For(string name, IEnumerable<string> values)
    {
        var distinct = new List<string>();
        foreach (var v in values) if (!distinct.Contains(v)) distinct.Add(v);
        foreach (var (unit, parse) in Kinds)
        {
            var raw = new double[distinct.Count];
            bool all = true;
            for (int i = 0; i < raw.Length && all; i++) all = parse(distinct[i], out raw[i]) && double.IsFinite(raw[i]);
            if (!all) continue;
            if (unit.Length == 0 && PowersOfTwo(raw))
            {
                var log = new double[raw.Length];
                for (int i = 0; i < raw.Length; i++) log[i] = Math.Log2(raw[i]);
                return new ParameterAxis(name, distinct, log, new HumanUnit("", 1), numeric: true, log2: true);
            }
            double max = 0;
            foreach (var r in raw) max = Math.Max(max, Math.Abs(r));
            var human = HumanUnit.For(unit, max);
            var positions = new double[raw.Length];
            for (int i = 0; i < raw.Length; i++) positions[i] = human.Apply(raw[i]);
            return new ParameterAxis(name, distinct, positions, human, numeric: true);
        }
        var index = new double[distinct.Count];
        for (int i = 0; i < index.Length; i++) index[i] = i;
        return new ParameterAxis(name, distinct, index, new HumanUnit("", 1), numeric: false);
    }
}
