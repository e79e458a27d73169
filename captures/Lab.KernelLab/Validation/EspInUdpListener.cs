using System.Buffers.Binary;

namespace Lab.KernelLab.Validation;

/// <summary>
/// A static x86-64 Linux program that holds the two NAT-T sockets ESP-in-UDP needs on the
/// receiver: 0.0.0.0:4500 and [::]:4500 with UDP_ENCAP_ESPINUDP (RFC 3948). Linux passes
/// UDP-encapsulated ESP to xfrm only through such a socket (net/ipv4/udp.c: udp_lib_setsockopt
/// sets encap_rcv to xfrm4_udp_encap_rcv or xfrm6_udp_encap_rcv, Linux 6.1); an IKE daemon
/// normally opens them. The guest has no daemon and no compiler, so the lab carries the
/// program's machine code, assembled from espinudp.S beside this file (a test re-assembles
/// it when binutils are installed and compares), and wraps it in a minimal ELF executable.
/// It prints "ready" once both sockets are set up, then sleeps until killed; a failing system
/// call exits with the errno as status.
/// </summary>
public static class EspInUdpListener
{
    /// <summary>The .text of espinudp.S (as --64; objcopy -O binary -j .text).</summary>
    public const string CodeHex =
        "bf02000000be0200000031d2b8290000000f0585c00f88ed0000004189c44489e7be11000000ba640000004c8d15e100" +
        "000041b804000000b8360000000f0585c00f85c10000004489e7488d35ca000000ba10000000b8310000000f0585c00f" +
        "85a3000000bf0a000000be0200000031d2b8290000000f0585c00f88880000004189c54489efbe29000000ba1a000000" +
        "4c8d158000000041b804000000b8360000000f0585c075604489efbe11000000ba640000004c8d155700000041b80400" +
        "0000b8360000000f0585c0753b4489ef488d3554000000ba1c000000b8310000000f0585c07521bf01000000488d3554" +
        "000000ba06000000b8010000000f05b8220000000f05ebf7f7d889c7b83c0000000f0502000000010000000200119400" +
        "00000000000000000000000a00119400000000000000000000000000000000000000000000000072656164790a";

    const ulong LoadAddress = 0x400000;
    const int ElfHeaderLength = 64;
    const int ProgramHeaderLength = 56;

    /// <summary>The ELF executable: header, one PT_LOAD segment (read + execute), code (position independent).</summary>
    public static byte[] Executable()
    {
        var code = Convert.FromHexString(CodeHex);
        int headers = ElfHeaderLength + ProgramHeaderLength;
        var elf = new byte[headers + code.Length];
        var e = elf.AsSpan();
        // ELF header (System V gABI, "ELF-64 Object File Format" 1.5): 64-bit, little endian, version 1.
        e[0] = 0x7f; e[1] = (byte)'E'; e[2] = (byte)'L'; e[3] = (byte)'F';
        e[4] = 2; e[5] = 1; e[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], 2);                    // e_type ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], 62);                   // e_machine EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(e[20..], 1);                    // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(e[24..], LoadAddress + (ulong)headers); // e_entry: first code byte
        BinaryPrimitives.WriteUInt64LittleEndian(e[32..], ElfHeaderLength);      // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(e[52..], ElfHeaderLength);      // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(e[54..], ProgramHeaderLength);  // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(e[56..], 1);                    // e_phnum
        var ph = e[ElfHeaderLength..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);                         // p_type PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5);                    // p_flags PF_R | PF_X
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 0);                    // p_offset: the whole file
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], LoadAddress);         // p_vaddr
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], LoadAddress);         // p_paddr
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)elf.Length);   // p_filesz
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)elf.Length);   // p_memsz
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);              // p_align
        code.CopyTo(e[headers..]);
        return elf;
    }
}
