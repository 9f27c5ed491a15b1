namespace Deep.Protocol;

/// <summary>Field helpers shared by the message codecs: repeated strings.</summary>
internal static class Codec
{
    /// <summary>Sizes a repeated string field with a one-byte tag. A null element is written as an empty string.</summary>
    public static int SizeOfStrings(List<string> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.String(item);
        return size;
    }

    public static void WriteStrings(List<string> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.WriteTag(tag);
            writer.WriteString(item);
        }
    }
}
