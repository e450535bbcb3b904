/* AF_UNIX socket addresses: parsing a sockaddr_un the application gave (path, abstract or
 * "autobind"), writing one back, and the autobind names. Pure functions (unit-tested). */
#ifndef MOAT_NET_UNIX_ADDR_H
#define MOAT_NET_UNIX_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define UNIX_PATH_MAX 108

enum unix_addr_kind {
    UNIX_ADDR_UNNAMED,  /* no name: only sa_family (bind autobinds, getsockname shows this) */
    UNIX_ADDR_PATH,     /* a filesystem name: name is NUL-terminated */
    UNIX_ADDR_ABSTRACT, /* name[0] == 0; namelen bytes, NULs allowed */
};

struct unix_addr {
    enum unix_addr_kind kind;
    size_t namelen; /* bytes of sun_path that make the name (the path without its NUL) */
    char name[UNIX_PATH_MAX + 1];
};

/* Parses the application's address of len bytes: 0, or -EINVAL (bad length or family). */
long unix_addr_parse(const void *sa, size_t len, struct unix_addr *out);

/* The sockaddr_un for a name and its length as getsockname/accept/recvfrom report it. */
socklen_t unix_addr_format(const struct unix_addr *a, struct sockaddr_un *out);

/* The autobind name number n (0..0xfffff): an abstract name of five hex digits, as Linux. */
void unix_addr_autobind(unsigned int n, struct unix_addr *out);

/* The key naming a bound socket in the sandbox-wide table: abstract names by their bytes, path
 * names by the socket inode (dev, ino). Returns the key length written into key (>= 1). */
#define UNIX_KEY_MAX (UNIX_PATH_MAX + 1)
size_t unix_key_abstract(const struct unix_addr *a, char key[UNIX_KEY_MAX]);
size_t unix_key_inode(unsigned long long dev, unsigned long long ino, char key[UNIX_KEY_MAX]);

#endif
