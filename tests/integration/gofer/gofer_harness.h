/* Shared pieces of the gofer integration tests: a temp tree, the real `moat gofer` (MOAT_EXE)
 * started on it with one read-write and one read-only mount, and host-side comparisons. */
#ifndef TESTS_INTEGRATION_GOFER_HARNESS_H
#define TESTS_INTEGRATION_GOFER_HARNESS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sentry/fs/gofer/gofer_client.h"

#define MOUNT_RW 0
#define MOUNT_RO 1

struct harness {
    char top[256]; /* the temp tree */
    char rw[300];  /* mount 0 */
    char ro[300];  /* mount 1 */
    pid_t pid;     /* the gofer */
    struct gofer_client *client;
};

extern struct harness H;

/* Builds the tree:
 *   rw/file ("hello\n"), rw/dir/inner ("inner"), rw/evil -> /../../../etc/shadow,
 *   rw/etclink -> /etc, rw/swap/passwd ("not the host's"), rw/swaplink -> /etc,
 *   ro/file ("read-only\n"), ro/dir/, ro/link -> file
 * then starts the gofer on rw and ro and connects the client. */
void harness_start(void);
/* Starts the gofer alone; *sock is the sentry end of its socket. */
void harness_spawn(int *sock);
/* Frees the client, kills and reaps the gofer, removes the tree. */
void harness_stop(void);

/* top/rel on the host. */
const char *host_path(const char *rel);
/* lstat of top/rel (asserts it works). */
struct stat host_lstat(const char *rel);
/* Asserts that a gofer stat and a host stat describe the same file. */
void expect_same_file(const struct gofer_stat *g, const struct stat *h);
/* Walks a '/'-separated path from dirfid; asserts every component was walked; returns the last
 * fid (and its stat in *st if st). */
uint64_t walk_ok(uint64_t dirfid, const char *path, struct gofer_stat *st);
/* The fid of a mount's root. */
uint64_t attach_ok(unsigned mount);

/* The uid/gid the tests chown to: 1234/5678 as root, the caller's own otherwise. */
uint32_t test_uid(void);
uint32_t test_gid(void);

#endif
