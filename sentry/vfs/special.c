/* Special files: character devices resolve through a small registry by device number, wherever
 * their node lives (devfs, or a tmpfs node made with mknod); FIFOs go to the pipe layer. */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sentry/vfs/vfs.h"

#define MAX_CHRDEVS 64

static struct {
    unsigned int major;
    int minor;
    chrdev_open_fn open;
} chrdevs[MAX_CHRDEVS];
static int nchrdevs;
static pthread_mutex_t chrdev_lock = PTHREAD_MUTEX_INITIALIZER;

void vfs_register_chrdev(unsigned int major, int minor, chrdev_open_fn open)
{
    pthread_mutex_lock(&chrdev_lock);
    if (nchrdevs < MAX_CHRDEVS)
        chrdevs[nchrdevs++] = (typeof(chrdevs[0])){major, minor, open};
    pthread_mutex_unlock(&chrdev_lock);
}

/* Set by the pipe layer (FIFOs). */
long (*vfs_fifo_open)(struct dentry *d, struct file *f, int flags);

long vfs_open_special(struct dentry *d, struct file *f, int flags)
{
    struct inode *ino = d->inode;
    if (S_ISFIFO(ino->mode))
        return vfs_fifo_open ? vfs_fifo_open(d, f, flags) : -ENXIO;
    if (!S_ISCHR(ino->mode))
        return -ENXIO; /* block devices and sockets cannot be opened */
    if (d->sb && (d->sb->flags & 4 /* MS_NODEV */))
        return -EACCES;
    chrdev_open_fn open = NULL;
    pthread_mutex_lock(&chrdev_lock);
    for (int i = 0; i < nchrdevs; i++)
        if (chrdevs[i].major == major(ino->rdev) &&
            (chrdevs[i].minor < 0 || (unsigned int)chrdevs[i].minor == minor(ino->rdev)))
            open = chrdevs[i].open;
    pthread_mutex_unlock(&chrdev_lock);
    return open ? open(d, f, flags) : -ENXIO;
}
