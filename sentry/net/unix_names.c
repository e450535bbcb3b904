/* The bound-name table (see unix_names.h): a chained hash table that doubles when full. */
#include "sentry/net/unix_names.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct unix_name {
    struct unix_name *next;
    void *value;
    size_t len;
    char key[];
};

static size_t hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return (size_t)h;
}

static struct unix_name **slot(struct unix_names *tab, const void *key, size_t len)
{
    struct unix_name **pp = &tab->buckets[hash(key, len) & (tab->nbuckets - 1)];
    while (*pp && ((*pp)->len != len || memcmp((*pp)->key, key, len) != 0))
        pp = &(*pp)->next;
    return pp;
}

static long grow(struct unix_names *tab)
{
    size_t n = tab->nbuckets ? tab->nbuckets * 2 : 16;
    struct unix_name **b = calloc(n, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < tab->nbuckets; i++)
        for (struct unix_name *e = tab->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t h = hash(e->key, e->len) & (n - 1);
            e->next = b[h];
            b[h] = e;
        }
    free(tab->buckets);
    tab->buckets = b;
    tab->nbuckets = n;
    return 0;
}

long unix_names_insert(struct unix_names *tab, const void *key, size_t len, void *value)
{
    if (tab->count >= tab->nbuckets && grow(tab) < 0 && tab->nbuckets == 0)
        return -ENOMEM;
    struct unix_name **pp = slot(tab, key, len);
    if (*pp)
        return -EADDRINUSE;
    struct unix_name *e = malloc(sizeof(*e) + len);
    if (!e)
        return -ENOMEM;
    e->next = NULL;
    e->value = value;
    e->len = len;
    memcpy(e->key, key, len);
    *pp = e;
    tab->count++;
    return 0;
}

void *unix_names_lookup(struct unix_names *tab, const void *key, size_t len)
{
    if (tab->nbuckets == 0)
        return NULL;
    struct unix_name *e = *slot(tab, key, len);
    return e ? e->value : NULL;
}

void unix_names_remove(struct unix_names *tab, const void *key, size_t len, void *value)
{
    if (tab->nbuckets == 0)
        return;
    struct unix_name **pp = slot(tab, key, len);
    struct unix_name *e = *pp;
    if (!e || e->value != value)
        return;
    *pp = e->next;
    free(e);
    tab->count--;
}

void unix_names_destroy(struct unix_names *tab)
{
    for (size_t i = 0; i < tab->nbuckets; i++)
        for (struct unix_name *e = tab->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(tab->buckets);
    *tab = (struct unix_names)UNIX_NAMES_INIT;
}
