/* Security: the sandbox gets only the socket families moat implements. AF_NETLINK, AF_PACKET,
 * raw IP and the rest would reach the host kernel's routing, interfaces or wire; inside moat they
 * are EAFNOSUPPORT / ESOCKTNOSUPPORT, and the inet option allowlist refuses BPF socket filters
 * and device binding. (Natively, as root, most of these succeed.) */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void try_socket(const char *label, int family, int type, int proto)
{
    int s = socket(family, type, proto);
    printf("%s: %s\n", label, s >= 0 ? "created" : strerrorname_np(errno));
    if (s >= 0)
        close(s);
}

int main(void)
{
    try_socket("AF_NETLINK route", AF_NETLINK, SOCK_RAW, 0);
    try_socket("AF_PACKET raw", AF_PACKET, SOCK_RAW, 0);
    try_socket("AF_INET raw ICMP", AF_INET, SOCK_RAW, IPPROTO_ICMP);
    try_socket("AF_INET6 raw", AF_INET6, SOCK_RAW, IPPROTO_RAW);
    try_socket("AF_INET dgram ICMP (ping)", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    try_socket("AF_VSOCK", 40, SOCK_STREAM, 0);
    try_socket("AF_ALG", 38, SOCK_SEQPACKET, 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int zero[4] = {0};
    printf("SO_ATTACH_FILTER: %s\n",
           setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, zero, sizeof(zero)) == 0
               ? "set"
               : strerrorname_np(errno));
    printf("SO_BINDTODEVICE: %s\n", setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == 0
                                        ? "set"
                                        : strerrorname_np(errno));
    close(s);
    return 0;
}
