/* The socket options host-backed sockets pass to the host (see inet_opts.h). */
#include "sentry/net/inet_opts.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

const long inet_sol_socket_opts[] = {
    SO_REUSEADDR,       SO_REUSEPORT, SO_KEEPALIVE, SO_BROADCAST,    SO_LINGER,   SO_RCVBUF,
    SO_SNDBUF,          SO_OOBINLINE, SO_PRIORITY,  SO_RCVLOWAT,     SO_SNDLOWAT, SO_TIMESTAMP_OLD,
    SO_TIMESTAMPNS_OLD, SO_TYPE,      SO_ERROR,     SO_DOMAIN,       SO_PROTOCOL, SO_ACCEPTCONN,
    SO_DONTROUTE,       SO_PASSCRED,  SO_BUSY_POLL, SO_INCOMING_CPU, SO_ZEROCOPY, SO_TXTIME,
};
const size_t inet_sol_socket_nopts = sizeof(inet_sol_socket_opts) / sizeof(long);

const long inet_opt_levels[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IP, IPPROTO_IPV6,
                                IPPROTO_UDPLITE};
const size_t inet_opt_nlevels = sizeof(inet_opt_levels) / sizeof(long);

long inet_opt_allowed(int level, int name)
{
    if (level == SOL_SOCKET) {
        for (size_t i = 0; i < inet_sol_socket_nopts; i++)
            if (inet_sol_socket_opts[i] == name)
                return 0;
        return -ENOPROTOOPT;
    }
    for (size_t i = 0; i < inet_opt_nlevels; i++)
        if (inet_opt_levels[i] == level)
            return 0;
    return -EOPNOTSUPP;
}
