/* The ELF loader's interface: load an executable into a fresh mm and report where to start. */
#ifndef MOAT_LOADER_H
#define MOAT_LOADER_H

#include <stdint.h>

struct task;
struct mm;
struct file;
struct platform_ctx;

struct loader_args {
    char *const *argv;
    char *const *envp;
    const char *execfn; /* AT_EXECFN: the path as execve got it */
    /* Opens the PT_INTERP path in the caller's filesystem view; NULL if there is none yet. */
    long (*open_interp)(void *ctx, const char *path, struct file **out);
    void *open_ctx;
};

struct loader_result {
    uint64_t entry; /* first instruction (the interpreter's entry for dynamic executables) */
    uint64_t sp;    /* initial stack pointer (points at argc) */
};

/* Loads `exe` into `mm` (empty but for the stub and vDSO) through `ctx`. 0 or -errno
 * (-ENOEXEC for a file that is not a loadable x86-64 ELF). */
long loader_load(struct task *t, struct mm *mm, struct platform_ctx *ctx, struct file *exe,
                 const struct loader_args *a, struct loader_result *res);

#endif
