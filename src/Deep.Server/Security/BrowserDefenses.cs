using System.Net;
using Microsoft.AspNetCore.Http;

namespace Deep.Server.Security;

/// <summary>
/// What keeps a web page the developer happens to visit from using the HTTP port of a server it can reach (the
/// loopback default has no key): the Host check against DNS rebinding, the same-origin and JSON checks against
/// cross-site requests that change state, and the security headers sent with every answer (the UI included).
/// </summary>
internal sealed class BrowserDefenses(bool loopbackOnly)
{
    /// <summary>Scripts, styles and connections from this server only; never framed; no plug-ins; no base-URL games.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>Whether <paramref name="listen"/> (as in <see cref="DeepServerOptions.Listen"/>) binds loopback only.</summary>
    public static bool IsLoopback(string listen) =>
        listen == "localhost" || (IPAddress.TryParse(listen, out var address) && IPAddress.IsLoopback(address));

    public static void AddSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }

    /// <summary>
    /// Null when the request is addressed to this server by a name it may be reached by, else why not. A server on
    /// loopback answers only loopback names: a foreign name means a page rebound its own domain to 127.0.0.1.
    /// </summary>
    public string? CheckHost(HttpRequest request)
    {
        if (!loopbackOnly) return null;
        var host = request.Host.Host;
        if (string.IsNullOrEmpty(host) || IsLoopbackName(host)) return null;
        return $"the Host '{request.Host}' is not a loopback name: this server listens on loopback only and answers requests " +
            "addressed to localhost, 127.0.0.1 or [::1] (a foreign name is how DNS rebinding reaches a local server)";
    }

    /// <summary>
    /// Null when a request that may change state comes from this server's own origin (or from no browser at all) and
    /// says it is JSON, else why it is refused. Browsers send cross-site POSTs without asking first only for
    /// form and text bodies, and always say where they come from (<c>Origin</c>, <c>Sec-Fetch-Site</c>).
    /// </summary>
    public static string? CheckCrossSite(HttpRequest request, out int status)
    {
        status = StatusCodes.Status403Forbidden;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)) return null;
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
            return $"a {request.Method} from another site ({site}) is refused: the API changes state only for its own pages and for non-browser clients";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !SameOrigin(origin, request))
            return $"a {request.Method} from the origin '{origin}' is refused: the API changes state only for its own pages and for non-browser clients";
        if (request.ContentLength is 0 || (request.ContentLength is null && !HttpMethods.IsPost(request.Method) && !HttpMethods.IsPut(request.Method) && !HttpMethods.IsPatch(request.Method)))
            return null;
        if (!IsJson(request.ContentType))
        {
            status = StatusCodes.Status415UnsupportedMediaType;
            return $"the body must be JSON, sent with 'content-type: application/json' (not '{request.ContentType}')";
        }
        return null;
    }

    private static bool IsLoopbackName(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        // Browsers resolve *.localhost to loopback themselves, so such a name cannot be rebound.
        if (host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }

    private static bool SameOrigin(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)) return false;
        if (!uri.Scheme.Equals(request.Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var requestPort = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return uri.Host.Trim('[', ']').Equals(request.Host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase) && uri.Port == requestPort;
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null) return false;
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
