using Lab.Core;

namespace Lab.Netfilter.NatT;

/// <summary>
/// The inbound ESP-in-UDP SA's view of its peer's outer source port, and km_new_mapping's rate limit.
/// esp_input_done2 (net/ipv4/esp4.c) compares each decrypted packet's outer source address and port
/// with x->encap->encap_sport and, when they differ, calls km_new_mapping, which sends
/// XFRM_MSG_MAPPING to the key manager; the kernel does not change the SA itself and still delivers
/// the packet. With XFRMA_MTIMER_THRESH (x->mapping_maxage, seconds; commit 4e484b3e969b, 5.17 and
/// 5.15.y) a message is sent only when the port differs from the last one reported or when
/// jiffies / HZ - x->new_mapping > mapping_maxage; without it, one message per packet.
/// The outer address is taken as unchanged (a port-only rebinding); the seconds counter starts at 0.
/// </summary>
public struct XfrmMappingNotifier
{
    /// <summary>x->mapping_maxage in seconds; 0 = no rate limit.</summary>
    public uint MappingMaxAge;

    /// <summary>x->encap->encap_sport: the peer port the SA is configured with.</summary>
    public ushort EncapSport;

    ushort _newMappingSport;
    long _newMappingSeconds;

    /// <summary>XFRM_MSG_MAPPING messages sent so far.</summary>
    public long Messages;

    public XfrmMappingNotifier(ushort encapSport, uint mappingMaxAge)
    {
        EncapSport = encapSport;
        MappingMaxAge = mappingMaxAge;
        _newMappingSport = 0;
        _newMappingSeconds = 0;
        Messages = 0;
    }

    /// <summary>An ESP packet arrived from <paramref name="sport"/>; true if it made the kernel send XFRM_MSG_MAPPING.</summary>
    public bool OnEspPacket(ushort sport, long now)
    {
        if (sport == EncapSport) return false;
        if (MappingMaxAge != 0)
        {
            long seconds = now / SimTime.Second;
            if (!(seconds - _newMappingSeconds > MappingMaxAge || _newMappingSport != sport)) return false;
            _newMappingSport = sport;
            _newMappingSeconds = seconds;
        }
        Messages++;
        return true;
    }

    /// <summary>The key manager updated the SA (XFRM_MSG_UPDSA / migrate) to the new port.</summary>
    public void UpdateSa(ushort sport) => EncapSport = sport;
}
