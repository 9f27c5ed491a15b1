using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Deep.Server.Security;

/// <summary>
/// Who may call, and as which tenant: the API key check (Bearer token, or Basic with the key as password) and the
/// <c>x-scope-orgid</c> tenant, the same for both ports.
/// </summary>
internal sealed class RequestGate(string? apiKey, bool multitenant)
{
    /// <summary>The tenant everything belongs to when multitenancy is off (as in the DEEP server).</summary>
    public const string SingleTenant = "single-tenant";

    public const string TenantHeader = "x-scope-orgid";

    private readonly byte[]? _key = apiKey is null ? null : Encoding.UTF8.GetBytes(apiKey);

    /// <summary>Null when the request may proceed, else why it is refused.</summary>
    public string? CheckAuthorization(HttpRequest request)
    {
        if (_key is null) return null;
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0) return "this server needs an API key: send 'authorization: Bearer <key>'";
        byte[]? presented = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                presented = Encoding.UTF8.GetBytes(colon >= 0 ? decoded[(colon + 1)..] : decoded);
            }
            catch (FormatException)
            {
                return "the Basic authorization is not valid base64";
            }
        }
        if (presented is null) return "unsupported authorization scheme: use 'Bearer <key>' or Basic with the key as password";
        return CryptographicOperations.FixedTimeEquals(presented, _key) ? null : "the API key is wrong";
    }

    /// <summary>The caller's tenant, or null with <paramref name="error"/> when multitenancy needs a header that is missing.</summary>
    public string? ResolveTenant(HttpRequest request, out string? error)
    {
        error = null;
        if (!multitenant) return SingleTenant;
        var tenant = request.Headers[TenantHeader].ToString().Trim();
        if (tenant.Length == 0)
        {
            error = "no org id: this server is multi-tenant; send the 'x-scope-orgid' header";
            return null;
        }
        return tenant;
    }
}
