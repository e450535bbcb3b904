/* Which socket options a sandboxed program may set or read on a host-backed (AF_INET/AF_INET6)
 * socket: the sentry checks them, and its seccomp filter allows setsockopt only for these
 * (sentry/confine/sentry_seccomp.c), so a program cannot attach BPF filters or bind to devices. */
#ifndef MOAT_NET_INET_OPTS_H
#define MOAT_NET_INET_OPTS_H

#include <stddef.h>

/* SOL_SOCKET options passed to the host. */
extern const long inet_sol_socket_opts[];
extern const size_t inet_sol_socket_nopts;
/* Levels whose options all pass (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IP, IPPROTO_IPV6). */
extern const long inet_opt_levels[];
extern const size_t inet_opt_nlevels;

/* 0 if (level, name) may go to the host; -ENOPROTOOPT (unknown SOL_SOCKET option) or
 * -EOPNOTSUPP (another level). */
long inet_opt_allowed(int level, int name);

#endif
