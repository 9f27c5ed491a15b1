using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Deep.Agent.ExceptionReplay;

/// <summary>
/// ASP.NET Core tells when an exception left the application for the host or the exception-handling middleware
/// (DiagnosticSource events <c>Microsoft.AspNetCore.Hosting.UnhandledException</c>,
/// <c>Microsoft.AspNetCore.Diagnostics.UnhandledException</c> / <c>HandledException</c>). That covers what the
/// first-chance detector cannot see: a synchronous endpoint whose exception is caught by Kestrel's own <c>catch</c>
/// and never raised again. Only those names are enabled, so the hosting layer starts no activity and writes no other
/// event because of this subscription.
/// </summary>
internal sealed class AspNetCoreEscapes : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private const string Hosting = "Microsoft.AspNetCore.Hosting.UnhandledException";
    private const string Unhandled = "Microsoft.AspNetCore.Diagnostics.UnhandledException";
    private const string Handled = "Microsoft.AspNetCore.Diagnostics.HandledException";

    private readonly Action<Exception> _escaped;
    private readonly IDisposable _all;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly ConcurrentDictionary<Type, PropertyInfo?> _exceptionProperty = new();

    public AspNetCoreEscapes(Action<Exception> escaped)
    {
        _escaped = escaped;
        _all = DiagnosticListener.AllListeners.Subscribe(this);
    }

    private static bool IsEnabled(string name) => name is Hosting or Unhandled or Handled;

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        try
        {
            if (listener.Name != "Microsoft.AspNetCore") return;
            var subscription = listener.Subscribe(this, IsEnabled);
            lock (_subscriptions) _subscriptions.Add(subscription);
        }
        catch
        {
            // never fail the application's listener creation
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        try
        {
            if (!IsEnabled(value.Key) || value.Value is not { } payload) return;
            var property = _exceptionProperty.GetOrAdd(payload.GetType(), static t =>
                t.GetProperty("exception", BindingFlags.Instance | BindingFlags.Public | BindingFlags.IgnoreCase));
            if (property?.GetValue(payload) is Exception exception) _escaped(exception);
        }
        catch
        {
            // nothing reaches the application
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _all.Dispose();
        lock (_subscriptions)
        {
            foreach (var subscription in _subscriptions) subscription.Dispose();
            _subscriptions.Clear();
        }
    }
}
