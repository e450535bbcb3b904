/* The gofer filesystem type: mounts one of the gofer's mounts into the sandbox's tree. */
#ifndef MOAT_FS_GOFER_FS_H
#define MOAT_FS_GOFER_FS_H

struct gofer_client;
struct fs_type;

struct gofer_mount_args {
    struct gofer_client *client;
    unsigned mount; /* the gofer's mount index */
};

extern const struct fs_type gofer_fs_type;

#endif
