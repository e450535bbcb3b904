/* The gofer wire protocol, shared by the gofer and the sentry's client (docs/gofer.md): op numbers,
 * message layouts, and the codec (gofer/protocol.c) that builds messages and checks every byte of
 * the ones it receives. Both ends run on the same host, so layouts are native x86-64 structs. */
#ifndef GOFER_PROTOCOL_H
#define GOFER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOFER_PROTOCOL_VERSION 1
#define GOFER_MSG_MAX          65536 /* a whole message, header included */
#define GOFER_NAME_MAX         255   /* one path component, bytes */
#define GOFER_WALK_MAX         64    /* components per WALK */
#define GOFER_TARGET_MAX       4095  /* a symlink target, bytes (PATH_MAX without the NUL) */
#define GOFER_ERRNO_MAX        4095  /* replies carry errnos in 1..4095 */
/* WALK's walk_err for a host mount of a kernel interface (procfs, sysfs, cgroup...) inside a
 * served tree: never served; the sentry shows an empty, read-only directory in its place. */
#define GOFER_ERR_MASKED       EREMOTE

enum gofer_op {
    GOFER_OP_HELLO = 1,
    GOFER_OP_CHANNEL,
    GOFER_OP_ATTACH,
    GOFER_OP_WALK,
    GOFER_OP_OPEN,
    GOFER_OP_CREATE,
    GOFER_OP_MKDIR,
    GOFER_OP_MKNOD,
    GOFER_OP_SYMLINK,
    GOFER_OP_LINK,
    GOFER_OP_UNLINK,
    GOFER_OP_RENAME,
    GOFER_OP_READLINK,
    GOFER_OP_STAT,
    GOFER_OP_SETATTR,
    GOFER_OP_GETDENTS,
    GOFER_OP_STATFS,
    GOFER_OP_BIND,
    GOFER_OP_CLUNK,
    GOFER_OP_END /* one past the last op */
};

/* ---- framing: every message starts with one of these ---- */

struct gofer_req_hdr {
    uint32_t size; /* the whole message, this header included */
    uint16_t op;
    uint16_t reserved; /* 0 */
};

struct gofer_rep_hdr {
    uint32_t size;
    uint16_t op;       /* the request's op */
    uint16_t reserved; /* 0 */
    int32_t err;       /* 0, or a positive Linux errno; then there is no payload */
};

/* Variable data follows an op's fixed struct as strings: uint16 length, that many bytes, one NUL
 * (so a receiver can use them in place). Pad fields: senders write 0, receivers ignore them. */

/* ---- shared payload structs ---- */

struct gofer_time {
    int64_t sec;
    uint32_t nsec;
    uint32_t pad;
};

/* What statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) says about a file. */
struct gofer_stat {
    uint64_t dev; /* makedev(stx_dev_major, stx_dev_minor) */
    uint64_t ino;
    uint64_t rdev;
    uint64_t size;
    uint64_t blocks;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint32_t blksize;
    uint32_t mask; /* STATX_* bits the host filled (btime is not always there) */
    struct gofer_time atime, mtime, ctime, btime;
};

/* A new fid and what it names. */
struct gofer_entry {
    uint64_t fid;
    struct gofer_stat st;
};

struct gofer_statfs {
    uint64_t type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags;
};

/* ---- request fixed parts (the strings that follow are listed per op) ---- */

struct gofer_hello_req {
    uint32_t version;
    uint32_t pad;
};

struct gofer_attach_req {
    uint32_t mount; /* index in the gofer's config "mounts" */
    uint32_t pad;
};

/* WALK: + nnames names */
struct gofer_walk_req {
    uint64_t dirfid;
    uint32_t nnames; /* 1..GOFER_WALK_MAX */
    uint32_t pad;
};

/* OPEN: flags = O_RDONLY/O_WRONLY/O_RDWR | O_DIRECTORY | O_TRUNC | O_APPEND */
struct gofer_open_req {
    uint64_t fid;
    uint32_t flags;
    uint32_t pad;
};

/* CREATE: + name. flags = access mode | O_APPEND; mode = permission bits (umask applied). */
struct gofer_create_req {
    uint64_t dirfid;
    uint32_t flags;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
};

/* MKDIR (+ name; mode = permission bits), MKNOD (+ name; mode = S_IFIFO or S_IFSOCK | bits),
 * SYMLINK (+ name + target; mode unused), BIND (+ name; mode = bits of the socket file;
 * sock_type = SOCK_STREAM/SOCK_DGRAM/SOCK_SEQPACKET). sock_type is 0 except for BIND. */
struct gofer_mknode_req {
    uint64_t dirfid;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    uint32_t sock_type;
};

/* LINK (+ oldname + newname; flags 0), RENAME (+ oldname + newname;
 * flags = RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) */
struct gofer_rename_req {
    uint64_t olddirfid;
    uint64_t newdirfid;
    uint32_t flags;
    uint32_t pad;
};

/* UNLINK: + name. flags = 0 or AT_REMOVEDIR */
struct gofer_unlink_req {
    uint64_t dirfid;
    uint32_t flags;
    uint32_t pad;
};

/* READLINK, STAT, STATFS, CLUNK */
struct gofer_fid_req {
    uint64_t fid;
};

#define GOFER_SETATTR_MODE      0x01u
#define GOFER_SETATTR_UID       0x02u
#define GOFER_SETATTR_GID       0x04u
#define GOFER_SETATTR_SIZE      0x08u
#define GOFER_SETATTR_ATIME     0x10u /* set atime to the given value */
#define GOFER_SETATTR_MTIME     0x20u
#define GOFER_SETATTR_ATIME_NOW 0x40u /* set atime to the host's now */
#define GOFER_SETATTR_MTIME_NOW 0x80u
#define GOFER_SETATTR_ALL       0xffu

struct gofer_setattr_req {
    uint64_t fid;
    uint32_t mask; /* GOFER_SETATTR_* */
    uint32_t mode; /* permission bits */
    uint32_t uid;
    uint32_t gid;
    uint64_t size;
    struct gofer_time atime, mtime;
};

/* GETDENTS: entries after `cookie` (0: from the start; else an entry's `next`). */
struct gofer_getdents_req {
    uint64_t fid;
    uint64_t cookie;
    uint32_t count; /* at most this many entries, >= 1 */
    uint32_t pad;
};

/* ---- reply fixed parts ---- */

struct gofer_hello_rep {
    uint32_t version;
    uint32_t nmounts;
};

/* WALK: + nwalked struct gofer_entry. err is 0 whenever the request was valid; walk_err says why
 * the walk stopped early (the errno of component nwalked: ENOENT, ENOTDIR after a non-directory
 * or a symlink, EXDEV at a host mount point, ...), 0 if all components were walked. */
struct gofer_walk_rep {
    uint32_t nwalked;
    int32_t walk_err;
};

/* GETDENTS: + nents × (struct gofer_dirent_wire + the name as a string); nents 0: the end. */
struct gofer_getdents_rep {
    uint32_t nents;
    uint32_t pad;
};

struct gofer_dirent_wire {
    uint64_t ino;
    uint64_t next; /* cookie of the entry after this one */
    uint32_t type; /* DT_* */
    uint32_t pad;
};

/* Replies per op: HELLO gofer_hello_rep; CHANNEL none + fd; ATTACH, CREATE (+ fd), MKDIR, MKNOD,
 * SYMLINK, LINK, BIND (+ fd) gofer_entry; WALK above; OPEN none + fd; UNLINK, RENAME, CLUNK none;
 * READLINK the target as a string; STAT, SETATTR gofer_stat; GETDENTS above; STATFS gofer_statfs.
 */

/* ---- decoded messages ---- */

struct gofer_req {
    uint16_t op;
    union {
        struct gofer_hello_req hello;
        struct gofer_attach_req attach;
        struct gofer_walk_req walk;
        struct gofer_open_req open;
        struct gofer_create_req create;
        struct gofer_mknode_req mknode; /* MKDIR, MKNOD, SYMLINK, BIND */
        struct gofer_rename_req rename; /* LINK, RENAME */
        struct gofer_unlink_req unlink;
        struct gofer_fid_req fid; /* READLINK, STAT, STATFS, CLUNK */
        struct gofer_setattr_req setattr;
        struct gofer_getdents_req getdents;
    } u;
    uint32_t nstrs; /* names (and a SYMLINK's target last), in message order */
    const char *strs[GOFER_WALK_MAX];
    uint16_t lens[GOFER_WALK_MAX];
};

struct gofer_rep {
    uint16_t op;
    int32_t err;
    union {
        struct gofer_hello_rep hello;
        struct gofer_entry entry;
        struct gofer_walk_rep walk;
        struct gofer_stat stat; /* STAT, SETATTR */
        struct gofer_statfs statfs;
        struct gofer_getdents_rep getdents;
    } u;
    const uint8_t *var; /* WALK entries or GETDENTS entries, inside the decoded buffer */
    size_t var_len;
    const char *target; /* READLINK: NUL-terminated, inside the decoded buffer */
    uint16_t target_len;
};

/* A directory entry, as the client hands it out. */
struct gofer_dirent {
    uint64_t ino;
    uint64_t next;
    uint8_t type;
    uint16_t name_len;
    char name[GOFER_NAME_MAX + 1];
};

/* ---- encoding ---- */

/* A message under construction in a caller's buffer; appends past the end set `overflow`. */
struct gofer_enc {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

void gofer_enc_request(struct gofer_enc *e, void *buf, size_t cap, uint16_t op);
void gofer_enc_reply(struct gofer_enc *e, void *buf, size_t cap, uint16_t op, int32_t err);
void gofer_enc_bytes(struct gofer_enc *e, const void *p, size_t n);
void gofer_enc_str(struct gofer_enc *e, const char *s, size_t len);
/* Appends one GETDENTS entry if it fits whole; returns false (appending nothing) if not. */
bool gofer_enc_dirent(struct gofer_enc *e, uint64_t ino, uint64_t next, uint32_t type,
                      const char *name, size_t len);
/* Writes the size into the header; returns it, or -EMSGSIZE if anything did not fit. */
long gofer_enc_finish(struct gofer_enc *e);

/* The whole request: header, req->u's fixed part for req->op, then req->strs. Returns the size or
 * -EMSGSIZE / -EINVAL (unknown op, a string longer than 65535 bytes, too many strings). */
long gofer_encode_request(const struct gofer_req *req, void *buf, size_t cap);

/* ---- decoding: every length is checked; nothing is read outside [buf, buf + len) ---- */

/* Returns 0; -EPROTO if the message is malformed (the channel must be closed); or -EINVAL if it is
 * well formed but an argument is invalid (a bad name, too many names: reply EINVAL to out->op).
 * *why names the problem (a static string) when the result is not 0. */
long gofer_decode_request(const void *buf, size_t len, struct gofer_req *out, const char **why);

/* Returns 0 or -EPROTO (*why says why). out->var and out->target point into buf. */
long gofer_decode_reply(const void *buf, size_t len, struct gofer_rep *out, const char **why);

/* Entry i (< rep->u.walk.nwalked) of a decoded WALK reply. */
void gofer_rep_walk_entry(const struct gofer_rep *rep, uint32_t i, struct gofer_entry *out);

/* The next GETDENTS entry at *off (start at 0); false at the end. */
bool gofer_rep_next_dirent(const struct gofer_rep *rep, size_t *off, struct gofer_dirent *out);

/* One path component: 1..255 bytes, no '/', no NUL, not "." or "..". */
bool gofer_name_valid(const char *s, size_t len);

/* "WALK", ...; "?" for an unknown op. */
const char *gofer_op_name(uint16_t op);

/* Whether a successful reply to op carries an fd (CHANNEL, OPEN, CREATE, BIND). */
bool gofer_op_replies_fd(uint16_t op);

#endif
