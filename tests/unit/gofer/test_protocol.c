/* Unit tests of gofer/protocol.c: every op's request and reply survive encode + decode unchanged,
 * and malformed or invalid messages are refused with the right verdict (EPROTO: close the channel;
 * EINVAL: reply EINVAL). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "gofer/protocol.h"

static uint8_t buf[GOFER_MSG_MAX + 64];

/* A request for op with distinctive field values and the strings the op takes. */
static struct gofer_req sample_request(uint16_t op)
{
    struct gofer_req r;
    memset(&r, 0, sizeof(r));
    r.op = op;
    memset(&r.u, 0, sizeof(r.u));
    switch (op) {
    case GOFER_OP_HELLO:
        r.u.hello.version = GOFER_PROTOCOL_VERSION;
        break;
    case GOFER_OP_ATTACH:
        r.u.attach.mount = 3;
        break;
    case GOFER_OP_WALK:
        r.u.walk.dirfid = 0x100000007ull;
        r.u.walk.nnames = 3;
        r.nstrs = 3;
        r.strs[0] = "usr", r.strs[1] = "lib", r.strs[2] = "x86_64-linux-gnu";
        break;
    case GOFER_OP_OPEN:
        r.u.open = (struct gofer_open_req){.fid = 42, .flags = O_RDWR | O_APPEND};
        break;
    case GOFER_OP_CREATE:
        r.u.create = (struct gofer_create_req){9, O_WRONLY, 0640, 1000, 100};
        r.nstrs = 1;
        r.strs[0] = "new file";
        break;
    case GOFER_OP_MKDIR:
    case GOFER_OP_MKNOD:
    case GOFER_OP_BIND:
        r.u.mknode = (struct gofer_mknode_req){11, 0755, 1, 2, op == GOFER_OP_BIND ? 5 : 0};
        r.nstrs = 1;
        r.strs[0] = "node";
        break;
    case GOFER_OP_SYMLINK:
        r.u.mknode = (struct gofer_mknode_req){11, 0, 1, 2, 0};
        r.nstrs = 2;
        r.strs[0] = "link";
        r.strs[1] = "../../some/where/..";
        break;
    case GOFER_OP_LINK:
    case GOFER_OP_RENAME:
        r.u.rename = (struct gofer_rename_req){12, 13, op == GOFER_OP_RENAME ? 1 : 0, 0};
        r.nstrs = 2;
        r.strs[0] = "old";
        r.strs[1] = "new";
        break;
    case GOFER_OP_UNLINK:
        r.u.unlink = (struct gofer_unlink_req){.dirfid = 14, .flags = AT_REMOVEDIR};
        r.nstrs = 1;
        r.strs[0] = "gone";
        break;
    case GOFER_OP_READLINK:
    case GOFER_OP_STAT:
    case GOFER_OP_STATFS:
    case GOFER_OP_CLUNK:
        r.u.fid.fid = 0xabcdef0123ull;
        break;
    case GOFER_OP_SETATTR:
        r.u.setattr = (struct gofer_setattr_req){
            15,       GOFER_SETATTR_ALL & ~GOFER_SETATTR_ATIME_NOW, 0600, 7, 8, 1 << 20, {1, 2, 0},
            {3, 4, 0}};
        break;
    case GOFER_OP_GETDENTS:
        r.u.getdents = (struct gofer_getdents_req){.fid = 16, .cookie = 99, .count = 10};
        break;
    }
    for (uint32_t i = 0; i < r.nstrs; i++)
        r.lens[i] = (uint16_t)strlen(r.strs[i]);
    return r;
}

Test(protocol, every_request_round_trips)
{
    for (uint16_t op = GOFER_OP_HELLO; op < GOFER_OP_END; op++) {
        struct gofer_req in = sample_request(op), out;
        long len = gofer_encode_request(&in, buf, sizeof(buf));
        cr_assert_gt(len, 0, "%s", gofer_op_name(op));
        const char *why = NULL;
        cr_assert_eq(gofer_decode_request(buf, (size_t)len, &out, &why), 0, "%s: %s",
                     gofer_op_name(op), why);
        cr_expect_eq(out.op, op);
        cr_expect_eq(memcmp(&out.u, &in.u, sizeof(in.u)), 0, "%s fixed part", gofer_op_name(op));
        cr_assert_eq(out.nstrs, in.nstrs, "%s", gofer_op_name(op));
        for (uint32_t i = 0; i < in.nstrs; i++) {
            cr_expect_eq(out.lens[i], in.lens[i]);
            cr_expect_str_eq(out.strs[i], in.strs[i]); /* NUL-terminated in place */
            cr_expect(out.strs[i] >= (const char *)buf && out.strs[i] < (const char *)buf + len);
        }
    }
    cr_expect_str_eq(gofer_op_name(GOFER_OP_GETDENTS), "GETDENTS");
    cr_expect_str_eq(gofer_op_name(0), "?");
    cr_expect_str_eq(gofer_op_name(GOFER_OP_END), "?");
}

Test(protocol, walk_of_sixty_four_names_round_trips)
{
    struct gofer_req in = sample_request(GOFER_OP_WALK), out;
    in.u.walk.nnames = in.nstrs = GOFER_WALK_MAX;
    static char names[GOFER_WALK_MAX][GOFER_NAME_MAX + 1];
    for (int i = 0; i < GOFER_WALK_MAX; i++) {
        memset(names[i], 'a' + i % 26, GOFER_NAME_MAX);
        in.strs[i] = names[i];
        in.lens[i] = GOFER_NAME_MAX;
    }
    long len = gofer_encode_request(&in, buf, sizeof(buf));
    cr_assert_gt(len, 0);
    cr_assert_eq(gofer_decode_request(buf, (size_t)len, &out, NULL), 0);
    cr_assert_eq(out.nstrs, GOFER_WALK_MAX);
    cr_expect_eq(memcmp(out.strs[63], names[63], GOFER_NAME_MAX + 1), 0);
}

/* Encodes a sample request, lets `mutate` change the bytes, and returns the decode's verdict. */
static long decode_mutated(uint16_t op, void (*mutate)(uint8_t *m, long *len), const char **why)
{
    struct gofer_req in = sample_request(op), out;
    long len = gofer_encode_request(&in, buf, sizeof(buf));
    cr_assert_gt(len, 0);
    mutate(buf, &len);
    return gofer_decode_request(buf, (size_t)len, &out, why);
}

static void set_size(uint8_t *m, uint32_t size)
{
    memcpy(m, &size, 4);
}

static void truncate_by_one(uint8_t *m, long *len)
{
    set_size(m, (uint32_t)-- * len);
}

Test(protocol, truncated_requests_are_malformed)
{
    for (uint16_t op = GOFER_OP_HELLO; op < GOFER_OP_END; op++) {
        if (op == GOFER_OP_CHANNEL)
            continue; /* nothing after the header to cut */
        const char *why = NULL;
        cr_expect_eq(decode_mutated(op, truncate_by_one, &why), -EPROTO, "%s", gofer_op_name(op));
        cr_expect_not_null(why);
    }
    struct gofer_req out;
    cr_expect_eq(gofer_decode_request(buf, 0, &out, NULL), -EPROTO);
    cr_expect_eq(gofer_decode_request(buf, 7, &out, NULL), -EPROTO);
}

static void size_too_big(uint8_t *m, long *len)
{
    set_size(m, (uint32_t)*len + 1);
}

static void size_too_small(uint8_t *m, long *len)
{
    set_size(m, (uint32_t)*len - 1);
}

static void extra_byte(uint8_t *m, long *len)
{
    m[(*len)++] = 0;
    set_size(m, (uint32_t)*len);
}

static void reserved_set(uint8_t *m, long *len)
{
    m[6] = 1;
}

static void unknown_op(uint8_t *m, long *len)
{
    m[4] = GOFER_OP_END;
}

static void oversized(uint8_t *m, long *len)
{
    *len = GOFER_MSG_MAX + 8;
    set_size(m, (uint32_t)*len);
}

Test(protocol, wrong_sizes_are_malformed)
{
    void (*mutations[])(uint8_t *, long *) = {size_too_big, size_too_small, extra_byte,
                                              reserved_set, unknown_op,     oversized};
    for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
        const char *why = NULL;
        cr_expect_eq(decode_mutated(GOFER_OP_UNLINK, mutations[i], &why), -EPROTO, "mutation %zu",
                     i);
        cr_expect_eq(decode_mutated(GOFER_OP_STAT, mutations[i], &why), -EPROTO, "mutation %zu", i);
    }
}

/* Offset of the first string's length field in a sample UNLINK. */
#define UNLINK_STR (sizeof(struct gofer_req_hdr) + sizeof(struct gofer_unlink_req))

static void oversized_string_length(uint8_t *m, long *len)
{
    uint16_t n = 0xffff;
    memcpy(m + UNLINK_STR, &n, 2);
}

static void string_not_terminated(uint8_t *m, long *len)
{
    m[*len - 1] = 'x';
}

static void string_length_past_end(uint8_t *m, long *len)
{
    uint16_t n = (uint16_t)(*len - UNLINK_STR - 2); /* counts the NUL as a name byte */
    memcpy(m + UNLINK_STR, &n, 2);
}

Test(protocol, oversized_string_lengths_are_malformed)
{
    cr_expect_eq(decode_mutated(GOFER_OP_UNLINK, oversized_string_length, NULL), -EPROTO);
    cr_expect_eq(decode_mutated(GOFER_OP_UNLINK, string_not_terminated, NULL), -EPROTO);
    cr_expect_eq(decode_mutated(GOFER_OP_UNLINK, string_length_past_end, NULL), -EPROTO);
}

/* Decodes an UNLINK of the given name bytes (len of them). */
static long decode_name(const char *name, uint16_t len)
{
    struct gofer_req in = sample_request(GOFER_OP_UNLINK), out;
    in.strs[0] = name;
    in.lens[0] = len;
    long n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_assert_gt(n, 0);
    const char *why = NULL;
    long rc = gofer_decode_request(buf, (size_t)n, &out, &why);
    if (rc == -EINVAL)
        cr_expect_eq(out.op, GOFER_OP_UNLINK); /* so the gofer can reply to it */
    return rc;
}

Test(protocol, bad_names_are_invalid)
{
    char n256[256], n255[255];
    memset(n256, 'x', sizeof(n256));
    memset(n255, 'x', sizeof(n255));
    cr_expect_eq(decode_name("", 0), -EINVAL);
    cr_expect_eq(decode_name(".", 1), -EINVAL);
    cr_expect_eq(decode_name("..", 2), -EINVAL);
    cr_expect_eq(decode_name("a/b", 3), -EINVAL);
    cr_expect_eq(decode_name("/", 1), -EINVAL);
    cr_expect_eq(decode_name("a\0b", 3), -EINVAL);
    cr_expect_eq(decode_name(n256, 256), -EINVAL);
    cr_expect_eq(decode_name(n255, 255), 0);
    cr_expect_eq(decode_name("...", 3), 0);
    cr_expect_eq(decode_name(".hidden", 7), 0);
    cr_expect_eq(decode_name("..x", 3), 0);
    cr_expect(gofer_name_valid("a", 1));
    cr_expect(!gofer_name_valid("a/", 2));
}

Test(protocol, bad_names_anywhere_in_a_request_are_invalid)
{
    struct gofer_req in = sample_request(GOFER_OP_RENAME), out;
    in.strs[1] = "..";
    in.lens[1] = 2;
    long n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    in = sample_request(GOFER_OP_WALK);
    in.strs[2] = "x/y";
    in.lens[2] = 3;
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    /* A symlink target may hold '/' and "..", but not a NUL, nor be empty or over PATH_MAX. */
    in = sample_request(GOFER_OP_SYMLINK);
    in.strs[1] = "a\0b";
    in.lens[1] = 3;
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    in.strs[1] = "";
    in.lens[1] = 0;
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    static char target[GOFER_TARGET_MAX + 1];
    memset(target, 'x', sizeof(target));
    in.strs[1] = target;
    in.lens[1] = GOFER_TARGET_MAX + 1;
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    in.lens[1] = GOFER_TARGET_MAX;
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), 0);
}

Test(protocol, walk_name_counts)
{
    struct gofer_req in = sample_request(GOFER_OP_WALK), out;
    in.u.walk.nnames = 0;
    in.nstrs = 0;
    long n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    in = sample_request(GOFER_OP_WALK);
    in.u.walk.nnames = GOFER_WALK_MAX + 1; /* too many names */
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    in.u.walk.nnames = 0xffffffffu;
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EINVAL);
    in.u.walk.nnames = 4; /* one more than the message holds */
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EPROTO);
    in.u.walk.nnames = 2; /* one fewer: a string is left over */
    n = gofer_encode_request(&in, buf, sizeof(buf));
    cr_expect_eq(gofer_decode_request(buf, (size_t)n, &out, NULL), -EPROTO);
}

Test(protocol, encoder_refuses_what_does_not_fit)
{
    struct gofer_req in = sample_request(GOFER_OP_UNLINK);
    cr_expect_eq(gofer_encode_request(&in, buf, 10), -EMSGSIZE);
    in.op = 0;
    cr_expect_eq(gofer_encode_request(&in, buf, sizeof(buf)), -EINVAL);
    struct gofer_enc e;
    gofer_enc_request(&e, buf, sizeof(buf), GOFER_OP_SYMLINK);
    static char huge[70000];
    gofer_enc_str(&e, huge, sizeof(huge));
    cr_expect_eq(gofer_enc_finish(&e), -EMSGSIZE);
}

/* ---- replies ---- */

static struct gofer_stat sample_stat(uint64_t ino)
{
    struct gofer_stat st;
    memset(&st, 0, sizeof(st));
    st.dev = 0x803;
    st.ino = ino;
    st.mode = 0100644;
    st.nlink = 1;
    st.size = 12345;
    st.mtime.sec = 1700000000;
    st.mtime.nsec = 999999999;
    return st;
}

/* A successful reply to op built with the encoder, decoded back. */
static void reply_round_trip(uint16_t op, struct gofer_rep *out)
{
    struct gofer_enc e;
    gofer_enc_reply(&e, buf, sizeof(buf), op, 0);
    struct gofer_entry ent = {.fid = 0x200000001ull, .st = sample_stat(77)};
    switch (op) {
    case GOFER_OP_HELLO: {
        struct gofer_hello_rep h = {GOFER_PROTOCOL_VERSION, 2};
        gofer_enc_bytes(&e, &h, sizeof(h));
        break;
    }
    case GOFER_OP_ATTACH:
    case GOFER_OP_CREATE:
    case GOFER_OP_MKDIR:
    case GOFER_OP_MKNOD:
    case GOFER_OP_SYMLINK:
    case GOFER_OP_LINK:
    case GOFER_OP_BIND:
        gofer_enc_bytes(&e, &ent, sizeof(ent));
        break;
    case GOFER_OP_WALK: {
        struct gofer_walk_rep w = {2, ENOENT};
        gofer_enc_bytes(&e, &w, sizeof(w));
        gofer_enc_bytes(&e, &ent, sizeof(ent));
        ent.fid++;
        gofer_enc_bytes(&e, &ent, sizeof(ent));
        break;
    }
    case GOFER_OP_READLINK:
        gofer_enc_str(&e, "/etc/shadow", 11);
        break;
    case GOFER_OP_STAT:
    case GOFER_OP_SETATTR:
        gofer_enc_bytes(&e, &ent.st, sizeof(ent.st));
        break;
    case GOFER_OP_GETDENTS: {
        struct gofer_getdents_rep g = {2, 0};
        gofer_enc_bytes(&e, &g, sizeof(g));
        cr_assert(gofer_enc_dirent(&e, 5, 100, 4, "sub", 3));
        cr_assert(gofer_enc_dirent(&e, 6, 200, 8, "file.txt", 8));
        break;
    }
    case GOFER_OP_STATFS: {
        struct gofer_statfs sf = {.type = 0xef53, .bsize = 4096, .namelen = 255};
        gofer_enc_bytes(&e, &sf, sizeof(sf));
        break;
    }
    }
    long len = gofer_enc_finish(&e);
    cr_assert_gt(len, 0);
    const char *why = NULL;
    cr_assert_eq(gofer_decode_reply(buf, (size_t)len, out, &why), 0, "%s reply: %s",
                 gofer_op_name(op), why);
    cr_assert_eq(out->op, op);
    cr_assert_eq(out->err, 0);
}

Test(protocol, every_reply_round_trips)
{
    struct gofer_stat st = sample_stat(77);
    for (uint16_t op = GOFER_OP_HELLO; op < GOFER_OP_END; op++) {
        struct gofer_rep r;
        reply_round_trip(op, &r);
        switch (op) {
        case GOFER_OP_HELLO:
            cr_expect_eq(r.u.hello.nmounts, 2);
            break;
        case GOFER_OP_ATTACH:
        case GOFER_OP_CREATE:
        case GOFER_OP_BIND:
            cr_expect_eq(r.u.entry.fid, 0x200000001ull);
            cr_expect_eq(memcmp(&r.u.entry.st, &st, sizeof(st)), 0);
            break;
        case GOFER_OP_WALK: {
            struct gofer_entry e;
            cr_expect_eq(r.u.walk.nwalked, 2);
            cr_expect_eq(r.u.walk.walk_err, ENOENT);
            gofer_rep_walk_entry(&r, 1, &e);
            cr_expect_eq(e.fid, 0x200000002ull);
            cr_expect_eq(e.st.mtime.nsec, 999999999);
            break;
        }
        case GOFER_OP_READLINK:
            cr_expect_eq(r.target_len, 11);
            cr_expect_str_eq(r.target, "/etc/shadow");
            break;
        case GOFER_OP_STAT:
            cr_expect_eq(memcmp(&r.u.stat, &st, sizeof(st)), 0);
            break;
        case GOFER_OP_GETDENTS: {
            struct gofer_dirent d;
            size_t off = 0;
            cr_assert(gofer_rep_next_dirent(&r, &off, &d));
            cr_expect_eq(d.ino, 5);
            cr_expect_eq(d.next, 100);
            cr_expect_eq(d.type, 4);
            cr_expect_str_eq(d.name, "sub");
            cr_assert(gofer_rep_next_dirent(&r, &off, &d));
            cr_expect_str_eq(d.name, "file.txt");
            cr_expect_eq(d.name_len, 8);
            cr_expect(!gofer_rep_next_dirent(&r, &off, &d));
            break;
        }
        case GOFER_OP_STATFS:
            cr_expect_eq(r.u.statfs.type, 0xef53);
            break;
        }
    }
}

Test(protocol, error_replies)
{
    struct gofer_enc e;
    struct gofer_rep r;
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_OPEN, ELOOP);
    long len = gofer_enc_finish(&e);
    cr_assert_eq(len, sizeof(struct gofer_rep_hdr));
    cr_assert_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), 0);
    cr_expect_eq(r.err, ELOOP);
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_OPEN, ENOENT);
    gofer_enc_bytes(&e, "xxxx", 4); /* an error carries no payload */
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_OPEN, -5);
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_OPEN, 5000);
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
}

Test(protocol, malformed_replies)
{
    struct gofer_rep r;
    struct gofer_enc e;
    /* A WALK reply claiming more entries than it holds. */
    struct gofer_walk_rep w = {3, 0};
    struct gofer_entry ent = {0};
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_WALK, 0);
    gofer_enc_bytes(&e, &w, sizeof(w));
    gofer_enc_bytes(&e, &ent, sizeof(ent));
    long len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    /* ... more than a WALK may walk, or none without an error. */
    w = (struct gofer_walk_rep){65, 0};
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_WALK, 0);
    gofer_enc_bytes(&e, &w, sizeof(w));
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    w = (struct gofer_walk_rep){0, 0};
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_WALK, 0);
    gofer_enc_bytes(&e, &w, sizeof(w));
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    /* GETDENTS: a count beyond the entries, and an entry named "..". */
    struct gofer_getdents_rep g = {2, 0};
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_GETDENTS, 0);
    gofer_enc_bytes(&e, &g, sizeof(g));
    gofer_enc_dirent(&e, 1, 2, 3, "a", 1);
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    g.nents = 1;
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_GETDENTS, 0);
    gofer_enc_bytes(&e, &g, sizeof(g));
    gofer_enc_dirent(&e, 1, 2, 3, "..", 2);
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    /* A STAT reply one byte short, and a truncated header. */
    struct gofer_stat st = {0};
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_STAT, 0);
    gofer_enc_bytes(&e, &st, sizeof(st) - 1);
    len = gofer_enc_finish(&e);
    cr_expect_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), -EPROTO);
    gofer_enc_reply(&e, buf, sizeof(buf), GOFER_OP_STAT, 0);
    uint32_t ten = 10;
    memcpy(buf, &ten, 4);
    cr_expect_eq(gofer_decode_reply(buf, 10, &r, NULL), -EPROTO);
}

Test(protocol, dirents_stop_when_the_message_is_full)
{
    struct gofer_enc e;
    gofer_enc_reply(&e, buf, GOFER_MSG_MAX, GOFER_OP_GETDENTS, 0);
    struct gofer_getdents_rep g = {0, 0};
    gofer_enc_bytes(&e, &g, sizeof(g));
    char name[GOFER_NAME_MAX];
    memset(name, 'z', sizeof(name));
    uint32_t n = 0;
    while (gofer_enc_dirent(&e, n, n + 1, 8, name, sizeof(name)))
        n++;
    cr_assert_gt(n, 200);
    cr_assert(!e.overflow); /* a refused entry leaves the message intact */
    g.nents = n;
    memcpy(buf + sizeof(struct gofer_rep_hdr), &g, sizeof(g));
    long len = gofer_enc_finish(&e);
    cr_assert_leq(len, GOFER_MSG_MAX);
    struct gofer_rep r;
    cr_assert_eq(gofer_decode_reply(buf, (size_t)len, &r, NULL), 0);
    cr_expect_eq(r.u.getdents.nents, n);
    cr_expect(gofer_op_replies_fd(GOFER_OP_OPEN) && gofer_op_replies_fd(GOFER_OP_CHANNEL) &&
              gofer_op_replies_fd(GOFER_OP_CREATE) && gofer_op_replies_fd(GOFER_OP_BIND) &&
              !gofer_op_replies_fd(GOFER_OP_STAT));
}
