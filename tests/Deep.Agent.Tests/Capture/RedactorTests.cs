using Deep.Agent.Capture;

namespace Deep.Agent.Tests.Capture;

public class RedactorTests
{
    [Theory]
    [InlineData("password")]
    [InlineData("Password")]
    [InlineData("userPassword")]
    [InlineData("PASSWORD_HASH")]
    [InlineData("apiKey")]
    [InlineData("api_key")]
    [InlineData("X-Api-Key")]
    [InlineData("APIKey")]
    [InlineData("clientSecret")]
    [InlineData("accessToken")]
    [InlineData("Authorization")]
    [InlineData("cookies")]
    [InlineData("Credentials")]
    [InlineData("customerSsn")]
    [InlineData("private_key")]
    [InlineData("privateKeyPem")]
    [InlineData("<Password>k__BackingField")]
    public void Sensitive_names_are_redacted(string name) => Assert.True(Redactor.Default.IsRedacted(name), name);

    [Theory]
    [InlineData("className")]
    [InlineData("tokenizer")]
    [InlineData("lessons")]
    [InlineData("orderTotal")]
    [InlineData("author")]
    [InlineData("")]
    public void Ordinary_names_that_merely_contain_the_letters_are_not_redacted(string name) =>
        Assert.False(Redactor.Default.IsRedacted(name), name);

    [Fact]
    public void Custom_patterns_replace_the_default_list()
    {
        var redactor = new Redactor(["iban", "tax_id"]);
        Assert.True(redactor.IsRedacted("customerIban"));
        Assert.True(redactor.IsRedacted("TaxId"));
        Assert.False(redactor.IsRedacted("password"));
    }

    [Fact]
    public void An_empty_list_redacts_nothing() => Assert.False(new Redactor([]).IsRedacted("password"));
}
