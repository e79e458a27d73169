# lab-espinudp: the receive half of an IKE daemon's NAT-T sockets, and nothing else.
# Linux hands ESP-in-UDP (RFC 3948) to xfrm only through a UDP socket with the UDP_ENCAP
# option (net/ipv4/udp.c udp_lib_setsockopt -> xfrm4_udp_encap_rcv / xfrm6_udp_encap_rcv);
# without one, port 4500 answers port-unreachable. The guest has no IKE daemon and no
# compiler, so the lab ships this program as bytes (EspInUdpListener.cs) built from this file:
#   as --64 -o e.o espinudp.S && objcopy -O binary -j .text e.o e.bin
# It opens 0.0.0.0:4500 (AF_INET) and [::]:4500 (AF_INET6, IPV6_V6ONLY), sets
# UDP_ENCAP_ESPINUDP on both, prints "ready\n" and sleeps in pause(2) until killed.
# Any failing system call exits with the errno as the exit status.
        .intel_syntax noprefix
        .text
        .globl _start
_start:
        mov     edi, 2                  # socket(AF_INET, SOCK_DGRAM, 0)
        mov     esi, 2
        xor     edx, edx
        mov     eax, 41
        syscall
        test    eax, eax
        js      fail
        mov     r12d, eax
        mov     edi, r12d               # setsockopt(s4, SOL_UDP, UDP_ENCAP, &espinudp, 4)
        mov     esi, 17
        mov     edx, 100
        lea     r10, [rip + espinudp]
        mov     r8d, 4
        mov     eax, 54
        syscall
        test    eax, eax
        jnz     fail
        mov     edi, r12d               # bind(s4, &sin, 16)
        lea     rsi, [rip + sin]
        mov     edx, 16
        mov     eax, 49
        syscall
        test    eax, eax
        jnz     fail
        mov     edi, 10                 # socket(AF_INET6, SOCK_DGRAM, 0)
        mov     esi, 2
        xor     edx, edx
        mov     eax, 41
        syscall
        test    eax, eax
        js      fail
        mov     r13d, eax
        mov     edi, r13d               # setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, 4)
        mov     esi, 41
        mov     edx, 26
        lea     r10, [rip + one]
        mov     r8d, 4
        mov     eax, 54
        syscall
        test    eax, eax
        jnz     fail
        mov     edi, r13d               # setsockopt(s6, SOL_UDP, UDP_ENCAP, &espinudp, 4)
        mov     esi, 17
        mov     edx, 100
        lea     r10, [rip + espinudp]
        mov     r8d, 4
        mov     eax, 54
        syscall
        test    eax, eax
        jnz     fail
        mov     edi, r13d               # bind(s6, &sin6, 28)
        lea     rsi, [rip + sin6]
        mov     edx, 28
        mov     eax, 49
        syscall
        test    eax, eax
        jnz     fail
        mov     edi, 1                  # write(1, "ready\n", 6)
        lea     rsi, [rip + ready]
        mov     edx, 6
        mov     eax, 1
        syscall
sleep:
        mov     eax, 34                 # pause()
        syscall
        jmp     sleep
fail:
        neg     eax                     # exit(errno)
        mov     edi, eax
        mov     eax, 60
        syscall
espinudp:
        .long   2                       # UDP_ENCAP_ESPINUDP (include/uapi/linux/udp.h)
one:
        .long   1
sin:                                    # struct sockaddr_in: AF_INET, port 4500, INADDR_ANY
        .short  2
        .byte   0x11, 0x94
        .long   0
        .quad   0
sin6:                                   # struct sockaddr_in6: AF_INET6, port 4500, in6addr_any
        .short  10
        .byte   0x11, 0x94
        .long   0
        .quad   0, 0
        .long   0
ready:
        .ascii  "ready\n"
