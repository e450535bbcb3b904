/* The gofer integration tests' harness: temp tree, gofer process, client, host comparisons. The
 * gofer is killed by the pid this file started and always reaped; the tree is always removed. */
#include "tests/integration/gofer/gofer_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct harness H = {.pid = -1};

const char *host_path(const char *rel)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", H.top, rel);
    return p;
}

static void write_file(const char *rel, const char *text)
{
    int fd = open(host_path(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert(fd >= 0, "create %s: %s", rel, strerror(errno));
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void make_tree(void)
{
    strcpy(H.top, "/tmp/moat-gofer-test-XXXXXX");
    cr_assert(mkdtemp(H.top), "mkdtemp: %s", strerror(errno));
    snprintf(H.rw, sizeof(H.rw), "%s/rw", H.top);
    snprintf(H.ro, sizeof(H.ro), "%s/ro", H.top);
    const char *dirs[] = {"rw", "rw/dir", "rw/swap", "ro", "ro/dir"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        cr_assert_eq(mkdir(host_path(dirs[i]), 0755), 0, "mkdir %s", dirs[i]);
    write_file("rw/file", "hello\n");
    write_file("rw/dir/inner", "inner");
    write_file("rw/swap/passwd", "not the host's");
    write_file("ro/file", "read-only\n");
    cr_assert_eq(symlink("/../../../etc/shadow", host_path("rw/evil")), 0);
    cr_assert_eq(symlink("/etc", host_path("rw/etclink")), 0);
    cr_assert_eq(symlink("/etc", host_path("rw/swaplink")), 0);
    cr_assert_eq(symlink("file", host_path("ro/link")), 0);
}

static int config_fd(void)
{
    char json[1024];
    int n = snprintf(json, sizeof(json),
                     "{\"mounts\": [{\"host_path\": \"%s\", \"readonly\": false},"
                     " {\"host_path\": \"%s\", \"readonly\": true}]}\n",
                     H.rw, H.ro);
    int fd = memfd_create("gofer-config", MFD_CLOEXEC);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, json, (size_t)n), n);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

void harness_spawn(int *sock)
{
    const char *exe = getenv("MOAT_EXE");
    cr_assert(exe, "MOAT_EXE must name the moat binary");
    make_tree();
    int cfg = config_fd();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    H.pid = fork();
    cr_assert(H.pid >= 0);
    if (H.pid == 0) {
        /* Gone with the test process even if it crashes before harness_stop. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Only the two fds the gofer is told about: none of the test runner's. */
        int a = fcntl(cfg, F_DUPFD, 100), b = fcntl(sv[1], F_DUPFD, 101);
        if (a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0)
            _exit(127);
        close_range(5, ~0u, 0);
        execl(exe, exe, "gofer", "--config-fd", "3", "--socket-fd", "4", (char *)NULL);
        _exit(127);
    }
    close(cfg);
    close(sv[1]);
    *sock = sv[0];
}

void harness_start(void)
{
    int sock;
    harness_spawn(&sock);
    long rc = gofer_client_new(sock, &H.client);
    cr_assert_eq(rc, 0, "gofer_client_new: %s", strerror((int)-rc));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void harness_stop(void)
{
    if (H.client)
        gofer_client_free(H.client);
    H.client = NULL;
    if (H.pid > 0) {
        kill(H.pid, SIGKILL);
        waitpid(H.pid, NULL, 0);
        H.pid = -1;
    }
    if (H.top[0]) {
        chmod(H.rw, 0755);
        nftw(H.top, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        H.top[0] = '\0';
    }
}

struct stat host_lstat(const char *rel)
{
    struct stat st;
    cr_assert_eq(lstat(host_path(rel), &st), 0, "lstat %s: %s", rel, strerror(errno));
    return st;
}

void expect_same_file(const struct gofer_stat *g, const struct stat *h)
{
    cr_expect_eq(g->dev, h->st_dev);
    cr_expect_eq(g->ino, h->st_ino);
    cr_expect_eq(g->mode, h->st_mode);
    cr_expect_eq(g->nlink, h->st_nlink);
    cr_expect_eq(g->uid, h->st_uid);
    cr_expect_eq(g->gid, h->st_gid);
    cr_expect_eq(g->size, (uint64_t)h->st_size);
    cr_expect_eq(g->mtime.sec, h->st_mtim.tv_sec);
    cr_expect_eq(g->mtime.nsec, (uint32_t)h->st_mtim.tv_nsec);
}

uint64_t walk_ok(uint64_t dirfid, const char *path, struct gofer_stat *st)
{
    char copy[512];
    const char *names[GOFER_WALK_MAX];
    int n = 0;
    snprintf(copy, sizeof(copy), "%s", path);
    for (char *save, *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
        names[n++] = tok;
    uint64_t fids[GOFER_WALK_MAX];
    struct gofer_stat stats[GOFER_WALK_MAX];
    int nwalked = -1, walk_err = -1;
    long rc = gofer_walk(H.client, dirfid, names, n, fids, stats, &nwalked, &walk_err);
    cr_assert_eq(rc, 0, "walk %s: %s", path, strerror((int)-rc));
    cr_assert_eq(nwalked, n, "walk %s: stopped after %d (%s)", path, nwalked, strerror(walk_err));
    cr_assert_eq(walk_err, 0);
    for (int i = 0; i < n - 1; i++)
        gofer_clunk(H.client, fids[i]);
    if (st)
        *st = stats[n - 1];
    return fids[n - 1];
}

uint64_t attach_ok(unsigned mount)
{
    uint64_t fid;
    struct gofer_stat st;
    long rc = gofer_attach(H.client, mount, &fid, &st);
    cr_assert_eq(rc, 0, "attach %u: %s", mount, strerror((int)-rc));
    return fid;
}

uint32_t test_uid(void)
{
    return geteuid() == 0 ? 1234 : geteuid();
}

uint32_t test_gid(void)
{
    return geteuid() == 0 ? 5678 : getegid();
}
