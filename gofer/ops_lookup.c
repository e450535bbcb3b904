/* Lookup ops: WALK, STAT, READLINK and STATFS, which read what a fid names and change nothing. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "gofer/server.h"

/* WALK: one validated component at a time with openat2(O_PATH | O_NOFOLLOW, RESOLVE_BENEATH |
 * NO_SYMLINKS | NO_MAGICLINKS) from the previous component's fd; safe: each step can only reach a
 * child of the served tree (host mounts below it are crossed, kernel interfaces such as procfs and
 * sysfs refused: host_walk1), a symlink is returned as itself, and the type that decides
 * whether to go on comes from the fd just opened, so swapping a directory for a link mid-walk only
 * stops the walk. */
long op_walk(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out)
{
    struct gofer_fid dir;
    long rc = fid_find(s, req->u.walk.dirfid, 0, &dir);
    if (rc < 0)
        return rc;
    size_t walk_off = rep->len;
    struct gofer_walk_rep w = {0};
    gofer_enc_bytes(rep, &w, sizeof(w));
    int cur = dir.fd;
    uint32_t type = dir.type;
    for (uint32_t i = 0; i < req->nstrs; i++) {
        if (!S_ISDIR(type)) {
            w.walk_err = ENOTDIR;
            break;
        }
        int fd = host_walk1(cur, req->strs[i]);
        struct gofer_entry ent;
        rc = fd < 0 ? fd : fid_new(s, fd, dir.mount, &ent);
        if (rc < 0) {
            w.walk_err = (int32_t)-rc;
            break;
        }
        gofer_enc_bytes(rep, &ent, sizeof(ent));
        w.nwalked++;
        cur = fd; /* owned by the new fid, open until a CLUNK, which cannot come mid-op */
        type = ent.st.mode & S_IFMT;
    }
    if (!rep->overflow)
        memcpy(rep->buf + walk_off, &w, sizeof(w));
    return 0;
}

/* STAT: statx of the fid's own fd; safe: reads metadata of an inode the walk already reached. */
long op_stat(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out)
{
    struct gofer_fid f;
    struct gofer_stat st;
    long rc = fid_find(s, req->u.fid.fid, 0, &f);
    if (rc == 0)
        rc = host_stat(f.fd, &st);
    if (rc == 0)
        gofer_enc_bytes(rep, &st, sizeof(st));
    return rc;
}

/* READLINK: readlinkat(fd, "") of a symlink fid; safe: returns the target as text, never follows
 * it. */
long op_readlink(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                 int *fd_out)
{
    struct gofer_fid f;
    char target[GOFER_TARGET_MAX + 1];
    long rc = fid_find(s, req->u.fid.fid, 0, &f);
    if (rc < 0)
        return rc;
    if (!S_ISLNK(f.type))
        return -EINVAL;
    ssize_t n = readlinkat(f.fd, "", target, sizeof(target));
    if (n < 0)
        return -errno;
    if (n == 0 || n > GOFER_TARGET_MAX)
        return -ENAMETOOLONG;
    gofer_enc_str(rep, target, (size_t)n);
    return 0;
}

/* STATFS: fstatfs of the fid's own fd; safe: reads the statistics of a filesystem already served.
 */
long op_statfs(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out)
{
    struct gofer_fid f;
    struct statfs sf;
    long rc = fid_find(s, req->u.fid.fid, 0, &f);
    if (rc < 0)
        return rc;
    if (fstatfs(f.fd, &sf) < 0)
        return -errno;
    uint64_t fsid;
    memcpy(&fsid, &sf.f_fsid, sizeof(fsid));
    struct gofer_statfs g = {
        .type = (uint64_t)sf.f_type,
        .bsize = (uint64_t)sf.f_bsize,
        .blocks = sf.f_blocks,
        .bfree = sf.f_bfree,
        .bavail = sf.f_bavail,
        .files = sf.f_files,
        .ffree = sf.f_ffree,
        .fsid = fsid,
        .namelen = (uint64_t)sf.f_namelen,
        .frsize = (uint64_t)sf.f_frsize,
        .flags = (uint64_t)sf.f_flags,
    };
    gofer_enc_bytes(rep, &g, sizeof(g));
    return 0;
}
