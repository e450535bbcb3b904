/* The gofer's internals: its state (mounts, fid table, channels), the host helpers every op handler
 * uses, and one handler per protocol op (gofer/ops_*.c). Not for the sentry: it sees protocol.h. */
#ifndef GOFER_SERVER_H
#define GOFER_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gofer/gofer.h"
#include "gofer/protocol.h"

#define GOFER_CHANNELS_MAX 128
#define GOFER_FIDS_MAX     (1u << 20)

struct gofer_mount {
    int root_fd; /* O_PATH | O_DIRECTORY */
    bool readonly;
};

/* A fid: an O_PATH | O_NOFOLLOW fd on one inode the sentry reached by walking. */
struct gofer_fid {
    int fd;       /* -1: the slot is free */
    int dir_fd;   /* GETDENTS: an O_RDONLY | O_DIRECTORY reopen of fd, or -1 */
    uint32_t gen; /* the fid's upper 32 bits; changes when the slot is reused */
    uint32_t mount;
    uint32_t type; /* S_IFMT bits, fixed for an inode's life */
    uint32_t next_free;
};

struct gofer_server {
    struct gofer_mount mounts[GOFER_MOUNTS_MAX];
    unsigned nmounts;
    int proc_self_fd; /* /proc/self/fd: reopens O_PATH fds with real access modes */
    int cwd_fd;       /* where BIND returns after its fchdir */
    struct gofer_fid *fids;
    uint32_t nfids; /* slots in use or freed; fids[nfids..capfids) are untouched */
    uint32_t capfids;
    uint32_t free_head; /* 1 + index of the first free slot, 0: none */
    int channels[GOFER_CHANNELS_MAX];
    unsigned nchannels;
};

/* ---- setup and the serving loop (server.c) ---- */

int gofer_server_init(struct gofer_server *s, struct gofer_err *e);
int gofer_server_add_mount(struct gofer_server *s, const char *host_path, bool readonly,
                           struct gofer_err *e);
/* Closes every fid, channel and root fd. */
void gofer_server_destroy(struct gofer_server *s);
/* Serves fd (a SOCK_SEQPACKET socket, made non-blocking here) from now on: 0 or -EMFILE. */
long gofer_server_add_channel(struct gofer_server *s, int fd);
/* Serves all channels until none is left. */
void gofer_serve(struct gofer_server *s);

/* ---- one message (dispatch.c) ---- */

/* Handles one request: writes the reply into rep (GOFER_MSG_MAX bytes) and returns its size, with
 * *fd_out an fd to send along (the caller closes it after sending) or -1. Returns -EPROTO for a
 * malformed message (the caller closes the channel; *why names the problem). */
long gofer_handle(struct gofer_server *s, const void *msg, size_t len, void *rep, int *fd_out,
                  const char **why);

/* ---- the fid table (fids.c) ---- */

/* What an op needs of a fid before it may touch it. */
#define FID_DIR      0x1u /* a directory (else ENOTDIR) */
#define FID_WRITABLE 0x2u /* on a read-write mount (else EROFS) */

/* Copies fid's slot to *out after checking `need`: 0, -EBADF, -ENOTDIR or -EROFS. A copy, because
 * fid_new may move the table. */
long fid_find(struct gofer_server *s, uint64_t fid, unsigned need, struct gofer_fid *out);
/* The slot itself (valid until the next fid_new), or NULL. */
struct gofer_fid *fid_slot(struct gofer_server *s, uint64_t fid);
/* Two directory fids for LINK and RENAME: both on the same mount (EXDEV) and writable (EROFS). */
long fid_find_pair(struct gofer_server *s, uint64_t a, uint64_t b, struct gofer_fid *fa,
                   struct gofer_fid *fb);
/* Stats fd (an O_PATH fd the caller opened; the table takes it, closing it on failure) and makes
 * it a fid on mount: fills *ent. */
long fid_new(struct gofer_server *s, int fd, uint32_t mount, struct gofer_entry *ent);
/* fid_new, then appends the entry to the reply. */
long fid_reply_new(struct gofer_server *s, int fd, uint32_t mount, struct gofer_enc *rep);
long fid_clunk(struct gofer_server *s, uint64_t fid);
/* Clunks every fid. */
void fid_clunk_all(struct gofer_server *s);

/* ---- host calls (host.c): each returns an fd or 0, or -errno ---- */

/* One component from dirfd, never following a symlink or leaving the host mount. */
int host_walk1(int dirfd, const char *name);
/* host_walk1 with O_CREAT | O_EXCL: a new regular file, opened with flags. */
int host_create1(int dirfd, const char *name, int flags, mode_t mode);
/* The inode behind fd opened again with flags, through /proc/self/fd. */
int host_reopen(const struct gofer_server *s, int fd, int flags);
long host_stat(int fd, struct gofer_stat *st);
/* chmod of the inode behind fd (not a symlink), with fchmodat2 or a /proc/self/fd fallback. */
long host_chmod(const struct gofer_server *s, int fd, mode_t mode);

/* ---- op handlers: each returns 0 with its payload appended to rep, or -errno ---- */

typedef long (*gofer_handler)(struct gofer_server *s, const struct gofer_req *req,
                              struct gofer_enc *rep, int *fd_out);

long op_hello(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out);
long op_channel(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                int *fd_out);
long op_attach(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out);
long op_clunk(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out);
long op_walk(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out);
long op_stat(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out);
long op_readlink(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                 int *fd_out);
long op_statfs(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out);
long op_getdents(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                 int *fd_out);
long op_open(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out);
long op_create(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out);
long op_mkdir(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out);
long op_mknod(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out);
long op_symlink(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                int *fd_out);
long op_link(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out);
long op_bind(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out);
long op_unlink(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out);
long op_rename(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out);
long op_setattr(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                int *fd_out);

/* One line on stderr: "moat gofer: ...". */
void gofer_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
