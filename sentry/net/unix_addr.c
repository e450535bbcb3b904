/* AF_UNIX address parsing and formatting (see unix_addr.h). */
#include "sentry/net/unix_addr.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

long unix_addr_parse(const void *sa, size_t len, struct unix_addr *out)
{
    const size_t fam = offsetof(struct sockaddr_un, sun_path);
    memset(out, 0, sizeof(*out));
    if (len < fam || len > sizeof(struct sockaddr_un))
        return -EINVAL;
    sa_family_t family;
    memcpy(&family, sa, sizeof(family));
    if (family != AF_UNIX)
        return -EINVAL;
    const char *path = (const char *)sa + fam;
    size_t n = len - fam;
    if (n == 0) {
        out->kind = UNIX_ADDR_UNNAMED;
        return 0;
    }
    if (path[0] == 0) {
        out->kind = UNIX_ADDR_ABSTRACT;
        out->namelen = n;
        memcpy(out->name, path, n);
        return 0;
    }
    /* A path ends at its first NUL or at the end of the address (Linux adds the NUL). */
    const char *nul = memchr(path, 0, n);
    out->kind = UNIX_ADDR_PATH;
    out->namelen = nul ? (size_t)(nul - path) : n;
    memcpy(out->name, path, out->namelen);
    out->name[out->namelen] = 0;
    return 0;
}

socklen_t unix_addr_format(const struct unix_addr *a, struct sockaddr_un *out)
{
    const size_t fam = offsetof(struct sockaddr_un, sun_path);
    memset(out, 0, sizeof(*out));
    out->sun_family = AF_UNIX;
    switch (a->kind) {
    case UNIX_ADDR_PATH:
        memcpy(out->sun_path, a->name, a->namelen);
        return (socklen_t)(fam + a->namelen + 1); /* with the NUL, as Linux reports it */
    case UNIX_ADDR_ABSTRACT:
        memcpy(out->sun_path, a->name, a->namelen);
        return (socklen_t)(fam + a->namelen);
    default:
        return (socklen_t)fam;
    }
}

void unix_addr_autobind(unsigned int n, struct unix_addr *out)
{
    char digits[8];
    snprintf(digits, sizeof(digits), "%05x", n & 0xfffff);
    memset(out, 0, sizeof(*out));
    out->kind = UNIX_ADDR_ABSTRACT;
    out->namelen = 6;
    memcpy(out->name + 1, digits, 5);
}

size_t unix_key_abstract(const struct unix_addr *a, char key[UNIX_KEY_MAX])
{
    key[0] = 'a';
    memcpy(key + 1, a->name, a->namelen);
    return a->namelen + 1;
}

size_t unix_key_inode(unsigned long long dev, unsigned long long ino, char key[UNIX_KEY_MAX])
{
    key[0] = 'i';
    memcpy(key + 1, &dev, sizeof(dev));
    memcpy(key + 1 + sizeof(dev), &ino, sizeof(ino));
    return 1 + sizeof(dev) + sizeof(ino);
}
