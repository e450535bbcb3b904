/* The one path lookup (sentry/vfs/namei.c) over tmpfs: "..", symlinks and ELOOP at 40, mount
 * crossing both ways, O_NOFOLLOW, AT_EMPTY_PATH, trailing slashes, and the RESOLVE_* escapes
 * (BENEATH, IN_ROOT, NO_SYMLINKS, NO_XDEV) that must stay inside their directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

static struct task *t;
static struct path root;    /* the root tmpfs */
static struct mount *mnt_m; /* the second tmpfs, mounted on /mnt */

static struct path new_tmpfs(const char *name)
{
    struct dentry *d;
    const unsigned int mode = S_IFDIR | 0755;
    cr_assert_eq(tmpfs_fs_type.mount(&tmpfs_fs_type, name, 0, &mode, &d), 0);
    return (struct path){mount_new(d, 0, name), d};
}

static void mkfile(const char *path)
{
    struct file *f;
    cr_assert_eq(vfs_open(t, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL, 0644, 0, &f), 0, "%s",
                 path);
    file_put(f);
}

/* The tree:
 *   /a/b/f  /a/c  /top  /mnt (a second tmpfs: /mnt/in, /mnt/sub/deep; the root's own /mnt/hidden
 *   is covered)  /jail/inside  /jail/etc/passwd  /etc/passwd  and the links below. */
static void setup(void)
{
    root = new_tmpfs("root");
    mount_attach(root.mnt, NULL);
    t = calloc(1, sizeof(*t));
    t->fs = fs_context_new(&root, &root, 022);
    t->files = fd_table_new();
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/a", 0755), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/a/b", 0755), 0);
    mkfile("/a/b/f");
    mkfile("/a/c");
    mkfile("/top");
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/mnt", 0755), 0);
    mkfile("/mnt/hidden");
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/etc", 0755), 0);
    mkfile("/etc/passwd");
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/jail", 0755), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/jail/etc", 0755), 0);
    mkfile("/jail/inside");
    mkfile("/jail/etc/passwd");
    cr_assert_eq(vfs_symlink(t, "/../../../etc/passwd", AT_FDCWD, "/jail/abs"), 0);
    cr_assert_eq(vfs_symlink(t, "../../../../etc/passwd", AT_FDCWD, "/jail/rel"), 0);
    cr_assert_eq(vfs_symlink(t, "inside", AT_FDCWD, "/jail/ok"), 0);
    cr_assert_eq(vfs_symlink(t, "b/f", AT_FDCWD, "/a/lf"), 0);
    cr_assert_eq(vfs_symlink(t, "/a/b", AT_FDCWD, "/a/ld"), 0);
    cr_assert_eq(vfs_symlink(t, "self", AT_FDCWD, "/self"), 0);
    cr_assert_eq(vfs_symlink(t, "nowhere", AT_FDCWD, "/dangling"), 0);
    /* /l0 -> /l1 -> ... -> /l40 -> /top: following /l1 takes 40 links, /l0 takes 41. */
    for (int i = 0; i <= 40; i++) {
        char name[16], target[16];
        snprintf(name, sizeof(name), "/l%d", i);
        snprintf(target, sizeof(target), i == 40 ? "top" : "l%d", i + 1);
        cr_assert_eq(vfs_symlink(t, target, AT_FDCWD, name), 0);
    }
    struct path mp;
    cr_assert_eq(vfs_lookup(t, AT_FDCWD, "/mnt", 0, &mp), 0);
    struct path second = new_tmpfs("second");
    mnt_m = second.mnt;
    mount_attach(mnt_m, &mp);
    path_put(&mp);
    mkfile("/mnt/in");
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/mnt/sub", 0755), 0);
    mkfile("/mnt/sub/deep");
}

TestSuite(namei, .init = setup);

/* Resolves path with flags from dirfd: 0 or -errno; *got is the result (referenced). */
static long look(int dirfd, const char *path, unsigned int flags, struct path *got)
{
    return vfs_lookup(t, dirfd, path, flags, got);
}

/* Asserts that `path` resolves (following links) to the same object as `expect`. */
static void assert_same(int dirfd, const char *path, unsigned int flags, const char *expect)
{
    struct path a, b;
    long rc = look(dirfd, path, flags, &a);
    cr_assert_eq(rc, 0, "%s: %ld", path, rc);
    cr_assert_eq(look(AT_FDCWD, expect, LOOKUP_FOLLOW, &b), 0, "%s", expect);
    cr_assert(path_equal(&a, &b), "%s is not %s", path, expect);
    path_put(&a);
    path_put(&b);
}

static void assert_err(int dirfd, const char *path, unsigned int flags, long err)
{
    struct path a;
    long rc = look(dirfd, path, flags, &a);
    if (rc == 0)
        path_put(&a);
    cr_assert_eq(rc, err, "%s: got %ld, wanted %ld", path, rc, err);
}

/* An O_PATH directory fd for `path`. */
static int dir_fd(const char *path)
{
    struct file *f;
    cr_assert_eq(vfs_open(t, AT_FDCWD, path, O_PATH | O_DIRECTORY, 0, 0, &f), 0, "%s", path);
    int fd = fd_install(t->files, f, 3, false, 1024);
    file_put(f);
    cr_assert_geq(fd, 0);
    return fd;
}

Test(namei, dot_and_dotdot)
{
    assert_same(AT_FDCWD, "/a/b/../c", LOOKUP_FOLLOW, "/a/c");
    assert_same(AT_FDCWD, "/a/./b/./f", LOOKUP_FOLLOW, "/a/b/f");
    assert_same(AT_FDCWD, "/..", LOOKUP_FOLLOW, "/");
    assert_same(AT_FDCWD, "/../../a/../../top", LOOKUP_FOLLOW, "/top");
    assert_same(AT_FDCWD, "//a///b//f", LOOKUP_FOLLOW, "/a/b/f");
    assert_err(AT_FDCWD, "/a/c/..", LOOKUP_FOLLOW, -ENOTDIR);
    assert_err(AT_FDCWD, "/a/missing/..", LOOKUP_FOLLOW, -ENOENT);
    assert_err(AT_FDCWD, "", LOOKUP_FOLLOW, -ENOENT);
}

Test(namei, relative_to_cwd_and_dirfd)
{
    int fd = dir_fd("/a");
    assert_same(fd, "b/f", LOOKUP_FOLLOW, "/a/b/f");
    assert_same(fd, "..", LOOKUP_FOLLOW, "/");
    assert_same(fd, "/top", LOOKUP_FOLLOW, "/top"); /* absolute paths ignore dirfd */
    assert_err(1000, "b/f", LOOKUP_FOLLOW, -EBADF);
    struct file *f;
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/a/c", O_RDONLY, 0, 0, &f), 0);
    int ffd = fd_install(t->files, f, 3, false, 1024);
    file_put(f);
    assert_err(ffd, "x", LOOKUP_FOLLOW, -ENOTDIR);
}

Test(namei, symlinks)
{
    assert_same(AT_FDCWD, "/a/lf", LOOKUP_FOLLOW, "/a/b/f");
    assert_same(AT_FDCWD, "/a/ld/f", 0, "/a/b/f");  /* a link in the middle is followed */
    assert_same(AT_FDCWD, "/a/ld/../c", 0, "/a/c"); /* ".." after a link: the target's */
    assert_err(AT_FDCWD, "/self", LOOKUP_FOLLOW, -ELOOP);
    assert_err(AT_FDCWD, "/dangling", LOOKUP_FOLLOW, -ENOENT);
    struct path p;
    cr_assert_eq(look(AT_FDCWD, "/a/lf", 0, &p), 0); /* not followed at the end */
    cr_assert(inode_is_symlink(p.dentry->inode));
    path_put(&p);
    cr_assert_eq(look(AT_FDCWD, "/dangling", 0, &p), 0);
    path_put(&p);
}

Test(namei, eloop_at_40)
{
    assert_same(AT_FDCWD, "/l1", LOOKUP_FOLLOW, "/top"); /* 40 links */
    assert_err(AT_FDCWD, "/l0", LOOKUP_FOLLOW, -ELOOP);  /* 41 */
    assert_err(AT_FDCWD, "/l0/x", 0, -ELOOP);
}

Test(namei, trailing_slash)
{
    assert_same(AT_FDCWD, "/a/b/", LOOKUP_FOLLOW, "/a/b");
    assert_same(AT_FDCWD, "/a/ld/", 0, "/a/b"); /* a link to a dir with a slash is followed */
    assert_err(AT_FDCWD, "/a/c/", LOOKUP_FOLLOW, -ENOTDIR);
    assert_err(AT_FDCWD, "/a/lf/", 0, -ENOTDIR); /* a link to a file with a slash */
    assert_err(AT_FDCWD, "/a/c", LOOKUP_DIRECTORY | LOOKUP_FOLLOW, -ENOTDIR);
}

Test(namei, name_too_long)
{
    char name[300];
    memset(name, 'x', sizeof(name));
    name[0] = '/';
    name[257] = 0; /* 256 characters after the slash */
    assert_err(AT_FDCWD, name, 0, -ENAMETOOLONG);
    name[256] = 0; /* 255: fine, just missing */
    assert_err(AT_FDCWD, name, 0, -ENOENT);
}

Test(namei, mount_crossing)
{
    struct path p;
    cr_assert_eq(look(AT_FDCWD, "/mnt", 0, &p), 0);
    cr_assert_eq(p.mnt, mnt_m, "the lookup ends on the mounted filesystem's root");
    cr_assert_eq(p.dentry, mnt_m->root);
    path_put(&p);
    assert_err(AT_FDCWD, "/mnt/hidden", 0, -ENOENT); /* covered by the mount */
    cr_assert_eq(look(AT_FDCWD, "/mnt/sub/deep", 0, &p), 0);
    cr_assert_eq(p.mnt, mnt_m);
    path_put(&p);
    /* ".." from the mounted root goes to the mountpoint's parent in the mount below. */
    assert_same(AT_FDCWD, "/mnt/..", 0, "/");
    assert_same(AT_FDCWD, "/mnt/sub/../../a", 0, "/a");
    int fd = dir_fd("/mnt/sub");
    assert_same(fd, "../../top", 0, "/top");
    /* RESOLVE_NO_XDEV: neither way across. */
    assert_err(AT_FDCWD, "/mnt/in", LOOKUP_NO_XDEV, -EXDEV);
    assert_err(fd, "../..", LOOKUP_NO_XDEV, -EXDEV);
    assert_same(fd, "deep", LOOKUP_NO_XDEV, "/mnt/sub/deep");
}

Test(namei, empty_path)
{
    int fd = dir_fd("/a/b");
    assert_same(fd, "", LOOKUP_EMPTY, "/a/b");
    assert_err(fd, "", 0, -ENOENT);
    struct file *f;
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/a/lf", O_PATH | O_NOFOLLOW, 0, 0, &f), 0);
    int lfd = fd_install(t->files, f, 3, false, 1024);
    file_put(f);
    struct path p;
    cr_assert_eq(look(lfd, "", LOOKUP_EMPTY, &p), 0); /* the link itself, not its target */
    cr_assert(inode_is_symlink(p.dentry->inode));
    path_put(&p);
}

Test(namei, o_nofollow)
{
    struct file *f;
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/a/lf", O_RDONLY | O_NOFOLLOW, 0, 0, &f), -ELOOP);
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/a/lf", O_RDONLY, 0, 0, &f), 0);
    cr_assert(inode_is_reg(f->inode));
    file_put(f);
    /* O_NOFOLLOW concerns the last component only. */
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/a/ld/f", O_RDONLY | O_NOFOLLOW, 0, 0, &f), 0);
    file_put(f);
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/a/lf", O_PATH | O_NOFOLLOW, 0, 0, &f), 0);
    cr_assert(inode_is_symlink(f->inode));
    file_put(f);
    /* O_CREAT through a dangling link creates the target unless O_NOFOLLOW or O_EXCL. */
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/dangling", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644, 0, &f),
                 -ELOOP);
    cr_assert_eq(vfs_open(t, AT_FDCWD, "/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644, 0, &f),
                 -EEXIST);
}

Test(namei, resolve_beneath)
{
    int fd = dir_fd("/jail");
    assert_same(fd, "inside", LOOKUP_BENEATH, "/jail/inside");
    assert_same(fd, "etc/../inside", LOOKUP_BENEATH, "/jail/inside");
    assert_same(fd, "ok", LOOKUP_BENEATH | LOOKUP_FOLLOW, "/jail/inside");
    assert_err(fd, "..", LOOKUP_BENEATH, -EXDEV);
    assert_err(fd, "etc/../../top", LOOKUP_BENEATH, -EXDEV);
    assert_err(fd, "/etc/passwd", LOOKUP_BENEATH, -EXDEV);
    assert_err(fd, "abs", LOOKUP_BENEATH | LOOKUP_FOLLOW, -EXDEV);
    assert_err(fd, "rel", LOOKUP_BENEATH | LOOKUP_FOLLOW, -EXDEV);
    struct file *f;
    cr_assert_eq(vfs_open(t, fd, "abs", O_RDONLY, 0, LOOKUP_BENEATH, &f), -EXDEV);
    cr_assert_eq(vfs_open(t, fd, "../top", O_RDONLY, 0, LOOKUP_BENEATH, &f), -EXDEV);
}

Test(namei, resolve_in_root)
{
    int fd = dir_fd("/jail");
    /* "/" and ".." stop at the dirfd: every escape lands inside the jail. */
    assert_same(fd, "/inside", LOOKUP_IN_ROOT, "/jail/inside");
    assert_same(fd, "../../../inside", LOOKUP_IN_ROOT, "/jail/inside");
    assert_same(fd, "abs", LOOKUP_IN_ROOT | LOOKUP_FOLLOW, "/jail/etc/passwd");
    assert_same(fd, "rel", LOOKUP_IN_ROOT | LOOKUP_FOLLOW, "/jail/etc/passwd");
    assert_same(fd, "/../etc/passwd", LOOKUP_IN_ROOT, "/jail/etc/passwd");
    assert_err(fd, "/top", LOOKUP_IN_ROOT, -ENOENT);
    struct file *f;
    cr_assert_eq(vfs_open(t, fd, "abs", O_RDONLY, 0, LOOKUP_IN_ROOT, &f), 0);
    struct path want;
    cr_assert_eq(look(AT_FDCWD, "/jail/etc/passwd", 0, &want), 0);
    cr_assert_eq(f->dentry, want.dentry);
    path_put(&want);
    file_put(f);
}

Test(namei, resolve_no_symlinks)
{
    int fd = dir_fd("/jail");
    assert_err(fd, "ok", LOOKUP_NO_SYMLINKS | LOOKUP_FOLLOW, -ELOOP);
    assert_err(AT_FDCWD, "/a/ld/f", LOOKUP_NO_SYMLINKS, -ELOOP);
    assert_same(fd, "inside", LOOKUP_NO_SYMLINKS | LOOKUP_FOLLOW, "/jail/inside");
    struct path p; /* a trailing link that is not followed is fine */
    cr_assert_eq(look(fd, "ok", LOOKUP_NO_SYMLINKS, &p), 0);
    path_put(&p);
    struct file *f;
    cr_assert_eq(vfs_open(t, fd, "ok", O_RDONLY, 0, LOOKUP_NO_SYMLINKS, &f), -ELOOP);
}

Test(namei, lookup_parent)
{
    struct lookup_parent lp;
    cr_assert_eq(vfs_lookup_parent(t, AT_FDCWD, "/a/b/newname", 0, &lp), 0);
    cr_assert_str_eq(lp.last, "newname");
    cr_assert_eq(lp.last_type, LAST_NORM);
    cr_assert(!lp.trailing_slash);
    path_put(&lp.dir);
    cr_assert_eq(vfs_lookup_parent(t, AT_FDCWD, "/a/ld/x/", 0, &lp), 0); /* via a link */
    cr_assert_str_eq(lp.last, "x");
    cr_assert(lp.trailing_slash);
    struct path b;
    cr_assert_eq(look(AT_FDCWD, "/a/b", 0, &b), 0);
    cr_assert(path_equal(&lp.dir, &b));
    path_put(&b);
    path_put(&lp.dir);
    cr_assert_eq(vfs_lookup_parent(t, AT_FDCWD, "/a/..", 0, &lp), 0);
    cr_assert_eq(lp.last_type, LAST_DOTDOT);
    path_put(&lp.dir);
    cr_assert_eq(vfs_lookup_parent(t, AT_FDCWD, "/", 0, &lp), 0);
    cr_assert_eq(lp.last_type, LAST_ROOT);
    path_put(&lp.dir);
    cr_assert_eq(vfs_lookup_parent(t, AT_FDCWD, "/a/c/x", 0, &lp), -ENOTDIR);
}
