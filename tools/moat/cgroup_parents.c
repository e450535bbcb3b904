/* Marks for the parent cgroups moat made (cgroup_parents.h): a file per directory, named by a
 * hash of its path, holding the path and the directory's inode (a cgroup removed and made again
 * by someone else is not ours any more). */
#include "tools/moat/cgroup_parents.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mark_path(const char *dir, char *path, size_t plen)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *p = dir; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    snprintf(path, plen, CGROUP_PARENTS_DIR "/%016llx", (unsigned long long)h);
}

/* The mark's path and the text it holds for dir; false if dir is not there. */
static bool mark_of(const char *dir, char *path, size_t plen, char *text, size_t tlen)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return false;
    mark_path(dir, path, plen);
    snprintf(text, tlen, "%s\n%llu\n", dir, (unsigned long long)st.st_ino);
    return true;
}

void cgroup_parent_mark(const char *dir)
{
    char path[64], text[800];
    if (!mark_of(dir, path, sizeof(path), text, sizeof(text)))
        return;
    /* The directory may be removed by the last unmark in between: make it again once. */
    for (int tries = 0; tries < 2; tries++) {
        if (mkdir(CGROUP_PARENTS_DIR, 0700) != 0 && errno != EEXIST)
            return;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            continue;
        ssize_t n = write(fd, text, strlen(text));
        close(fd);
        if (n != (ssize_t)strlen(text))
            unlink(path);
        return;
    }
}

bool cgroup_parent_marked(const char *dir)
{
    char path[64], text[800], have[800];
    if (!mark_of(dir, path, sizeof(path), text, sizeof(text)))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, have, sizeof(have) - 1);
    close(fd);
    if (n < 0)
        return false;
    have[n] = 0;
    return strcmp(have, text) == 0;
}

void cgroup_parent_unmark(const char *dir)
{
    char path[64];
    mark_path(dir, path, sizeof(path));
    unlink(path);
    rmdir(CGROUP_PARENTS_DIR); /* only when no mark is left */
}
