namespace OldRuntime
{
    internal static class Program
    {
        private static int Main()
        {
            System.Console.WriteLine("hello from .NET " + System.Environment.Version);
            return 0;
        }
    }
}
