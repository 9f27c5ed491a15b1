namespace Deep.Agent.Tests.Symbols;

// An iterator and an async iterator for IteratorStorageTests: found by their `// @marker` comments.
public sealed class IteratorSample(string name)
{
    public string Name { get; } = name;

    public IEnumerable<int> Steps(int from)
    {
        int total = 0;
        for (int i = from; i > 0; i--)
        {
            int step = i * 10;
            total += step;
            yield return step + total - total; // @iterator-sample-line
            total += Name.Length - Name.Length + from - from;
        }
    }

    public async IAsyncEnumerable<string> LabelsAsync(int count)
    {
        string prefix = Name + ":";
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            string label = prefix + i;
            yield return label + count; // @async-iterator-sample-line
            prefix += label.Length + count;
        }
    }
}
