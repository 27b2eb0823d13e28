namespace DevK8s.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static string Ms(double v) => v < 10 ? $"{v:0.0} ms" : $"{v:0} ms";

    public static string Bytes(long b) => b switch
    {
        < 10_000 => $"{b} B",
        < 10_000_000 => $"{b / 1024.0:0.#} KiB",
        _ => $"{b / 1048576.0:0.#} MiB",
    };
}
