/* Unit tests of the inet socket-option allowlist (sentry/net/inet_opts.c): what passes to the
 * host and what is refused (BPF filters, device binding, unknown levels). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sentry/net/inet_opts.h"

Test(inet_opts, common_options_pass)
{
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_REUSEADDR), 0);
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_KEEPALIVE), 0);
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_RCVBUF), 0);
    cr_assert_eq(inet_opt_allowed(IPPROTO_TCP, TCP_NODELAY), 0);
    cr_assert_eq(inet_opt_allowed(IPPROTO_IPV6, IPV6_V6ONLY), 0);
    cr_assert_eq(inet_opt_allowed(IPPROTO_IP, IP_TOS), 0);
}

Test(inet_opts, dangerous_options_are_refused)
{
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_ATTACH_FILTER), -ENOPROTOOPT);
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_ATTACH_BPF), -ENOPROTOOPT);
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_BINDTODEVICE), -ENOPROTOOPT);
    cr_assert_eq(inet_opt_allowed(SOL_SOCKET, SO_MARK), -ENOPROTOOPT);
    cr_assert_eq(inet_opt_allowed(263 /* SOL_PACKET */, 1), -EOPNOTSUPP);
    cr_assert_eq(inet_opt_allowed(12345, 1), -EOPNOTSUPP);
}
