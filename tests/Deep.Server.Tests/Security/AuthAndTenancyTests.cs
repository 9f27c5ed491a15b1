using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Deep.Protocol.Grpc;
using Deepproto.Proto.Poll.V1;
using Google.Protobuf;

namespace Deep.Server.Tests.Security;

public sealed class AuthAndTenancyTests
{
    [Fact]
    public async Task With_an_api_key_both_ports_refuse_calls_without_it()
    {
        await using var s = await RunningServer.StartAsync(o => o.ApiKey = "s3cret");
        using var response = await s.Http.GetAsync("/api/tracepoints");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var grpc = await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll());
        Assert.Equal(GrpcStatusCode.Unauthenticated, grpc.Status);
        var wrong = await s.Grpc.CallAsync(DeepMethods.SendSnapshot, Samples.Snapshot(), ("authorization", "Bearer nope"));
        Assert.Equal(GrpcStatusCode.Unauthenticated, wrong.Status);
        Assert.Equal(0, s.Server.Snapshots.Count());
    }

    [Fact]
    public async Task With_an_api_key_bearer_and_basic_with_the_key_as_password_are_accepted()
    {
        await using var s = await RunningServer.StartAsync(o => o.ApiKey = "s3cret");
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:s3cret"));
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(), ("authorization", "Bearer s3cret"))).Status);
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, Samples.Snapshot(), ("authorization", basic))).Status);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tracepoints");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Multitenant_servers_keep_tenants_tracepoints_and_snapshots_apart()
    {
        await using var s = await RunningServer.StartAsync(o => o.Multitenant = true);
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/tracepoints") { Content = new StringContent(Samples.TracepointJson(), System.Text.Encoding.UTF8, "application/json") };
        create.Headers.Add("x-scope-orgid", "acme");
        Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(create)).StatusCode);

        var acme = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(), ("x-scope-orgid", "acme"))).Parse(PollResponse.Parser);
        var globex = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(), ("x-scope-orgid", "globex"))).Parse(PollResponse.Parser);
        Assert.Single(acme.Response);
        Assert.Empty(globex.Response);

        var snapshot = Samples.Snapshot();
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot, ("x-scope-orgid", "acme"))).Status);
        var hex = Convert.ToHexString(snapshot.ID.ToByteArray());
        using var mine = new HttpRequestMessage(HttpMethod.Get, "/api/snapshots/" + hex);
        mine.Headers.Add("x-scope-orgid", "acme");
        using var theirs = new HttpRequestMessage(HttpMethod.Get, "/api/snapshots/" + hex);
        theirs.Headers.Add("x-scope-orgid", "globex");
        Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(mine)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Http.SendAsync(theirs)).StatusCode);

        var anonymous = await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll());
        Assert.Equal(GrpcStatusCode.Unauthenticated, anonymous.Status);
        Assert.Contains("x-scope-orgid", anonymous.Message);
    }

    [Fact]
    public async Task With_a_certificate_both_ports_speak_tls()
    {
        var dir = TempDir.Create();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(dir, "cert.pem");
        var keyPath = Path.Combine(dir, "key.pem");
        await File.WriteAllTextAsync(certPath, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        await using var s = await RunningServer.StartAsync(o =>
        {
            o.TlsCertPath = certPath;
            o.TlsKeyPath = keyPath;
        });
        Assert.Equal("https", s.Server.GrpcAddress.Scheme);
        var trusting = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == cert.GetCertHashString() },
        };
        using var grpc = new RawGrpcClient(s.Server.GrpcAddress, trusting);
        Assert.Equal(GrpcStatusCode.OK, (await grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Status);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == cert.GetCertHashString() },
        }) { BaseAddress = s.Server.HttpAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/echo")).StatusCode);
        // The gRPC services answer on the gRPC port only.
        using var call = new ByteArrayContent(GrpcFraming.Frame(Samples.Poll().ToByteArray()));
        call.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(DeepMethods.Poll, call)).StatusCode);
    }

    [Fact]
    public async Task Options_that_cannot_work_are_refused_with_a_clear_message()
    {
        var dir = TempDir.Create();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => DeepServer.StartAsync(new DeepServerOptions { DataDirectory = dir, TlsCertPath = "/nope.pem" }));
        Assert.Contains("--tls-key", ex.Message);
        ex = await Assert.ThrowsAsync<ArgumentException>(() => DeepServer.StartAsync(new DeepServerOptions { DataDirectory = dir, Listen = "my-laptop" }));
        Assert.Contains("not an IP address", ex.Message);
    }

    [Fact]
    public async Task By_default_the_server_listens_on_loopback_only()
    {
        await using var s = await RunningServer.StartAsync();
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(s.Server.GrpcAddress.Host)));
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(s.Server.HttpAddress.Host)));
    }
}
