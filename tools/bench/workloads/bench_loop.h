/* The timing loop every micro workload shares: parse "N BUDGET_MS [PATH]", run an operation up to N
 * times (stopping early once the time budget is spent), and print one "ns_per_op=..." line for the
 * driver. Only the loop is timed, so sandbox start-up never counts. */
#ifndef MOAT_BENCH_LOOP_H
#define MOAT_BENCH_LOOP_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct bench {
    const char *name;
    long n;           /* at most this many operations */
    double budget_s;  /* stop early once this much time has passed */
    const char *path; /* the file the case works on, if it needs one */
    double start;
};

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Prints "NAME: WHAT: strerror(errno)" and exits 1: the driver reports the last stderr line. */
static inline void bench_fail(const struct bench *b, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", b->name, what, strerror(errno));
    exit(1);
}

/* Fails unless a read-like call moved exactly `want` bytes. The driver makes its files large
 * enough, so a short count is a bug worth its own message. */
static inline void bench_check_io(const struct bench *b, const char *what, ssize_t got,
                                  ssize_t want)
{
    if (got < 0)
        bench_fail(b, what);
    if (got != want) {
        fprintf(stderr, "%s: %s: short (%zd of %zd bytes)\n", b->name, what, got, want);
        exit(1);
    }
}

/* Reads the arguments; exits 2 with a usage line if they are wrong. */
static inline void bench_init(struct bench *b, const char *name, int argc, char **argv,
                              bool needs_path)
{
    char *end1 = NULL, *end2 = NULL;
    b->name = name;
    if (argc == 3 + (needs_path ? 1 : 0)) {
        b->n = strtol(argv[1], &end1, 10);
        b->budget_s = strtod(argv[2], &end2) / 1000.0;
    }
    if (!end1 || *end1 || !end2 || *end2 || b->n <= 0 || b->budget_s <= 0) {
        fprintf(stderr, "usage: %s N BUDGET_MS%s\n", argv[0], needs_path ? " PATH" : "");
        exit(2);
    }
    b->path = needs_path ? argv[3] : NULL;
}

/* Opens the case's file read-only, or fails. */
static inline int bench_open_path(const struct bench *b)
{
    int fd = open(b->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        bench_fail(b, b->path);
    return fd;
}

/* fork(), failing the workload if it fails. */
static inline pid_t bench_fork(const struct bench *b)
{
    pid_t pid = fork();
    if (pid < 0)
        bench_fail(b, "fork");
    return pid;
}

/* Waits for a child of the workload and fails unless it exited with status 0. */
static inline void bench_wait_child(const struct bench *b, pid_t pid, const char *what)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        bench_fail(b, "waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: %s ended with status 0x%x\n", b->name, what, status);
        exit(1);
    }
}

/* Starts the clock: call after set-up, right before the loop. */
static inline void bench_start(struct bench *b)
{
    b->start = bench_now();
}

/* True while operation number i (from 0) should run. The clock is read only at powers of two and
 * every 256th operation, so reading it costs nothing measurable even for the fastest cases. */
static inline bool bench_keep_going(const struct bench *b, long i)
{
    if (i >= b->n)
        return false;
    if ((i & (i - 1)) != 0 && (i & 255) != 0)
        return true;
    return bench_now() - b->start < b->budget_s;
}

/* Stops the clock after `done` operations and prints the result line; bytes_per_op > 0 adds the
 * throughput. Returns main's exit status. */
static inline int bench_finish(const struct bench *b, long done, double bytes_per_op)
{
    double elapsed = bench_now() - b->start;
    if (done <= 0) {
        fprintf(stderr, "%s: no operation completed\n", b->name);
        return 1;
    }
    double ns = elapsed * 1e9 / (double)done;
    printf("%s ns_per_op=%.3f iterations=%ld elapsed_s=%.6f", b->name, ns, done, elapsed);
    if (bytes_per_op > 0)
        printf(" mb_per_s=%.1f", bytes_per_op / ns * 1e3);
    printf("\n");
    return fflush(stdout) == 0 ? 0 : 1;
}

#endif
