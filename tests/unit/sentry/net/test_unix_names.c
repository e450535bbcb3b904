/* Unit tests of the AF_UNIX bound-name table (sentry/net/unix_names.c): insert, EADDRINUSE,
 * lookup, removal only by the owner, growth with many names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "sentry/net/unix_names.h"

Test(unix_names, insert_lookup_remove)
{
    struct unix_names t = UNIX_NAMES_INIT;
    int a, b;
    cr_assert_null(unix_names_lookup(&t, "x", 1));
    cr_assert_eq(unix_names_insert(&t, "x", 1, &a), 0);
    cr_assert_eq(unix_names_insert(&t, "x", 1, &b), -EADDRINUSE);
    cr_assert_eq(unix_names_lookup(&t, "x", 1), &a);
    cr_assert_null(unix_names_lookup(&t, "x\0", 2));
    unix_names_remove(&t, "x", 1, &b); /* not b's: stays */
    cr_assert_eq(unix_names_lookup(&t, "x", 1), &a);
    unix_names_remove(&t, "x", 1, &a);
    cr_assert_null(unix_names_lookup(&t, "x", 1));
    cr_assert_eq(unix_names_insert(&t, "x", 1, &b), 0);
    cr_assert_eq(unix_names_lookup(&t, "x", 1), &b);
    unix_names_destroy(&t);
}

Test(unix_names, many_names_survive_growth)
{
    struct unix_names t = UNIX_NAMES_INIT;
    static int vals[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "name-%d", i);
        cr_assert_eq(unix_names_insert(&t, key, (size_t)n, &vals[i]), 0);
    }
    cr_assert_eq(t.count, 5000);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "name-%d", i);
        cr_assert_eq(unix_names_lookup(&t, key, (size_t)n), &vals[i]);
    }
    for (int i = 0; i < 5000; i += 2) {
        int n = snprintf(key, sizeof(key), "name-%d", i);
        unix_names_remove(&t, key, (size_t)n, &vals[i]);
    }
    cr_assert_eq(t.count, 2500);
    int n = snprintf(key, sizeof(key), "name-%d", 7);
    cr_assert_eq(unix_names_lookup(&t, key, (size_t)n), &vals[7]);
    n = snprintf(key, sizeof(key), "name-%d", 8);
    cr_assert_null(unix_names_lookup(&t, key, (size_t)n));
    unix_names_destroy(&t);
}
