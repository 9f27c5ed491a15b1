namespace Deep.Agent.Tests.Expressions.Billing
{
    public enum Mode
    {
        Card,
        Cash,
    }
}

namespace Deep.Agent.Tests.Expressions.Shipping
{
    public enum Mode
    {
        Air,
        Sea,
    }
}
