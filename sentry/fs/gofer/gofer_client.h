/* The sentry's client of the gofer (docs/gofer.md): one synchronous call per protocol op, each
 * returning 0 (or a count) or a negative Linux errno. Thread-safe: every call borrows a channel
 * from a pool, so threads never wait on each other's requests. Once the gofer dies, or breaks the
 * protocol, every call returns -EIO. */
#ifndef SENTRY_FS_GOFER_GOFER_CLIENT_H
#define SENTRY_FS_GOFER_GOFER_CLIENT_H

#include <stdint.h>

#include "gofer/protocol.h"

#define GOFER_CLIENT_CHANNELS_MAX 64

struct gofer_client;

/* Takes sock_fd (the gofer's --socket-fd peer; closed on failure too), says HELLO on it, and keeps
 * it as the control channel that makes the pooled ones. */
int gofer_client_new(int sock_fd, struct gofer_client **out);
/* Closes every channel; no call may be in flight. */
void gofer_client_free(struct gofer_client *c);
/* The number of mounts the gofer serves (ids 0..n-1). */
unsigned gofer_client_nmounts(const struct gofer_client *c);

long gofer_attach(struct gofer_client *c, unsigned mount, uint64_t *fid, struct gofer_stat *st);
/* Walks names[0..n) (1..GOFER_WALK_MAX components) from dirfid: fids[i], stats[i] for the
 * *nwalked components walked; *walk_err is why it stopped early (ENOENT, ENOTDIR after a
 * non-directory or a symlink, ...) or 0. Returns 0 if the request itself was valid. */
long gofer_walk(struct gofer_client *c, uint64_t dirfid, const char *const *names, int n,
                uint64_t *fids, struct gofer_stat *stats, int *nwalked, int *walk_err);
/* A host fd on fid's file: flags = access mode | O_DIRECTORY | O_TRUNC | O_APPEND. A FIFO comes
 * back O_NONBLOCK (the gofer never blocks); clear it if the application did not ask for it. */
long gofer_open(struct gofer_client *c, uint64_t fid, int flags, int *host_fd);
/* A new regular file (O_EXCL semantics), owned by uid:gid, and an fd open on it with flags. */
long gofer_create(struct gofer_client *c, uint64_t dirfid, const char *name, int flags,
                  uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st,
                  int *host_fd);
long gofer_mkdir(struct gofer_client *c, uint64_t dirfid, const char *name, uint32_t mode,
                 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st);
/* mode = S_IFIFO or S_IFSOCK | permission bits; anything else is -EPERM. */
long gofer_mknod(struct gofer_client *c, uint64_t dirfid, const char *name, uint32_t mode,
                 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st);
long gofer_symlink(struct gofer_client *c, uint64_t dirfid, const char *name, const char *target,
                   uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st);
/* A hard link (never following oldname); both directories on the same mount, else -EXDEV. */
long gofer_link(struct gofer_client *c, uint64_t olddirfid, const char *oldname, uint64_t newdirfid,
                const char *newname, uint64_t *fid, struct gofer_stat *st);
/* flags = 0 or AT_REMOVEDIR. */
long gofer_unlink(struct gofer_client *c, uint64_t dirfid, const char *name, int flags);
/* flags = RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT; same mount, else -EXDEV. */
long gofer_rename(struct gofer_client *c, uint64_t olddirfid, const char *oldname,
                  uint64_t newdirfid, const char *newname, unsigned flags);
/* The target of a symlink fid, NUL-terminated in buf: returns its length, or -ENAMETOOLONG if buf
 * is too small (GOFER_TARGET_MAX + 1 always suffices). */
long gofer_readlink(struct gofer_client *c, uint64_t fid, char *buf, size_t size);
long gofer_stat(struct gofer_client *c, uint64_t fid, struct gofer_stat *st);
/* Applies attr (attr->fid is ignored) to fid; *st is the result. */
long gofer_setattr(struct gofer_client *c, uint64_t fid, const struct gofer_setattr_req *attr,
                   struct gofer_stat *st);
/* Up to count entries after cookie (0: the start; else an entry's next); "." and ".." are never
 * included. Returns the number filled in ents, 0 at the end. */
long gofer_getdents(struct gofer_client *c, uint64_t fid, uint64_t cookie,
                    struct gofer_dirent *ents, uint32_t count);
long gofer_statfs(struct gofer_client *c, uint64_t fid, struct gofer_statfs *sf);
/* An AF_UNIX socket of sock_type bound at dirfid/name (socket file mode `mode`, owner uid:gid):
 * the fid of the socket file and the bound socket. */
long gofer_bind(struct gofer_client *c, uint64_t dirfid, const char *name, int sock_type,
                uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st,
                int *sock_fd);
long gofer_clunk(struct gofer_client *c, uint64_t fid);

#endif
