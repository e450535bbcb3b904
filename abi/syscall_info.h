/* What moat knows about each x86-64 syscall: name, status, argument names and kinds, generated
 * from abi/syscalls.tbl by abi/gen_syscalls.py into abi_syscalls[]. */
#ifndef MOAT_ABI_SYSCALL_INFO_H
#define MOAT_ABI_SYSCALL_INFO_H

/* Syscall numbers are 0..ABI_SYSCALL_MAX-1 (x32 numbers from 512 up are not x86-64 syscalls). */
#define ABI_SYSCALL_MAX  512
#define ABI_SYSCALL_ARGS 6

enum abi_syscall_status {
    ABI_STATUS_UNIMPLEMENTED, /* returns -ENOSYS */
    ABI_STATUS_PARTIAL,
    ABI_STATUS_IMPLEMENTED,
};

/* How the return value prints: decimal, or hex for calls returning addresses. */
enum abi_ret_kind {
    ABI_RET_LONG,
    ABI_RET_ADDR,
};

/* Argument kinds of abi/syscalls.tbl (the KINDS of abi/gen_syscalls.py, in upper case). */
enum abi_arg_kind {
    ABI_ARG_NONE, /* unused argument slot */
    ABI_ARG_INT,
    ABI_ARG_UINT,
    ABI_ARG_LONG,
    ABI_ARG_ULONG,
    ABI_ARG_SIZE,
    ABI_ARG_OFF,
    ABI_ARG_FD,
    ABI_ARG_DIRFD,
    ABI_ARG_PID,
    ABI_ARG_UID,
    ABI_ARG_GID,
    ABI_ARG_MODE,
    ABI_ARG_SIGNAL,
    ABI_ARG_CLOCKID,
    ABI_ARG_WHENCE,
    ABI_ARG_OPEN_FLAGS,
    ABI_ARG_AT_FLAGS,
    ABI_ARG_MMAP_PROT,
    ABI_ARG_MMAP_FLAGS,
    ABI_ARG_CLONE_FLAGS,
    ABI_ARG_FUTEX_OP,
    ABI_ARG_FCNTL_CMD,
    ABI_ARG_IOCTL_CMD,
    ABI_ARG_PRCTL_OP,
    ABI_ARG_ARCH_PRCTL_CODE,
    ABI_ARG_SIGPROCMASK_HOW,
    ABI_ARG_FLAGS,  /* unsigned long, printed in hex */
    ABI_ARG_IFLAGS, /* int, printed in hex */
    ABI_ARG_UFLAGS, /* unsigned int, printed in hex */
    ABI_ARG_ADDR,
    ABI_ARG_PATH,
    ABI_ARG_STR,
    ABI_ARG_INBUF,  /* bytes the call reads; length in args[len_arg] */
    ABI_ARG_OUTBUF, /* bytes the call writes; length in args[len_arg], valid bytes = return value */
    ABI_ARG_IN,     /* pointer to a struct `type` the call reads */
    ABI_ARG_OUT,    /* ... writes */
    ABI_ARG_INOUT,  /* ... reads and writes */
};

struct abi_syscall_arg {
    const char *name; /* the kernel's argument name; NULL for an unused slot */
    enum abi_arg_kind kind;
    int len_arg;      /* INBUF/OUTBUF: index of the length argument; else -1 */
    const char *type; /* IN/OUT/INOUT: the struct's name (e.g. "stat"); else NULL */
};

struct abi_syscall {
    const char *name; /* NULL for a number Linux does not define */
    enum abi_syscall_status status;
    enum abi_ret_kind ret;
    int nargs;
    struct abi_syscall_arg args[ABI_SYSCALL_ARGS];
    const char *note; /* compatibility note, or NULL */
};

extern const struct abi_syscall abi_syscalls[ABI_SYSCALL_MAX];

/* The entry for nr, or NULL if nr is out of range or Linux does not define it. */
const struct abi_syscall *abi_syscall_info(unsigned nr);

/* "read" for 0; NULL if unknown. */
const char *abi_syscall_name(unsigned nr);

/* The number of the syscall called name, or -1 if there is none. */
int abi_syscall_lookup(const char *name);

#endif
