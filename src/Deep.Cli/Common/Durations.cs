using System.Globalization;

namespace Deep.Cli.Common;

/// <summary>Durations as people write them on a command line: <c>7d</c>, <c>12h</c>, <c>30m</c>, <c>90s</c>, <c>500ms</c>, <c>2w</c>.</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string optionName)
    {
        var t = text.Trim();
        var split = 0;
        while (split < t.Length && char.IsAsciiDigit(t[split])) split++;
        if (split == 0 || !long.TryParse(t.AsSpan(0, split), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new CliException(ExitCodes.Usage, $"{optionName} '{text}' is not a duration: write a positive number and a unit, e.g. 7d, 12h, 30m, 90s");
        return t[split..] switch
        {
            "w" => TimeSpan.FromDays(7 * n),
            "d" => TimeSpan.FromDays(n),
            "h" => TimeSpan.FromHours(n),
            "m" => TimeSpan.FromMinutes(n),
            "s" => TimeSpan.FromSeconds(n),
            "ms" => TimeSpan.FromMilliseconds(n),
            var unit => throw new CliException(ExitCodes.Usage, $"{optionName} '{text}': unknown unit '{unit}'; use w, d, h, m, s or ms"),
        };
    }
}
