/* Files backed directly by a host fd the sentry holds: the inherited stdio, and (until the gofer
 * serves files) the executable the CLI opened. */
#ifndef MOAT_FS_HOST_FILE_H
#define MOAT_FS_HOST_FILE_H

struct file;

/* Wraps host_fd (ownership passes to the file); flags are the O_ACCMODE and status flags the
 * application sees. NULL on allocation failure. */
struct file *host_file_new(int host_fd, unsigned int flags, const char *name);

#endif
