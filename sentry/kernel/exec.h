/* execve and the init task's first program. */
#ifndef MOAT_EXEC_H
#define MOAT_EXEC_H

struct task;

/* execve/execveat: 0 (the task's registers now start the new program) or -errno (nothing
 * changed). at_flags: AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW. */
long do_execve(struct task *t, int dirfd, const char *filename, char **argv, char **envp,
               int at_flags);
/* The init task's program: cmd is searched in envp's PATH when it has no slash. */
long exec_first(struct task *t, const char *cmd, char **argv, char **envp);

#endif
