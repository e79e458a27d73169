namespace Lab.Esp.Sa;

/// <summary>
/// The inbound SAD: xfrm_input_state_lookup / xfrm_state_lookup (net/xfrm/xfrm_state.c,
/// Linux v6.12) by (destination address, SPI, protocol); marks and if_id are not modelled. A miss
/// counts XfrmInNoStates. Lookups allocate nothing (struct key, no enumeration).
/// </summary>
public sealed class XfrmStateTable
{
    readonly Dictionary<XfrmId, XfrmStateIn> _byId = [];

    public int Count => _byId.Count;

    /// <summary>xfrm_state_add: a second SA with the same (daddr, SPI, proto) is -EEXIST.</summary>
    public void Add(XfrmStateIn state)
    {
        if (!_byId.TryAdd(state.Id, state))
            throw new InvalidOperationException($"an SA with SPI 0x{state.Id.Spi:x8} to {state.Id.Daddr} already exists (EEXIST)");
    }

    /// <summary>The SA for an arriving packet, or null after counting XfrmInNoStates.</summary>
    public XfrmStateIn? Lookup(in XfrmId id, XfrmMib mib)
    {
        if (_byId.TryGetValue(id, out var sa)) return sa;
        mib.XfrmInNoStates++;
        return null;
    }
}
