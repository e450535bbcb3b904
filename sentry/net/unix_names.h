/* The sandbox-wide table of bound AF_UNIX names: a byte-string key (unix_addr.h: an abstract
 * name, or a socket inode's dev:ino) to the bound socket. No locking: the caller's lock. */
#ifndef MOAT_NET_UNIX_NAMES_H
#define MOAT_NET_UNIX_NAMES_H

#include <stddef.h>

struct unix_name;
struct unix_names {
    struct unix_name **buckets;
    size_t nbuckets, count;
};

#define UNIX_NAMES_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* 0, -EADDRINUSE (the key is taken) or -ENOMEM. */
long unix_names_insert(struct unix_names *tab, const void *key, size_t len, void *value);
/* The value bound to key, or NULL. */
void *unix_names_lookup(struct unix_names *tab, const void *key, size_t len);
/* Removes key if it is bound to value (a later bind of the same key is someone else's). */
void unix_names_remove(struct unix_names *tab, const void *key, size_t len, void *value);
void unix_names_destroy(struct unix_names *tab);

#endif
