/* The gofer process's entry point and its configuration (docs/gofer.md): `moat gofer` reads a JSON
 * config from one fd and serves the sentry on a SOCK_SEQPACKET socket until the sentry is gone. */
#ifndef GOFER_GOFER_H
#define GOFER_GOFER_H

#include <stdbool.h>
#include <stddef.h>

#define GOFER_MOUNTS_MAX 256

/* A setup error: a message with context and the errno it came from (printed once by the CLI). */
struct gofer_err {
    int err;
    char msg[512];
};

/* Sets e and returns -1. */
int gofer_fail(struct gofer_err *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct gofer_mount_config {
    char *host_path; /* absolute */
    bool readonly;
};

/* {"mounts": [{"host_path": "/", "readonly": true}, ...]}: mount i has id i. */
struct gofer_config {
    struct gofer_mount_config *mounts;
    unsigned nmounts;
};

/* Parses a config (1..GOFER_MOUNTS_MAX mounts; "readonly" defaults to true; unknown keys are
 * errors). Returns 0 or -1 with e set. */
int gofer_config_parse(const char *text, size_t len, struct gofer_config *cfg, struct gofer_err *e);
/* Reads the whole config from fd (at most 1 MiB) and parses it. */
int gofer_config_read(int fd, struct gofer_config *cfg, struct gofer_err *e);
/* The JSON text of cfg (malloc'd), for whoever starts the gofer. NULL if out of memory. */
char *gofer_config_serialize(const struct gofer_config *cfg);
void gofer_config_free(struct gofer_config *cfg);

/* The gofer: reads the config from config_fd (and closes it), opens the mount roots, then serves
 * socket_fd and every channel made from it until all are closed. Returns 0, or -1 with e set when
 * setup fails. */
int gofer_run(int config_fd, int socket_fd, struct gofer_err *e);

#endif
