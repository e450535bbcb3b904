/* The gofer protocol codec: builds requests and replies, and decodes them with every length checked
 * against the message, so a hostile peer's bytes are never read out of bounds (protocol.h). */
#include "gofer/protocol.h"

#include <errno.h>
#include <string.h>

/* The strings that follow an op's fixed request part. */
enum req_strs { STRS_NONE, STRS_NAME, STRS_TWO_NAMES, STRS_NAME_TARGET, STRS_WALK };
/* The variable part of an op's successful reply. */
enum rep_var { VAR_NONE, VAR_WALK, VAR_DIRENTS, VAR_TARGET };

struct op_layout {
    const char *name;
    uint16_t req_fixed;
    uint8_t req_strs;
    uint16_t rep_fixed;
    uint8_t rep_var;
    bool rep_fd;
};

#define OP(op, rq, strs, rp, var, fd) [GOFER_OP_##op] = {#op, rq, strs, rp, var, fd}
static const struct op_layout layouts[GOFER_OP_END] = {
    OP(HELLO, sizeof(struct gofer_hello_req), STRS_NONE, sizeof(struct gofer_hello_rep), VAR_NONE,
       false),
    OP(CHANNEL, 0, STRS_NONE, 0, VAR_NONE, true),
    OP(ATTACH, sizeof(struct gofer_attach_req), STRS_NONE, sizeof(struct gofer_entry), VAR_NONE,
       false),
    OP(WALK, sizeof(struct gofer_walk_req), STRS_WALK, sizeof(struct gofer_walk_rep), VAR_WALK,
       false),
    OP(OPEN, sizeof(struct gofer_open_req), STRS_NONE, 0, VAR_NONE, true),
    OP(CREATE, sizeof(struct gofer_create_req), STRS_NAME, sizeof(struct gofer_entry), VAR_NONE,
       true),
    OP(MKDIR, sizeof(struct gofer_mknode_req), STRS_NAME, sizeof(struct gofer_entry), VAR_NONE,
       false),
    OP(MKNOD, sizeof(struct gofer_mknode_req), STRS_NAME, sizeof(struct gofer_entry), VAR_NONE,
       false),
    OP(SYMLINK, sizeof(struct gofer_mknode_req), STRS_NAME_TARGET, sizeof(struct gofer_entry),
       VAR_NONE, false),
    OP(LINK, sizeof(struct gofer_rename_req), STRS_TWO_NAMES, sizeof(struct gofer_entry), VAR_NONE,
       false),
    OP(UNLINK, sizeof(struct gofer_unlink_req), STRS_NAME, 0, VAR_NONE, false),
    OP(RENAME, sizeof(struct gofer_rename_req), STRS_TWO_NAMES, 0, VAR_NONE, false),
    OP(READLINK, sizeof(struct gofer_fid_req), STRS_NONE, 0, VAR_TARGET, false),
    OP(STAT, sizeof(struct gofer_fid_req), STRS_NONE, sizeof(struct gofer_stat), VAR_NONE, false),
    OP(SETATTR, sizeof(struct gofer_setattr_req), STRS_NONE, sizeof(struct gofer_stat), VAR_NONE,
       false),
    OP(GETDENTS, sizeof(struct gofer_getdents_req), STRS_NONE, sizeof(struct gofer_getdents_rep),
       VAR_DIRENTS, false),
    OP(STATFS, sizeof(struct gofer_fid_req), STRS_NONE, sizeof(struct gofer_statfs), VAR_NONE,
       false),
    OP(BIND, sizeof(struct gofer_mknode_req), STRS_NAME, sizeof(struct gofer_entry), VAR_NONE,
       true),
    OP(CLUNK, sizeof(struct gofer_fid_req), STRS_NONE, 0, VAR_NONE, false),
};

_Static_assert(sizeof(struct gofer_req_hdr) == 8, "request header layout");
_Static_assert(sizeof(struct gofer_rep_hdr) == 12, "reply header layout");
_Static_assert(sizeof(struct gofer_stat) == 128, "stat layout");
_Static_assert(sizeof(struct gofer_setattr_req) == 64, "setattr layout");
_Static_assert(sizeof(struct gofer_dirent_wire) == 24, "dirent layout");
/* A WALK reply of GOFER_WALK_MAX entries always fits in one message. */
_Static_assert(sizeof(struct gofer_rep_hdr) + sizeof(struct gofer_walk_rep) +
                       GOFER_WALK_MAX * sizeof(struct gofer_entry) <=
                   GOFER_MSG_MAX,
               "WALK reply fits");

static const struct op_layout *layout(uint16_t op)
{
    if (op == 0 || op >= GOFER_OP_END)
        return NULL;
    return &layouts[op];
}

const char *gofer_op_name(uint16_t op)
{
    const struct op_layout *l = layout(op);
    return l ? l->name : "?";
}

bool gofer_op_replies_fd(uint16_t op)
{
    const struct op_layout *l = layout(op);
    return l && l->rep_fd;
}

bool gofer_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > GOFER_NAME_MAX)
        return false;
    if (memchr(s, '/', len) || memchr(s, '\0', len))
        return false;
    return !(s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')));
}

static bool target_valid(const char *s, size_t len)
{
    return len >= 1 && len <= GOFER_TARGET_MAX && !memchr(s, '\0', len);
}

/* ---- encoding ---- */

void gofer_enc_bytes(struct gofer_enc *e, const void *p, size_t n)
{
    if (e->overflow || n > e->cap - e->len) {
        e->overflow = true;
        return;
    }
    if (n)
        memcpy(e->buf + e->len, p, n);
    e->len += n;
}

static void enc_start(struct gofer_enc *e, void *buf, size_t cap)
{
    e->buf = buf;
    e->cap = cap < GOFER_MSG_MAX ? cap : GOFER_MSG_MAX;
    e->len = 0;
    e->overflow = false;
}

void gofer_enc_request(struct gofer_enc *e, void *buf, size_t cap, uint16_t op)
{
    struct gofer_req_hdr h = {.op = op};
    enc_start(e, buf, cap);
    gofer_enc_bytes(e, &h, sizeof(h));
}

void gofer_enc_reply(struct gofer_enc *e, void *buf, size_t cap, uint16_t op, int32_t err)
{
    struct gofer_rep_hdr h = {.op = op, .err = err};
    enc_start(e, buf, cap);
    gofer_enc_bytes(e, &h, sizeof(h));
}

void gofer_enc_str(struct gofer_enc *e, const char *s, size_t len)
{
    if (len > UINT16_MAX) {
        e->overflow = true;
        return;
    }
    uint16_t l16 = (uint16_t)len;
    gofer_enc_bytes(e, &l16, sizeof(l16));
    gofer_enc_bytes(e, s, len);
    gofer_enc_bytes(e, "", 1);
}

bool gofer_enc_dirent(struct gofer_enc *e, uint64_t ino, uint64_t next, uint32_t type,
                      const char *name, size_t len)
{
    struct gofer_dirent_wire w = {.ino = ino, .next = next, .type = type};
    if (e->overflow || len > UINT16_MAX || sizeof(w) + 2 + len + 1 > e->cap - e->len)
        return false;
    gofer_enc_bytes(e, &w, sizeof(w));
    gofer_enc_str(e, name, len);
    return true;
}

long gofer_enc_finish(struct gofer_enc *e)
{
    if (e->overflow || e->len < sizeof(uint32_t))
        return -EMSGSIZE;
    uint32_t size = (uint32_t)e->len;
    memcpy(e->buf, &size, sizeof(size));
    return (long)size;
}

long gofer_encode_request(const struct gofer_req *req, void *buf, size_t cap)
{
    const struct op_layout *l = layout(req->op);
    if (!l || req->nstrs > GOFER_WALK_MAX)
        return -EINVAL;
    struct gofer_enc e;
    gofer_enc_request(&e, buf, cap, req->op);
    gofer_enc_bytes(&e, &req->u, l->req_fixed);
    for (uint32_t i = 0; i < req->nstrs; i++)
        gofer_enc_str(&e, req->strs[i], req->lens[i]);
    return gofer_enc_finish(&e);
}

/* ---- decoding ---- */

/* A cursor over a received message. */
struct dec {
    const uint8_t *p;
    size_t len;
    size_t off;
    const char *why;
};

static bool dec_fail(struct dec *d, const char *why)
{
    d->why = why;
    return false;
}

static bool dec_bytes(struct dec *d, void *out, size_t n, const char *why)
{
    if (n > d->len - d->off)
        return dec_fail(d, why);
    memcpy(out, d->p + d->off, n);
    d->off += n;
    return true;
}

/* A string: uint16 length, the bytes, a NUL. */
static bool dec_str(struct dec *d, const char **s, uint16_t *len)
{
    uint16_t n;
    if (!dec_bytes(d, &n, sizeof(n), "string length past the end of the message"))
        return false;
    if ((size_t)n + 1 > d->len - d->off)
        return dec_fail(d, "string longer than the rest of the message");
    if (d->p[d->off + n] != '\0')
        return dec_fail(d, "string not NUL-terminated");
    *s = (const char *)d->p + d->off;
    *len = n;
    d->off += (size_t)n + 1;
    return true;
}

/* Checks the header common to requests and replies; returns the op's layout or NULL. */
static const struct op_layout *dec_header(struct dec *d, uint16_t *op)
{
    uint32_t size;
    uint16_t reserved;
    if (d->len < sizeof(struct gofer_req_hdr))
        return dec_fail(d, "shorter than a header"), NULL;
    if (d->len > GOFER_MSG_MAX)
        return dec_fail(d, "longer than the 64 KiB maximum"), NULL;
    memcpy(&size, d->p, sizeof(size));
    memcpy(op, d->p + 4, sizeof(*op));
    memcpy(&reserved, d->p + 6, sizeof(reserved));
    d->off = sizeof(struct gofer_req_hdr);
    if (size != d->len)
        return dec_fail(d, "size field does not match the message length"), NULL;
    if (reserved != 0)
        return dec_fail(d, "reserved header field is not 0"), NULL;
    const struct op_layout *l = layout(*op);
    if (!l)
        return dec_fail(d, "unknown op"), NULL;
    return l;
}

/* The verdicts: EPROTO closes the channel, EINVAL is replied. */
static long verdict(const char **why, const char *msg, long err)
{
    if (why)
        *why = msg;
    return err;
}

static long proto_error(const char **why, const char *msg)
{
    return verdict(why, msg, -EPROTO);
}

long gofer_decode_request(const void *buf, size_t len, struct gofer_req *out, const char **why)
{
    struct dec d = {.p = buf, .len = len};
    memset(out, 0, sizeof(*out));
    const struct op_layout *l = dec_header(&d, &out->op);
    if (!l)
        return proto_error(why, d.why);
    if (!dec_bytes(&d, &out->u, l->req_fixed, "shorter than the op's fixed part"))
        return proto_error(why, d.why);
    uint32_t n = l->req_strs == STRS_WALK   ? out->u.walk.nnames
                 : l->req_strs == STRS_NONE ? 0
                 : l->req_strs == STRS_NAME ? 1
                                            : 2;
    if (n == 0 && l->req_strs == STRS_WALK)
        return verdict(why, "WALK of no names", -EINVAL);
    if (n > GOFER_WALK_MAX)
        return verdict(why, "WALK of more than 64 names", -EINVAL);
    for (uint32_t i = 0; i < n; i++)
        if (!dec_str(&d, &out->strs[i], &out->lens[i]))
            return proto_error(why, d.why);
    if (d.off != d.len)
        return proto_error(why, "bytes after the last field");
    out->nstrs = n;
    for (uint32_t i = 0; i < n; i++) {
        bool is_target = l->req_strs == STRS_NAME_TARGET && i == 1;
        bool ok = is_target ? target_valid(out->strs[i], out->lens[i])
                            : gofer_name_valid(out->strs[i], out->lens[i]);
        if (!ok)
            return verdict(why, is_target ? "invalid symlink target" : "invalid name", -EINVAL);
    }
    return 0;
}

static bool dec_walk(struct dec *d, const struct gofer_walk_rep *w)
{
    if (w->nwalked > GOFER_WALK_MAX)
        return dec_fail(d, "WALK reply of more than 64 entries");
    if (w->walk_err < 0 || w->walk_err > GOFER_ERRNO_MAX)
        return dec_fail(d, "WALK reply's walk_err out of range");
    if (w->walk_err == 0 && w->nwalked == 0)
        return dec_fail(d, "WALK reply of no entries and no error");
    if (d->len - d->off != w->nwalked * sizeof(struct gofer_entry))
        return dec_fail(d, "WALK reply's size does not match its entry count");
    d->off = d->len;
    return true;
}

/* One GETDENTS entry at the cursor. */
static bool dec_dirent(struct dec *d, struct gofer_dirent_wire *w, const char **name, uint16_t *len)
{
    if (!dec_bytes(d, w, sizeof(*w), "GETDENTS entry past the end of the message") ||
        !dec_str(d, name, len))
        return false;
    if (w->type > UINT8_MAX || !gofer_name_valid(*name, *len))
        return dec_fail(d, "invalid GETDENTS entry");
    return true;
}

long gofer_decode_reply(const void *buf, size_t len, struct gofer_rep *out, const char **why)
{
    struct dec d = {.p = buf, .len = len};
    memset(out, 0, sizeof(*out));
    const struct op_layout *l = dec_header(&d, &out->op);
    if (!l)
        return proto_error(why, d.why);
    if (!dec_bytes(&d, &out->err, sizeof(out->err), "shorter than a reply header"))
        return proto_error(why, d.why);
    if (out->err != 0) {
        if (out->err < 0 || out->err > GOFER_ERRNO_MAX)
            return proto_error(why, "errno out of range");
        if (d.off != d.len)
            return proto_error(why, "error reply with a payload");
        return 0;
    }
    if (!dec_bytes(&d, &out->u, l->rep_fixed, "shorter than the op's reply"))
        return proto_error(why, d.why);
    out->var = d.p + d.off;
    out->var_len = d.len - d.off;
    switch (l->rep_var) {
    case VAR_WALK:
        if (!dec_walk(&d, &out->u.walk))
            return proto_error(why, d.why);
        break;
    case VAR_DIRENTS:
        for (uint32_t i = 0; i < out->u.getdents.nents; i++) {
            struct gofer_dirent_wire w;
            const char *name;
            uint16_t nlen;
            if (!dec_dirent(&d, &w, &name, &nlen))
                return proto_error(why, d.why);
        }
        break;
    case VAR_TARGET:
        if (!dec_str(&d, &out->target, &out->target_len))
            return proto_error(why, d.why);
        if (!target_valid(out->target, out->target_len))
            return proto_error(why, "invalid symlink target");
        break;
    }
    if (d.off != d.len)
        return proto_error(why, "bytes after the last field");
    return 0;
}

void gofer_rep_walk_entry(const struct gofer_rep *rep, uint32_t i, struct gofer_entry *out)
{
    memcpy(out, rep->var + (size_t)i * sizeof(*out), sizeof(*out));
}

bool gofer_rep_next_dirent(const struct gofer_rep *rep, size_t *off, struct gofer_dirent *out)
{
    struct dec d = {.p = rep->var, .len = rep->var_len, .off = *off};
    struct gofer_dirent_wire w;
    const char *name;
    uint16_t len;
    if (rep->op != GOFER_OP_GETDENTS || *off >= rep->var_len || !dec_dirent(&d, &w, &name, &len))
        return false;
    out->ino = w.ino;
    out->next = w.next;
    out->type = (uint8_t)w.type;
    out->name_len = len;
    memcpy(out->name, name, len);
    out->name[len] = '\0';
    *off = d.off;
    return true;
}
