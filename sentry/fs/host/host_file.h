/* Files backed directly by a host fd the sentry holds: the inherited stdio, and (until the gofer
 * serves files) the executable the CLI opened. */
#ifndef MOAT_FS_HOST_FILE_H
#define MOAT_FS_HOST_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct file;
struct uio;
struct kstat;

/* Transfers between a host fd and a uio through a bounce buffer: at *pos with pread/pwrite, or
 * at the fd's own offset when pos is NULL (streams: one read at most, never blocking twice; a
 * write is all of each chunk or nothing of it, like a pipe). Bytes moved or -errno. */
long host_fd_read(int fd, struct uio *u, int64_t *pos);
long host_fd_write(int fd, struct uio *u, int64_t *pos);
void host_stat_to_kstat(const struct stat *s, struct kstat *st);

/* Wraps host_fd (ownership passes to the file); flags are the O_ACCMODE and status flags the
 * application sees. NULL on allocation failure. */
struct file *host_file_new(int host_fd, unsigned int flags, const char *name);

/* Reads the host names of fds (the CLI's stdio) through /proc/self/fd while the sentry still can:
 * call before lockdown. Later, host_fd_name gives an fd on the same file that name. */
void host_fd_names_record(const int *fds, int n);
/* The host's name for fd as /proc/PID/fd shows it: a recorded one, else made from fstat for
 * pipes, sockets, ttys and common devices; -ENOENT for anything else. 0-terminated. */
long host_fd_name(int fd, char *buf, size_t len);

#endif
