using System.Globalization;

namespace Lab.Core;

/// <summary>Parses a scalar's text into a value, or says what was expected (without the key: the reader adds it).</summary>
public delegate bool ParameterParser<T>(string text, out T value, out string problem);

/// <summary>
/// One scenario key of a model, declared once and typed (<see cref="Parameter{T}"/>): its unit,
/// default, valid range, source and meaning. The declaration is what <c>lab describe</c> and the
/// README tables print (<see cref="Spec"/>) and what the scenario reader reads and checks the value
/// against, so the default and the range cannot disagree between the two.
/// </summary>
public abstract class Parameter
{
    private protected Parameter(string key, string unit, string source, string description)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Key = key;
        Unit = unit;
        Source = source;
        Description = description;
    }

    /// <summary>The key, dotted under a nested mapping (<c>snat.ports</c>).</summary>
    public string Key { get; }

    public string Unit { get; }

    /// <summary>Where the default comes from: RFC section, kernel file and function, paper, or "assumption".</summary>
    public string Source { get; }

    public string Description { get; }

    /// <summary>The default as described: a value one could write, or what it follows ("(every)").</summary>
    public abstract string DefaultText { get; }

    public abstract string RangeText { get; }

    /// <summary>What a value looks like, for "missing key" and "found a mapping" problems: "an integer".</summary>
    public abstract string Expected { get; }

    /// <summary>The row <c>lab describe</c> and the README tables show.</summary>
    public ParameterSpec Spec => new(Key, Unit, DefaultText, RangeText, Source, Description);

    /// <summary>The same parameter under another key (a model's <c>cost.x</c> as an element's <c>costs.x</c>).</summary>
    public abstract Parameter WithKey(string key);

    public override string ToString() => Key;

    // ---- Factories: the kinds of value scenarios write, with the lab's units and messages.

    public static Parameter<string> Text(string key, string defaultValue, string source, string description, string unit = "string", string range = "") =>
        new(key, unit, source, description, defaultValue, defaultValue, range, "a string",
            (string t, out string v, out string p) => { v = t; p = ""; return true; }, null);

    public static Parameter<long> Integer(string key, long defaultValue, long min, long max, string source, string description,
        string unit = "integer", string? rangeNote = null)
    {
        string range = (max == long.MaxValue ? $"{min}.." : $"{min}..{max}") + (rangeNote is null ? "" : " " + rangeNote);
        return new(key, unit, source, description, defaultValue, Inv(defaultValue), range, "an integer",
            ParseInteger, (v, _) => v < min || v > max ? $"expected an integer from {min} to {(max == long.MaxValue ? "any" : Inv(max))}, found {Inv(v)}" : null);
    }

    public static Parameter<double> Number(string key, double defaultValue, double min, double max, string source, string description, string unit = "number") =>
        new(key, unit, source, description, defaultValue, Inv(defaultValue), $"{Inv(min)}..{Inv(max)}", "a number",
            (string t, out double v, out string p) =>
            {
                bool ok = double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v);
                p = ok ? "" : $"expected a number, found '{t}'";
                return ok;
            },
            (v, t) => v < min || v > max ? $"expected a number from {Inv(min)} to {Inv(max)}, found {t}" : null);

    public static Parameter<bool> Boolean(string key, bool defaultValue, string source, string description, string unit = "boolean") =>
        new(key, unit, source, description, defaultValue, defaultValue ? "true" : "false", "true|false", "true or false",
            (string t, out bool v, out string p) =>
            {
                v = t is "true" or "yes" or "on";
                bool ok = v || t is "false" or "no" or "off";
                p = ok ? "" : $"expected true or false, found '{t}'";
                return ok;
            }, null);

    /// <summary>A duration in picoseconds, at least <paramref name="min"/> (above 0 when <paramref name="positive"/>) and at most <paramref name="max"/>.</summary>
    public static Parameter<long> Duration(string key, long defaultValue, string source, string description,
        bool positive = false, long min = 0, long max = long.MaxValue, string unit = "duration")
    {
        string range = positive && max == long.MaxValue ? "> 0"
            : min == 0 && max == long.MaxValue ? ">= 0"
            : max == long.MaxValue ? ">= " + FormatDuration(min)
            : $"{(min == 0 ? "0" : FormatDuration(min))}..{FormatDuration(max)}";
        return new(key, unit, source, description, defaultValue, FormatDuration(defaultValue), range, "a duration with a unit, such as 10ms",
            SimTime.TryParse,
            (v, t) => v < 0 || (positive && v == 0) ? $"expected a {(positive ? "positive" : "non-negative")} duration, found '{t}'"
                : v < min || v > max ? $"expected a duration from {FormatDuration(min)} to {FormatDuration(max)}, found '{t}'"
                : null);
    }

    /// <summary>A bit rate in bit/s, above 0, from <paramref name="min"/> to <paramref name="max"/> when given.</summary>
    public static Parameter<double> BitRate(string key, double defaultValue, string source, string description,
        double min = 0, double max = double.PositiveInfinity, string unit = "bit/s")
    {
        string range = min == 0 && double.IsPositiveInfinity(max) ? "> 0"
            : double.IsPositiveInfinity(max) ? ">= " + FormatRate(min)
            : $"{FormatRate(min)}..{FormatRate(max)}";
        return new(key, unit, source, description, defaultValue, FormatRate(defaultValue), range, "a bit rate with a unit, such as 10Gbit/s",
            Units.TryParseBitRate,
            (v, t) => v <= 0 ? $"expected a positive bit rate, found '{t}'"
                : v < min || v > max ? $"expected a bit rate from {FormatRate(min)} to {FormatRate(max)}, found '{t}'"
                : null);
    }

    /// <summary>A size in bytes, from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Parameter<long> Size(string key, long defaultValue, string source, string description,
        long min = 0, long max = long.MaxValue, string unit = "size", string? rangeNote = null)
    {
        string range = (max == long.MaxValue ? $">= {FormatBytes(min)}" : $"{FormatBytes(min)}..{FormatBytes(max)}") + (rangeNote is null ? "" : " " + rangeNote);
        return new(key, unit, source, description, defaultValue, FormatBytes(defaultValue), range, "a size with a unit, such as 64B",
            Units.TryParseBytes,
            (v, t) => v < min ? $"expected at least {min}B, found '{t}'"
                : v > max ? $"expected at most {max}B, found {v}B"
                : null);
    }

    /// <summary>One of a list of names, each standing for a value (an enumeration member, a flag).</summary>
    public static Parameter<T> Choice<T>(string key, T defaultValue, string source, string description, params (string Name, T Value)[] choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        var names = choices.Select(c => c.Name).ToArray();
        string list = string.Join("|", names);
        string defaultName = choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, defaultValue)).Name;
        return new(key, list, source, description, defaultValue, defaultName, list, "one of " + string.Join(", ", names),
            (string t, out T v, out string p) =>
            {
                int i = Array.IndexOf(names, t);
                v = i >= 0 ? choices[i].Value : defaultValue;
                p = i >= 0 ? "" : $"expected one of {string.Join(", ", names)}, found '{t}'";
                return i >= 0;
            }, null) { Choices = names };
    }

    /// <summary>One of a list of names, read as the name itself.</summary>
    public static Parameter<string> Choice(string key, string defaultValue, string source, string description, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return Choice(key, defaultValue, source, description, names.Select(n => (n, n)).ToArray());
    }

    /// <summary>A key read as a whole node: a mapping of further keys (<c>snat</c>, whose keys are declared as <c>snat.*</c>) or a list.</summary>
    public static SectionParameter Section(string key, string defaultText, string source, string description, string unit = "mapping", string range = "") =>
        new(key, unit, defaultText, range, source, description);

    static bool ParseInteger(string text, out long value, out string problem)
    {
        string t = text.Replace("_", "", StringComparison.Ordinal);
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(t[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value)
            : long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
        problem = ok ? "" : $"expected an integer, found '{text}'";
        return ok;
    }

    private protected static string Inv(long v) => v.ToString(CultureInfo.InvariantCulture);

    private protected static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>"10ms", and 0 as "0s" (SimTime.Format would say "0ps").</summary>
    public static string FormatDuration(long ps) => ps == 0 ? "0s" : SimTime.Format(ps);

    /// <summary>"10Gbit/s": a rate as a scenario writes it (no space, the largest prefix that keeps it whole).</summary>
    public static string FormatRate(double bps)
    {
        foreach (var (scale, unit) in new[] { (1e12, "Tbit/s"), (1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s") })
        {
            if (Math.Abs(bps) >= scale) return Inv(bps / scale) + unit;
        }
        return Inv(bps) + "bit/s";
    }

    /// <summary>"1518B", "8GiB", "10MiB": a size as a scenario writes it (binary prefixes only for whole multiples).</summary>
    public static string FormatBytes(long bytes)
    {
        foreach (var (scale, unit) in new[] { (1L << 30, "GiB"), (1L << 20, "MiB"), (1L << 10, "KiB") })
        {
            if (bytes != 0 && bytes % scale == 0) return Inv(bytes / scale) + unit;
        }
        return Inv(bytes) + "B";
    }
}

/// <summary>A typed parameter: reading it gives a <typeparamref name="T"/> that passed the declared range.</summary>
public sealed class Parameter<T> : Parameter
{
    readonly ParameterParser<T> _parse;
    readonly Func<T, string, string?>? _check;
    readonly T _default;
    string _defaultText;
    readonly string _range;
    readonly string _expected;

    internal Parameter(string key, string unit, string source, string description, T defaultValue, string defaultText, string range,
        string expected, ParameterParser<T> parse, Func<T, string, string?>? check)
        : base(key, unit, source, description)
    {
        _default = defaultValue;
        _defaultText = defaultText;
        _range = range;
        _expected = expected;
        _parse = parse;
        _check = check;
    }

    /// <summary>The declared default; a parameter whose default follows other keys (<see cref="Derived"/>) has none.</summary>
    public T Default => HasDefault ? _default : throw new InvalidOperationException($"{Key}: its default is {_defaultText}, computed when the element is bound");

    public bool HasDefault { get; private init; } = true;

    /// <summary>The names a choice takes, or null.</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    public override string DefaultText => _defaultText;

    public override string RangeText => _range;

    public override string Expected => _expected;

    /// <summary>
    /// The same parameter whose default is computed where it is bound (from other keys or the kernel's
    /// choice); <paramref name="described"/> says from what, e.g. "(every)".
    /// </summary>
    public Parameter<T> Derived(string described) => Copy(Key, described, hasDefault: false);

    /// <summary>The same parameter with its default shown as <paramref name="described"/> (a text default that is not a literal).</summary>
    public Parameter<T> DescribedDefault(string described) => Copy(Key, described, HasDefault);

    public override Parameter<T> WithKey(string key) => Copy(key, _defaultText, HasDefault);

    /// <summary>The same parameter described in another unit (a choice of numbers: "1/s").</summary>
    public Parameter<T> InUnit(string unit) => Copy(Key, _defaultText, HasDefault, unit);

    Parameter<T> Copy(string key, string defaultText, bool hasDefault, string? unit = null) =>
        new(key, unit ?? Unit, Source, Description, _default, defaultText, _range, _expected, _parse, _check) { HasDefault = hasDefault, Choices = Choices };

    /// <summary>Parses and range-checks a scalar's text; <paramref name="problem"/> says what was expected and found.</summary>
    public bool TryParse(string text, out T value, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!_parse(text, out value, out problem)) return false;
        if (_check?.Invoke(value, text) is { } p)
        {
            problem = p;
            return false;
        }
        return true;
    }
}

/// <summary>A key that holds a mapping of further keys (declared under KEY.*); reading it opens the mapping.</summary>
public sealed class SectionParameter : Parameter
{
    readonly string _default;

    readonly string _range;

    internal SectionParameter(string key, string unit, string defaultText, string range, string source, string description) : base(key, unit, source, description)
    {
        _default = defaultText;
        _range = range;
    }

    public override string DefaultText => _default;

    public override string RangeText => _range;

    public override string Expected => Unit == "mapping" ? "a mapping" : "a " + Unit;

    public override SectionParameter WithKey(string key) => new(key, Unit, _default, _range, Source, Description);
}
