/* Conformance: inotify watches and the events of open/read/write/close, attrib, create, delete,
 * delete_self, moves (shared cookie) and move_self, IN_ISDIR, IN_IGNORED (rm_watch, removal,
 * IN_ONESHOT), IN_DONT_FOLLOW, coalescing, IN_Q_OVERFLOW, read buffer rules, FIONREAD,
 * IN_NONBLOCK, a blocking read woken by another process, poll and argument errors. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static int fd;
static uint32_t last_cookie;

/* Prints every queued event as "wd MASKNAMES name"; cookies as same/new, being random. */
static void drain(const char *label)
{
    char buf[4096] __attribute__((aligned(8)));
    printf("%s:\n", label);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN)
                ct_result("  read", n);
            return;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            static const struct {
                uint32_t bit;
                const char *name;
            } names[] = {{IN_ACCESS, "ACCESS"},
                         {IN_MODIFY, "MODIFY"},
                         {IN_ATTRIB, "ATTRIB"},
                         {IN_CLOSE_WRITE, "CLOSE_WRITE"},
                         {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
                         {IN_OPEN, "OPEN"},
                         {IN_MOVED_FROM, "MOVED_FROM"},
                         {IN_MOVED_TO, "MOVED_TO"},
                         {IN_CREATE, "CREATE"},
                         {IN_DELETE, "DELETE"},
                         {IN_DELETE_SELF, "DELETE_SELF"},
                         {IN_MOVE_SELF, "MOVE_SELF"},
                         {IN_IGNORED, "IGNORED"},
                         {IN_ISDIR, "ISDIR"},
                         {IN_Q_OVERFLOW, "Q_OVERFLOW"}};
            printf("  wd=%d", e->wd);
            for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (e->mask & names[i].bit)
                    printf(" %s", names[i].name);
            if (e->cookie) {
                printf(" cookie=%s", e->cookie == last_cookie ? "same" : "new");
                last_cookie = e->cookie;
            }
            printf(" len%%16=%u name=%s\n", e->len % 16, e->len ? e->name : "");
            p += sizeof(*e) + e->len;
        }
    }
}

int main(void)
{
    char dir[] = "/tmp/ct-inotify-XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return 1;
    ct_expect_errno("init1 bad flags", inotify_init1(0x1), EINVAL);
    fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ct_check("init1", fd >= 0);
    ct_check("cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    ct_check("nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    char b[64];
    ct_expect_errno("empty read", read(fd, b, sizeof(b)), EAGAIN);
    ct_expect_errno("no events in mask", inotify_add_watch(fd, ".", 0), EINVAL);
    ct_expect_errno("missing path", inotify_add_watch(fd, "nope", IN_ALL_EVENTS), ENOENT);
    ct_expect_errno("not inotify", inotify_add_watch(0, ".", IN_ALL_EVENTS), EINVAL);
    ct_expect_errno("bad fd", inotify_add_watch(-1, ".", IN_ALL_EVENTS), EBADF);
    ct_expect_errno("add+create",
                    inotify_add_watch(fd, ".", IN_ALL_EVENTS | IN_MASK_ADD | IN_MASK_CREATE),
                    EINVAL);

    int dwd = inotify_add_watch(fd, ".", IN_ALL_EVENTS);
    ct_result("watch dir", dwd);
    ct_result("watch dir again", inotify_add_watch(fd, ".", IN_ALL_EVENTS));
    ct_expect_errno("mask_create existing", inotify_add_watch(fd, ".", IN_CREATE | IN_MASK_CREATE),
                    EEXIST);

    int f = open("a", O_CREAT | O_WRONLY, 0644);
    write(f, "x", 1);
    write(f, "y", 1); /* coalesced with the first MODIFY */
    close(f);
    drain("create write close");

    int fwd = inotify_add_watch(fd, "a", IN_ALL_EVENTS);
    ct_result("watch file", fwd);
    ct_expect_errno("onlydir on a file", inotify_add_watch(fd, "a", IN_ALL_EVENTS | IN_ONLYDIR),
                    ENOTDIR);
    f = open("a", O_RDONLY);
    read(f, b, 1);
    close(f);
    drain("open read close");
    chmod("a", 0600);
    truncate("a", 0);
    drain("chmod truncate");

    int n = -1;
    f = open("a", O_RDONLY);
    ct_result("fionread", ioctl(fd, FIONREAD, &n));
    printf("fionread bytes: %d\n", n);
    char tiny[sizeof(struct inotify_event)];
    ct_expect_errno("read too small for a named record", read(fd, tiny, 4), EINVAL);
    close(f);
    drain("two opens queued");

    mkdir("sub", 0755);
    rename("a", "sub/b");
    rename("sub/b", "c");
    drain("mkdir and renames");

    link("c", "c2");
    unlink("c2");
    drain("link unlink");
    unlink("c");
    drain("unlink last link");

    ct_expect_errno("rm removed watch", inotify_rm_watch(fd, fwd), EINVAL);
    int swd = inotify_add_watch(fd, "sub", IN_DELETE_SELF | IN_ONESHOT);
    ct_result("oneshot watch sub", swd);
    rmdir("sub");
    drain("rmdir");

    struct pollfd pfd = {fd, POLLIN, 0};
    ct_result("poll empty", poll(&pfd, 1, 0));
    close(open("p", O_CREAT | O_RDONLY, 0644));
    ct_result("poll ready", poll(&pfd, 1, 0));
    printf("revents: %#x\n", pfd.revents);
    drain("create p");
    unlink("p");
    ct_result("rm_watch", inotify_rm_watch(fd, dwd));
    drain("after rm_watch");
    ct_expect_errno("rm_watch twice", inotify_rm_watch(fd, dwd), EINVAL);
    close(fd);

    /* IN_DONT_FOLLOW watches the symlink itself; without it, the target. */
    fd = inotify_init();
    ct_check("inotify_init", fd >= 0);
    ct_check("blocking", (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
    close(open("t", O_CREAT | O_RDONLY, 0644));
    symlink("t", "l");
    int lwd = inotify_add_watch(fd, "l", IN_ATTRIB | IN_DONT_FOLLOW);
    int twd = inotify_add_watch(fd, "l", IN_ATTRIB);
    ct_check("link and target watches differ", lwd > 0 && twd > 0 && lwd != twd);
    chmod("l", 0600);
    struct inotify_event ev;
    ct_result("read target's attrib", read(fd, &ev, sizeof(ev)));
    ct_check("it is the target's watch", ev.wd == twd && ev.mask == IN_ATTRIB);

    /* A blocking read is woken by another process's change. */
    pid_t child = fork();
    if (child == 0) {
        usleep(100000);
        chmod("t", 0644);
        _exit(0);
    }
    ct_result("blocking read", read(fd, &ev, sizeof(ev)));
    ct_check("woken by the child's chmod", ev.wd == twd && ev.mask == IN_ATTRIB);
    waitpid(child, NULL, 0);

    /* Past max_queued_events: one IN_Q_OVERFLOW. */
    FILE *mq = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    int max = 0;
    ct_check("max_queued_events", mq && fscanf(mq, "%d", &max) == 1 && max == 16384);
    if (mq)
        fclose(mq);
    inotify_add_watch(fd, "t", IN_OPEN | IN_CLOSE);
    for (int i = 0; i < 8200; i++)
        close(open("t", O_RDONLY));
    ct_result("fionread after overflow", ioctl(fd, FIONREAD, &n));
    printf("queued bytes: %d\n", n);
    int opens = 0, closes = 0, overflows = 0, other = 0;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    char big[4096] __attribute__((aligned(8)));
    ssize_t got;
    while ((got = read(fd, big, sizeof(big))) > 0)
        for (char *p = big; p < big + got;) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (e->mask == IN_OPEN)
                opens++;
            else if (e->mask == IN_CLOSE_NOWRITE)
                closes++;
            else if (e->mask == IN_Q_OVERFLOW && e->wd == -1)
                overflows++;
            else
                other++;
            p += sizeof(*e) + e->len;
        }
    printf("opens %d closes %d overflows %d other %d\n", opens, closes, overflows, other);
    close(fd);
    unlink("l");
    unlink("t");
    ct_result("rmdir", rmdir(dir));
    return 0;
}
