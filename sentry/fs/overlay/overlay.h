/* The overlay filesystem (docs/overlay.md): a read-only lower layer under a writable upper tmpfs,
 * merged like Linux overlayfs with one lower layer; every change lives in the upper layer. */
#ifndef MOAT_FS_OVERLAY_H
#define MOAT_FS_OVERLAY_H

#include "sentry/vfs/vfs.h"

#define OVERLAY_MAGIC 0x794c7630 /* statfs f_type, as Linux's overlayfs */

/* mount()'s `data`: the layers' root directories, on private mount_new() mounts that are never
 * attached. The overlay takes its own references. The lower layer is only ever read. */
struct overlay_layers {
    struct path lower;
    struct path upper;
};

extern const struct fs_type overlay_fs_type;

#endif
