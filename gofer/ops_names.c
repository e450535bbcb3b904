/* Ops that remove or move names: UNLINK and RENAME. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "gofer/server.h"

/* UNLINK: unlinkat of one name in a writable directory fid; safe: removes that directory entry
 * only (a symlink itself, never its target). */
long op_unlink(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out)
{
    const struct gofer_unlink_req *u = &req->u.unlink;
    if (u->flags != 0 && u->flags != AT_REMOVEDIR)
        return -EINVAL;
    struct gofer_fid dir;
    long rc = fid_find(s, u->dirfid, FID_DIR | FID_WRITABLE, &dir);
    if (rc < 0)
        return rc;
    return unlinkat(dir.fd, req->strs[0], (int)u->flags) < 0 ? -errno : 0;
}

/* RENAME: renameat2 of one name to one name in directories of the same writable mount; safe:
 * entries move (or swap) within that mount only, links are moved as themselves. */
long op_rename(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out)
{
    const struct gofer_rename_req *r = &req->u.rename;
    if (r->flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    struct gofer_fid od, nd;
    long rc = fid_find_pair(s, r->olddirfid, r->newdirfid, &od, &nd);
    if (rc < 0)
        return rc;
    if (renameat2(od.fd, req->strs[0], nd.fd, req->strs[1], r->flags) < 0)
        return -errno;
    return 0;
}
