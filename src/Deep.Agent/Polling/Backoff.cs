namespace Deep.Agent.Polling;

/// <summary>Exponential backoff with jitter: base·2^n capped, then a random ±50%, so many agents do not retry in step.</summary>
internal sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private int _failures;

    public Backoff(TimeSpan initial, TimeSpan max)
    {
        _initial = initial;
        _max = max;
    }

    public int Failures => _failures;

    /// <summary>Records a failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures, 20);
        _failures++;
        var ms = Math.Min(_initial.TotalMilliseconds * Math.Pow(2, exponent), _max.TotalMilliseconds);
        var jittered = ms * (0.5 + Random.Shared.NextDouble()); // [0.5, 1.5) of the nominal delay
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _max.TotalMilliseconds));
    }

    public void Reset() => _failures = 0;
}
