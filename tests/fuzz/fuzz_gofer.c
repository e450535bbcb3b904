/* libFuzzer harness for the gofer. The input is decoded as a request and as a reply (an accepted
 * request must re-encode to the same bytes), then split into messages by their size fields and
 * dispatched in-process against a temp tree with one read-write and one read-only mount: every
 * reply must decode, carry an fd exactly when its op says so, and no fd may leak. As root it first
 * drops to nobody, so a confinement bug cannot damage the host while it is being found. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/protocol.h"
#include "gofer/server.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_gofer: check failed: %s (line %d)\n", #cond, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define NOBODY 65534

static struct gofer_server server;
static char top[64];
static char rw[96], ro[96];
static int baseline_fds;
static uint8_t rep[GOFER_MSG_MAX], again[GOFER_MSG_MAX];

/* The number of open fds the gofer could have made (on the temp tree, or sockets); with verbose,
 * each one. Others come and go with libFuzzer and the sanitizers' symbolizer. */
static int count_fds(bool verbose)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char what[256] = "";
        if (readlinkat(dirfd(d), e->d_name, what, sizeof(what) - 1) < 0)
            continue;
        if (strncmp(what, top, strlen(top)) != 0 && strncmp(what, "socket:", 7) != 0)
            continue;
        n++;
        if (verbose)
            fprintf(stderr, "fuzz_gofer: fd %s -> %s\n", e->d_name, what);
    }
    closedir(d);
    return n;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

/* rw's contents: file, dir/inner, evil -> /etc/passwd, fifo. */
static void populate_rw(void)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/dir", rw);
    CHECK(mkdir(p, 0755) == 0);
    put_file(p, "inner", "inner");
    put_file(rw, "file", "hello\n");
    snprintf(p, sizeof(p), "%s/evil", rw);
    CHECK(symlink("/etc/passwd", p) == 0);
    snprintf(p, sizeof(p), "%s/fifo", rw);
    CHECK(mkfifo(p, 0600) == 0);
}

/* Removes dirfd/name whatever the fuzzer did to its modes. */
static void remove_at(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return;
    fchmodat(dirfd, name, 0700, 0);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    CHECK(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            remove_at(fd, e->d_name);
    closedir(d);
    CHECK(unlinkat(dirfd, name, AT_REMOVEDIR) == 0);
}

/* Empties rw (keeping the directory: the gofer's root fd names it). */
static void wipe_rw(void)
{
    chmod(rw, 0755);
    DIR *d = opendir(rw);
    CHECK(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            remove_at(dirfd(d), e->d_name);
    closedir(d);
}

/* What must never change: the read-only mount, and a file next to the mounts. */
static const char *const guarded[] = {"ro", "ro/file", "ro/dir", "outside", "."};
#define NGUARDED (sizeof(guarded) / sizeof(guarded[0]))
static struct stat guarded_st[NGUARDED];

static void stat_guarded(struct stat *out)
{
    for (size_t i = 0; i < NGUARDED; i++) {
        char p[160];
        snprintf(p, sizeof(p), "%s/%s", top, guarded[i]);
        CHECK(lstat(p, &out[i]) == 0);
    }
}

static void check_guarded(void)
{
    struct stat now[NGUARDED];
    stat_guarded(now);
    for (size_t i = 0; i < NGUARDED; i++) {
        const struct stat *a = &guarded_st[i], *b = &now[i];
        if (a->st_ino != b->st_ino || a->st_mode != b->st_mode || a->st_size != b->st_size ||
            a->st_nlink != b->st_nlink || a->st_uid != b->st_uid ||
            a->st_ctim.tv_sec != b->st_ctim.tv_sec || a->st_ctim.tv_nsec != b->st_ctim.tv_nsec) {
            fprintf(stderr, "fuzz_gofer: %s/%s changed\n", top, guarded[i]);
            abort();
        }
    }
}

/* At exit (libFuzzer's -max_total_time ends with exit()): the whole temp tree goes. */
static void remove_tree(void)
{
    fid_clunk_all(&server);
    chmod(top, 0755);
    remove_at(AT_FDCWD, top);
}

static void drop_privileges(void)
{
    if (geteuid() != 0)
        return;
    CHECK(chown(top, NOBODY, NOBODY) == 0);
    CHECK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
    CHECK(geteuid() == NOBODY);
}

/* A fresh table: ATTACH rw (fid 1<<32), ATTACH ro (1<<32 | 1), rw's dir (| 2) and file (| 3), so
 * seeds and the fuzzer can name fids that exist. */
static void reset_fids(void)
{
    fid_clunk_all(&server);
    server.nfids = 0;
    server.free_head = 0;
    const char *walks[] = {"dir", "file"};
    for (uint32_t m = 0; m < 2; m++) {
        struct gofer_entry ent;
        CHECK(fid_new(&server, fcntl(server.mounts[m].root_fd, F_DUPFD_CLOEXEC, 0), m, &ent) == 0);
    }
    for (int i = 0; i < 2; i++) {
        struct gofer_entry ent;
        int fd = host_walk1(server.mounts[0].root_fd, walks[i]);
        CHECK(fd >= 0 && fid_new(&server, fd, 0, &ent) == 0);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    strcpy(top, "/tmp/moat-fuzz-gofer-XXXXXX");
    CHECK(mkdtemp(top));
    drop_privileges();
    snprintf(rw, sizeof(rw), "%s/rw", top);
    snprintf(ro, sizeof(ro), "%s/ro", top);
    CHECK(mkdir(rw, 0755) == 0 && mkdir(ro, 0755) == 0);
    char p[160];
    snprintf(p, sizeof(p), "%s/dir", ro);
    CHECK(mkdir(p, 0755) == 0);
    put_file(ro, "file", "read-only\n");
    put_file(top, "outside", "never touched\n");
    populate_rw();
    struct gofer_err e;
    CHECK(gofer_server_init(&server, &e) == 0);
    CHECK(gofer_server_add_mount(&server, rw, false, &e) == 0);
    CHECK(gofer_server_add_mount(&server, ro, true, &e) == 0);
    umask(0);
    reset_fids();
    baseline_fds = count_fds(false);
    stat_guarded(guarded_st);
    atexit(remove_tree);
    return 0;
}

/* The codec alone: what it accepts it reproduces exactly, and it never reads out of bounds. */
static void check_codec(const uint8_t *data, size_t size)
{
    struct gofer_req req;
    const char *why = NULL;
    long rc = gofer_decode_request(data, size, &req, &why);
    CHECK(rc == 0 || rc == -EINVAL || rc == -EPROTO);
    CHECK(rc == 0 || why);
    if (rc == -EINVAL)
        CHECK(req.op >= GOFER_OP_HELLO && req.op < GOFER_OP_END);
    if (rc == 0) {
        long n = gofer_encode_request(&req, again, sizeof(again));
        CHECK(n == (long)size && memcmp(again, data, size) == 0);
    }
    struct gofer_rep r;
    if (gofer_decode_reply(data, size, &r, &why) == 0 && r.err == 0) {
        if (r.op == GOFER_OP_WALK) {
            for (uint32_t i = 0; i < r.u.walk.nwalked; i++) {
                struct gofer_entry ent;
                gofer_rep_walk_entry(&r, i, &ent);
            }
        } else if (r.op == GOFER_OP_GETDENTS) {
            struct gofer_dirent d;
            size_t off = 0;
            uint32_t n = 0;
            while (gofer_rep_next_dirent(&r, &off, &d))
                n++;
            CHECK(n == r.u.getdents.nents && off == r.var_len);
        }
    }
}

/* Every reply the gofer builds must be one the client accepts. */
static void check_reply(long len, int fd)
{
    struct gofer_rep r;
    const char *why = NULL;
    if (gofer_decode_reply(rep, (size_t)len, &r, &why) != 0) {
        fprintf(stderr, "fuzz_gofer: bad %s reply: %s\n", gofer_op_name(r.op), why);
        abort();
    }
    CHECK((fd >= 0) == (r.err == 0 && gofer_op_replies_fd(r.op)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_codec(data, size);
    size_t off = 0;
    for (int n = 0; off < size && n < 32; n++) {
        uint32_t len = 0;
        if (size - off >= 4)
            memcpy(&len, data + off, 4);
        if (len < sizeof(struct gofer_req_hdr) || len > size - off)
            len = (uint32_t)(size - off);
        int fd;
        const char *why = NULL;
        long r = gofer_handle(&server, data + off, len, rep, &fd, &why);
        if (r >= 0)
            check_reply(r, fd);
        else
            CHECK(r == -EPROTO && why && fd < 0);
        if (fd >= 0)
            close(fd);
        off += len;
    }
    for (unsigned i = 0; i < server.nchannels; i++)
        close(server.channels[i]);
    server.nchannels = 0;
    check_guarded();
    wipe_rw();
    populate_rw();
    reset_fids();
    if (count_fds(false) != baseline_fds) {
        fprintf(stderr, "fuzz_gofer: %d fds open, %d before the input\n", count_fds(true),
                baseline_fds);
        abort();
    }
    return 0;
}
