/* NETLINK_ROUTE answered by the sentry from a snapshot of the sandbox's network interfaces taken
 * at boot: link and address dumps (getifaddrs, if_nameindex, `ip addr`), nothing changes. The
 * workload's netlink bytes never reach the host kernel. */
#ifndef MOAT_NET_NETLINK_ROUTE_H
#define MOAT_NET_NETLINK_ROUTE_H

#include <stddef.h>
#include <stdint.h>

/* Reads the interfaces and addresses of the sentry's network namespace (before confinement:
 * it takes a netlink socket of the host's). Safe to skip: dumps are then empty. */
void netlink_route_snapshot(void);

/* Where replies go: the caller queues each as one datagram (a few messages each, as Linux's
 * dumps fill a page). */
typedef void (*nl_emit_fn)(void *arg, const void *data, size_t len);

/* Handles one request message (nlmsghdr included, len bytes) from port `portid`, emitting its
 * replies: dumps end with NLMSG_DONE; errors, and acks when asked, are NLMSG_ERROR. */
void netlink_route_request(const void *msg, size_t len, uint32_t portid, nl_emit_fn emit,
                           void *arg);

struct ifreq;
/* The read-only interface ioctls every socket answers (SIOCGIFNAME by ifr_ifindex; INDEX,
 * FLAGS, MTU, HWADDR, ADDR, NETMASK, BRDADDR by ifr_name): 0, -ENODEV or -EADDRNOTAVAIL. */
long netlink_route_ifreq(unsigned int cmd, struct ifreq *r);
/* SIOCGIFCONF: fills up to max entries (IPv4 addresses by label); returns how many there are. */
size_t netlink_route_ifconf(struct ifreq *out, size_t max);

#endif
