using Deep.Agent.Settings;

namespace Deep.Agent.Tests.Settings;

public class AgentSettingsTests
{
    private static AgentSettings From(params (string Key, string Value)[] env) =>
        AgentSettings.FromEnvironment(env.ToDictionary(e => e.Key, e => (string?)e.Value));

    [Fact]
    public void Defaults_follow_the_spec_when_nothing_is_set()
    {
        var s = From();
        Assert.Equal(new Uri("http://localhost:43315"), s.ServiceUrl);
        Assert.Equal(TimeSpan.FromSeconds(10), s.PollInterval);
        Assert.True(s.Enabled);
        Assert.Equal(5, s.MaxVarDepth);
        Assert.Equal(1000, s.MaxVariables);
        Assert.Equal(10, s.MaxCollectionSize);
        Assert.Equal(1024, s.MaxStringLength);
        Assert.Equal(100, s.MaxTpProcessTimeMs);
        Assert.Empty(s.Warnings);
    }

    [Fact]
    public void Poll_timer_from_the_environment_is_read_as_a_number_of_seconds()
    {
        // Defect 11 of the reference agent: DEEP_POLL_TIMER from env (a string) killed polling.
        Assert.Equal(TimeSpan.FromSeconds(3), From(("DEEP_POLL_TIMER", "3")).PollInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), From(("DEEP_POLL_TIMER", "0.5")).PollInterval);
    }

    [Theory]
    [InlineData("DEEP_POLL_TIMER", "often")]
    [InlineData("DEEP_POLL_TIMER", "-4")]
    [InlineData("DEEP_MAX_VAR_DEPTH", "deep")]
    [InlineData("DEEP_ENABLED", "maybe")]
    [InlineData("DEEP_SERVICE_AUTH_PROVIDER", "oauth2")]
    public void An_invalid_value_falls_back_to_the_default_with_a_warning_naming_the_variable(string name, string value)
    {
        var s = From((name, value));
        var d = From();
        Assert.Equal(d.PollInterval, s.PollInterval);
        Assert.Equal(d.MaxVarDepth, s.MaxVarDepth);
        Assert.Equal(d.Enabled, s.Enabled);
        Assert.Equal(d.ServiceUrl, s.ServiceUrl);
        var warning = Assert.Single(s.Warnings);
        Assert.Contains(name, warning, StringComparison.Ordinal);
        Assert.Contains(value, warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://server:1")]
    [InlineData("server:notaport")]
    [InlineData("server:0")]
    [InlineData("server:70000")]
    [InlineData("http://")]
    [InlineData("not a host:1")]
    [InlineData("https//deep.example:43315")]
    public void An_unusable_service_url_keeps_the_agent_idle_with_one_error_instead_of_polling_localhost(string value)
    {
        var s = From(("DEEP_SERVICE_URL", value), ("DEEP_ENABLED", "true"));
        Assert.False(s.Enabled);
        Assert.NotNull(s.DisabledReason);
        Assert.Contains("DEEP_SERVICE_URL", s.DisabledReason, StringComparison.Ordinal);
        Assert.Contains(value, s.DisabledReason, StringComparison.Ordinal);
        Assert.Contains("idle", s.DisabledReason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', s.DisabledReason);
        Assert.Empty(s.Warnings);
        Assert.True(From(("DEEP_SERVICE_URL", "deep.example:43315")).Enabled);
        Assert.Null(From().DisabledReason);
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("true", true)]
    [InlineData("1", true)]
    public void Booleans_are_parsed_properly_so_false_means_false(string text, bool expected)
    {
        // Defect 11: NO_TRACE=false disabled tracing in the reference agent (any non-empty string was true).
        Assert.Equal(expected, From(("DEEP_ENABLED", text)).Enabled);
    }

    [Fact]
    public void A_bare_host_and_port_uses_TLS_except_for_localhost_unless_told_otherwise()
    {
        Assert.Equal(new Uri("https://deep.example:43315"), From(("DEEP_SERVICE_URL", "deep.example:43315")).ServiceUrl);
        Assert.Equal(new Uri("http://localhost:5000"), From(("DEEP_SERVICE_URL", "localhost:5000")).ServiceUrl);
        Assert.Equal(new Uri("http://deep.example:43315"), From(("DEEP_SERVICE_URL", "deep.example:43315"), ("DEEP_SERVICE_SECURE", "false")).ServiceUrl);
        Assert.Equal(new Uri("http://deep.example:9000/"), From(("DEEP_SERVICE_URL", "http://deep.example:9000")).ServiceUrl);
    }

    [Fact]
    public void Headers_and_resource_attributes_are_key_value_lists()
    {
        var s = From(("DEEP_SERVICE_HEADERS", "x-scope-orgid=team1, x-other=a=b"), ("DEEP_RESOURCE_ATTRIBUTES", "env=prod,region=eu"), ("OTEL_RESOURCE_ATTRIBUTES", "team=shop"));
        Assert.Equal([new("x-scope-orgid", "team1"), new("x-other", "a=b")], s.Headers);
        Assert.Contains(new KeyValuePair<string, string>("env", "prod"), s.ResourceAttributes);
        Assert.Contains(new KeyValuePair<string, string>("team", "shop"), s.ResourceAttributes);
    }

    [Fact]
    public void A_pair_without_a_key_is_skipped_with_a_warning()
    {
        var s = From(("DEEP_SERVICE_HEADERS", "novalue,=x,k=v"));
        Assert.Equal([new("k", "v")], s.Headers);
        Assert.Equal(2, s.Warnings.Count);
    }

    [Fact]
    public void The_resource_names_the_service_and_the_sdk()
    {
        var resource = ResourceDetector.Detect(From(("DEEP_SERVICE_NAME", "shop"), ("DEEP_RESOURCE_ATTRIBUTES", "env=prod")));
        var map = resource.Attributes.ToDictionary(a => a.Key, a => a.Value!.StringValue);
        Assert.Equal("shop", map["service.name"]);
        Assert.Equal("dotnet", map["telemetry.sdk.language"]);
        Assert.Equal("deep", map["telemetry.sdk.name"]);
        Assert.Equal("prod", map["env"]);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), map["process.pid"]);
        Assert.Equal(Environment.Version.ToString(), map["process.runtime.version"]);
        Assert.Equal(Environment.MachineName, map["host.name"]);
    }

    [Fact]
    public void Without_a_service_name_the_resource_says_unknown_service_and_the_process_name()
    {
        var resource = ResourceDetector.Detect(From());
        var name = resource.Attributes.Single(a => a.Key == "service.name").Value!.StringValue;
        Assert.Equal($"unknown_service:{System.Diagnostics.Process.GetCurrentProcess().ProcessName}", name);
    }

    [Fact]
    public void OTEL_SERVICE_NAME_is_honoured_and_DEEP_SERVICE_NAME_wins()
    {
        Assert.Equal("a", From(("OTEL_SERVICE_NAME", "a")).ServiceName);
        Assert.Equal("b", From(("OTEL_SERVICE_NAME", "a"), ("DEEP_SERVICE_NAME", "b")).ServiceName);
    }
}
