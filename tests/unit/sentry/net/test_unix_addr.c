/* Unit tests of AF_UNIX address handling (sentry/net/unix_addr.c): path, abstract and unnamed
 * addresses, bad lengths and families, the lengths getsockname reports, autobind names, keys. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sentry/net/unix_addr.h"

static const size_t FAM = offsetof(struct sockaddr_un, sun_path);

static size_t mk(struct sockaddr_un *sa, const char *path, size_t n)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, n);
    return FAM + n;
}

Test(unix_addr, path_with_and_without_nul)
{
    struct sockaddr_un sa;
    struct unix_addr a;
    cr_assert_eq(unix_addr_parse(&sa, mk(&sa, "/tmp/s", 7), &a), 0);
    cr_assert_eq(a.kind, UNIX_ADDR_PATH);
    cr_assert_str_eq(a.name, "/tmp/s");
    cr_assert_eq(a.namelen, 6);
    /* No NUL inside the given length: the path is all of it. */
    cr_assert_eq(unix_addr_parse(&sa, mk(&sa, "/tmp/s", 6), &a), 0);
    cr_assert_str_eq(a.name, "/tmp/s");
    /* Bytes after the first NUL are ignored. */
    cr_assert_eq(unix_addr_parse(&sa, mk(&sa, "ab\0cd", 5), &a), 0);
    cr_assert_str_eq(a.name, "ab");
    struct sockaddr_un out;
    cr_assert_eq(unix_addr_format(&a, &out), FAM + 3);
    cr_assert_str_eq(out.sun_path, "ab");
}

Test(unix_addr, full_length_path_is_terminated)
{
    struct sockaddr_un sa;
    char p[UNIX_PATH_MAX];
    memset(p, 'x', sizeof(p));
    struct unix_addr a;
    cr_assert_eq(unix_addr_parse(&sa, mk(&sa, p, sizeof(p)), &a), 0);
    cr_assert_eq(a.namelen, UNIX_PATH_MAX);
    cr_assert_eq(a.name[UNIX_PATH_MAX], 0);
}

Test(unix_addr, abstract_keeps_nuls)
{
    struct sockaddr_un sa;
    struct unix_addr a;
    cr_assert_eq(unix_addr_parse(&sa, mk(&sa, "\0a\0b", 4), &a), 0);
    cr_assert_eq(a.kind, UNIX_ADDR_ABSTRACT);
    cr_assert_eq(a.namelen, 4);
    struct sockaddr_un out;
    cr_assert_eq(unix_addr_format(&a, &out), FAM + 4);
    cr_assert_eq(memcmp(out.sun_path, "\0a\0b", 4), 0);
}

Test(unix_addr, unnamed_and_errors)
{
    struct sockaddr_un sa;
    struct unix_addr a;
    cr_assert_eq(unix_addr_parse(&sa, mk(&sa, "", 0), &a), 0);
    cr_assert_eq(a.kind, UNIX_ADDR_UNNAMED);
    struct sockaddr_un out;
    cr_assert_eq(unix_addr_format(&a, &out), FAM);
    cr_assert_eq(out.sun_family, AF_UNIX);
    cr_assert_eq(unix_addr_parse(&sa, 1, &a), -EINVAL);
    cr_assert_eq(unix_addr_parse(&sa, sizeof(sa) + 1, &a), -EINVAL);
    sa.sun_family = AF_INET;
    cr_assert_eq(unix_addr_parse(&sa, FAM + 2, &a), -EINVAL);
}

Test(unix_addr, autobind_names_are_five_hex_digits)
{
    struct unix_addr a;
    unix_addr_autobind(0x1abcd, &a);
    cr_assert_eq(a.kind, UNIX_ADDR_ABSTRACT);
    cr_assert_eq(a.namelen, 6);
    cr_assert_eq(a.name[0], 0);
    cr_assert_eq(memcmp(a.name + 1, "1abcd", 5), 0);
    unix_addr_autobind(0x123456, &a); /* wraps to 20 bits */
    cr_assert_eq(memcmp(a.name + 1, "23456", 5), 0);
    struct sockaddr_un out;
    cr_assert_eq(unix_addr_format(&a, &out), FAM + 6);
}

Test(unix_addr, keys_do_not_collide_across_kinds)
{
    struct unix_addr a;
    unix_addr_autobind(1, &a);
    char k1[UNIX_KEY_MAX], k2[UNIX_KEY_MAX];
    size_t n1 = unix_key_abstract(&a, k1);
    size_t n2 = unix_key_inode(1, 2, k2);
    cr_assert(n1 != n2 || memcmp(k1, k2, n1) != 0);
    cr_assert_eq(k1[0], 'a');
    cr_assert_eq(k2[0], 'i');
    char k3[UNIX_KEY_MAX];
    cr_assert_eq(unix_key_inode(1, 3, k3), n2);
    cr_assert_neq(memcmp(k2, k3, n2), 0);
}
