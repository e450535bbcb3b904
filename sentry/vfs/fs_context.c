/* Per-task filesystem context (root, cwd, umask), shared between tasks created with CLONE_FS. */
#include <stdlib.h>

#include "sentry/vfs/vfs.h"

struct fs_context *fs_context_new(struct path *root, struct path *cwd, unsigned int umask)
{
    struct fs_context *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return NULL;
    fs->refs = 1;
    pthread_mutex_init(&fs->lock, NULL);
    fs->root = *root;
    fs->cwd = *cwd;
    path_get(&fs->root);
    path_get(&fs->cwd);
    fs->umask = umask;
    return fs;
}

struct fs_context *fs_context_dup(struct fs_context *src)
{
    pthread_mutex_lock(&src->lock);
    struct fs_context *fs = fs_context_new(&src->root, &src->cwd, src->umask);
    pthread_mutex_unlock(&src->lock);
    return fs;
}

struct fs_context *fs_context_get(struct fs_context *fs)
{
    __atomic_add_fetch(&fs->refs, 1, __ATOMIC_RELAXED);
    return fs;
}

void fs_context_put(struct fs_context *fs)
{
    if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    path_put(&fs->root);
    path_put(&fs->cwd);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
}
