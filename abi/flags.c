/* Strace-style printers for scalar syscall arguments: flag sets, enumerations (commands, clocks,
 * whence), signals, modes. Values are the Linux x86-64 kernel's, written out here rather than taken
 * from libc headers (which differ, e.g. O_LARGEFILE is 0 in glibc's 64-bit headers). */
#include <inttypes.h>

#include "abi/flags.h"
#include "abi/signal_names.h"

struct flag_name {
    uint64_t value;
    const char *name;
};

#define N(tbl) (sizeof(tbl) / sizeof((tbl)[0]))

/* Prints the names of the bit sets of tbl found in v, in table order (multi-bit sets such as
 * O_TMPFILE come before their parts), then what is left in hex. Prints zero for v == 0. */
static void put_bits(struct fmtbuf *b, const struct flag_name *tbl, size_t n, uint64_t v,
                     const char *zero, int printed)
{
    for (size_t i = 0; i < n; i++) {
        if (tbl[i].value && (v & tbl[i].value) == tbl[i].value) {
            fmtbuf_printf(b, "%s%s", printed ? "|" : "", tbl[i].name);
            printed = 1;
            v &= ~tbl[i].value;
        }
    }
    if (v)
        fmtbuf_printf(b, "%s%#" PRIx64, printed ? "|" : "", v);
    else if (!printed)
        fmtbuf_puts(b, zero);
}

static const char *lookup(const struct flag_name *tbl, size_t n, uint64_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (tbl[i].value == v)
            return tbl[i].name;
    }
    return NULL;
}

/* Prints the name of v in tbl, else v in hex. */
static void put_enum_hex(struct fmtbuf *b, const struct flag_name *tbl, size_t n, uint64_t v)
{
    const char *name = lookup(tbl, n, v);
    if (name)
        fmtbuf_puts(b, name);
    else
        fmtbuf_printf(b, "%#" PRIx64, v);
}

/* Prints the name of v in tbl, else v as a signed decimal int. */
static void put_enum_int(struct fmtbuf *b, const struct flag_name *tbl, size_t n, int v)
{
    const char *name = v >= 0 ? lookup(tbl, n, (uint64_t)v) : NULL;
    if (name)
        fmtbuf_puts(b, name);
    else
        fmtbuf_printf(b, "%d", v);
}

static const struct flag_name open_flags[] = {
    {0100, "O_CREAT"},        {0200, "O_EXCL"},         {0400, "O_NOCTTY"},
    {01000, "O_TRUNC"},       {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},
    {04010000, "O_SYNC"}, /* __O_SYNC|O_DSYNC */
    {010000, "O_DSYNC"},      {020000, "O_ASYNC"},      {040000, "O_DIRECT"},
    {0100000, "O_LARGEFILE"}, {020200000, "O_TMPFILE"}, /* __O_TMPFILE|O_DIRECTORY */
    {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},  {01000000, "O_NOATIME"},
    {02000000, "O_CLOEXEC"},  {010000000, "O_PATH"},
};

static void put_open_flags(struct fmtbuf *b, uint32_t v)
{
    static const char *const access[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
    fmtbuf_puts(b, access[v & 3]);
    put_bits(b, open_flags, N(open_flags), v & ~3u, "", 1);
}

static const struct flag_name at_flags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"},  {0x200, "AT_REMOVEDIR"}, /* also AT_EACCESS and AT_HANDLE_FID,
                                                                 by context */
    {0x400, "AT_SYMLINK_FOLLOW"},    {0x800, "AT_NO_AUTOMOUNT"},     {0x1000, "AT_EMPTY_PATH"},
    {0x2000, "AT_STATX_FORCE_SYNC"}, {0x4000, "AT_STATX_DONT_SYNC"}, {0x8000, "AT_RECURSIVE"},
};

static const struct flag_name mmap_prot[] = {
    {0x1, "PROT_READ"},
    {0x2, "PROT_WRITE"},
    {0x4, "PROT_EXEC"},
    {0x8, "PROT_SEM"},
    {0x01000000, "PROT_GROWSDOWN"},
    {0x02000000, "PROT_GROWSUP"},
};

#define MAP_TYPE_MASK  0x0fu
#define MAP_HUGETLB_   0x40000u
#define MAP_HUGE_SHIFT 26
#define MAP_HUGE_MASK  0x3fu

static const struct flag_name mmap_types[] = {
    {0x01, "MAP_SHARED"},
    {0x02, "MAP_PRIVATE"},
    {0x03, "MAP_SHARED_VALIDATE"},
    {0x08, "MAP_DROPPABLE"},
};

static const struct flag_name mmap_flags[] = {
    {0x10, "MAP_FIXED"},
    {0x20, "MAP_ANONYMOUS"},
    {0x40, "MAP_32BIT"},
    {0x100, "MAP_GROWSDOWN"},
    {0x800, "MAP_DENYWRITE"},
    {0x1000, "MAP_EXECUTABLE"},
    {0x2000, "MAP_LOCKED"},
    {0x4000, "MAP_NORESERVE"},
    {0x8000, "MAP_POPULATE"},
    {0x10000, "MAP_NONBLOCK"},
    {0x20000, "MAP_STACK"},
    {MAP_HUGETLB_, "MAP_HUGETLB"},
    {0x80000, "MAP_SYNC"},
    {0x100000, "MAP_FIXED_NOREPLACE"},
    {0x4000000, "MAP_UNINITIALIZED"}, /* only without MAP_HUGETLB: shares bit 26 */
};

static void put_mmap_flags(struct fmtbuf *b, uint64_t v)
{
    int printed = 0;
    uint64_t type = v & MAP_TYPE_MASK;
    if (type) {
        put_enum_hex(b, mmap_types, N(mmap_types), type);
        printed = 1;
    }
    v &= ~(uint64_t)MAP_TYPE_MASK;
    uint64_t huge = (v >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    if ((v & MAP_HUGETLB_) && huge) {
        /* The page size is 2^huge bytes: MAP_HUGE_2MB, MAP_HUGE_1GB. */
        static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
        unsigned unit = (unsigned)huge / 10;
        fmtbuf_printf(b, "%sMAP_HUGE_%" PRIu64 "%s", printed ? "|" : "", (uint64_t)1 << (huge % 10),
                      units[unit]);
        printed = 1;
        v &= ~((uint64_t)MAP_HUGE_MASK << MAP_HUGE_SHIFT);
    }
    put_bits(b, mmap_flags, N(mmap_flags), v, "0", printed);
}

#define CSIGNAL_MASK 0xffu

static const struct flag_name clone_flags[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},
    {0x8000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},
    {0x80000000, "CLONE_IO"},
    {0x100000000ULL, "CLONE_CLEAR_SIGHAND"},
    {0x200000000ULL, "CLONE_INTO_CGROUP"},
};

/* CLONE_xxx bits, then the low byte: the exit signal for clone(), or CLONE_NEWTIME (0x80, not a
 * valid signal) for unshare()/setns(). */
static void put_clone_flags(struct fmtbuf *b, uint64_t v)
{
    uint64_t low = v & CSIGNAL_MASK;
    put_bits(b, clone_flags, N(clone_flags), v & ~(uint64_t)CSIGNAL_MASK, "", 0);
    if (!low) {
        if (!(v & ~(uint64_t)CSIGNAL_MASK))
            fmtbuf_puts(b, "0");
        return;
    }
    if (v & ~(uint64_t)CSIGNAL_MASK)
        fmtbuf_putc(b, '|');
    const char *sig = abi_signal_name((int)low);
    if (sig)
        fmtbuf_puts(b, sig);
    else if (low == 0x80)
        fmtbuf_puts(b, "CLONE_NEWTIME");
    else
        fmtbuf_printf(b, "%#" PRIx64, low);
}

#define FUTEX_PRIVATE_FLAG_   128u
#define FUTEX_CLOCK_REALTIME_ 256u

static const struct flag_name futex_cmds[] = {
    {0, "FUTEX_WAIT"},
    {1, "FUTEX_WAKE"},
    {2, "FUTEX_FD"},
    {3, "FUTEX_REQUEUE"},
    {4, "FUTEX_CMP_REQUEUE"},
    {5, "FUTEX_WAKE_OP"},
    {6, "FUTEX_LOCK_PI"},
    {7, "FUTEX_UNLOCK_PI"},
    {8, "FUTEX_TRYLOCK_PI"},
    {9, "FUTEX_WAIT_BITSET"},
    {10, "FUTEX_WAKE_BITSET"},
    {11, "FUTEX_WAIT_REQUEUE_PI"},
    {12, "FUTEX_CMP_REQUEUE_PI"},
    {13, "FUTEX_LOCK_PI2"},
};

/* FUTEX_WAIT_PRIVATE, FUTEX_WAKE|FUTEX_CLOCK_REALTIME, ... */
static void put_futex_op(struct fmtbuf *b, uint32_t v)
{
    uint32_t cmd = v & ~(FUTEX_PRIVATE_FLAG_ | FUTEX_CLOCK_REALTIME_);
    const char *name = lookup(futex_cmds, N(futex_cmds), cmd);
    if (name) {
        fmtbuf_printf(b, "%s%s", name, (v & FUTEX_PRIVATE_FLAG_) ? "_PRIVATE" : "");
    } else {
        fmtbuf_printf(b, "%#" PRIx32, cmd);
        if (v & FUTEX_PRIVATE_FLAG_)
            fmtbuf_puts(b, "|FUTEX_PRIVATE_FLAG");
    }
    if (v & FUTEX_CLOCK_REALTIME_)
        fmtbuf_puts(b, "|FUTEX_CLOCK_REALTIME");
}

static const struct flag_name fcntl_cmds[] = {
    {0, "F_DUPFD"},
    {1, "F_GETFD"},
    {2, "F_SETFD"},
    {3, "F_GETFL"},
    {4, "F_SETFL"},
    {5, "F_GETLK"},
    {6, "F_SETLK"},
    {7, "F_SETLKW"},
    {8, "F_SETOWN"},
    {9, "F_GETOWN"},
    {10, "F_SETSIG"},
    {11, "F_GETSIG"},
    {15, "F_SETOWN_EX"},
    {16, "F_GETOWN_EX"},
    {17, "F_GETOWNER_UIDS"},
    {36, "F_OFD_GETLK"},
    {37, "F_OFD_SETLK"},
    {38, "F_OFD_SETLKW"},
    {1024, "F_SETLEASE"},
    {1025, "F_GETLEASE"},
    {1026, "F_NOTIFY"},
    {1027, "F_DUPFD_QUERY"},
    {1028, "F_CREATED_QUERY"},
    {1029, "F_CANCELLK"},
    {1030, "F_DUPFD_CLOEXEC"},
    {1031, "F_SETPIPE_SZ"},
    {1032, "F_GETPIPE_SZ"},
    {1033, "F_ADD_SEALS"},
    {1034, "F_GET_SEALS"},
    {1035, "F_GET_RW_HINT"},
    {1036, "F_SET_RW_HINT"},
    {1037, "F_GET_FILE_RW_HINT"},
    {1038, "F_SET_FILE_RW_HINT"},
};

static const struct flag_name ioctl_cmds[] = {
    /* terminals (asm-generic/ioctls.h) */
    {0x5401, "TCGETS"},
    {0x5402, "TCSETS"},
    {0x5403, "TCSETSW"},
    {0x5404, "TCSETSF"},
    {0x5405, "TCGETA"},
    {0x5406, "TCSETA"},
    {0x5407, "TCSETAW"},
    {0x5408, "TCSETAF"},
    {0x5409, "TCSBRK"},
    {0x540a, "TCXONC"},
    {0x540b, "TCFLSH"},
    {0x540c, "TIOCEXCL"},
    {0x540d, "TIOCNXCL"},
    {0x540e, "TIOCSCTTY"},
    {0x540f, "TIOCGPGRP"},
    {0x5410, "TIOCSPGRP"},
    {0x5411, "TIOCOUTQ"},
    {0x5412, "TIOCSTI"},
    {0x5413, "TIOCGWINSZ"},
    {0x5414, "TIOCSWINSZ"},
    {0x5415, "TIOCMGET"},
    {0x5416, "TIOCMBIS"},
    {0x5417, "TIOCMBIC"},
    {0x5418, "TIOCMSET"},
    {0x5419, "TIOCGSOFTCAR"},
    {0x541a, "TIOCSSOFTCAR"},
    {0x541b, "FIONREAD"},
    {0x541c, "TIOCLINUX"},
    {0x541d, "TIOCCONS"},
    {0x541e, "TIOCGSERIAL"},
    {0x541f, "TIOCSSERIAL"},
    {0x5420, "TIOCPKT"},
    {0x5421, "FIONBIO"},
    {0x5422, "TIOCNOTTY"},
    {0x5423, "TIOCSETD"},
    {0x5424, "TIOCGETD"},
    {0x5425, "TCSBRKP"},
    {0x5427, "TIOCSBRK"},
    {0x5428, "TIOCCBRK"},
    {0x5429, "TIOCGSID"},
    {0x802c542a, "TCGETS2"},
    {0x402c542b, "TCSETS2"},
    {0x402c542c, "TCSETSW2"},
    {0x402c542d, "TCSETSF2"},
    {0x80045430, "TIOCGPTN"},
    {0x40045431, "TIOCSPTLCK"},
    {0x80045432, "TIOCGDEV"},
    {0x40045436, "TIOCSIG"},
    {0x5437, "TIOCVHANGUP"},
    {0x80045438, "TIOCGPKT"},
    {0x80045439, "TIOCGPTLCK"},
    {0x80045440, "TIOCGEXCL"},
    {0x5441, "TIOCGPTPEER"},
    {0x5450, "FIONCLEX"},
    {0x5451, "FIOCLEX"},
    {0x5452, "FIOASYNC"},
    {0x5456, "TIOCGLCKTRMIOS"},
    {0x5457, "TIOCSLCKTRMIOS"},
    {0x5460, "FIOQSIZE"},
    /* sockets (linux/sockios.h) */
    {0x8901, "FIOSETOWN"},
    {0x8902, "SIOCSPGRP"},
    {0x8903, "FIOGETOWN"},
    {0x8904, "SIOCGPGRP"},
    {0x8905, "SIOCATMARK"},
    {0x8910, "SIOCGIFNAME"},
    {0x8912, "SIOCGIFCONF"},
    {0x8913, "SIOCGIFFLAGS"},
    {0x8914, "SIOCSIFFLAGS"},
    {0x8915, "SIOCGIFADDR"},
    {0x8916, "SIOCSIFADDR"},
    {0x891b, "SIOCGIFNETMASK"},
    {0x8921, "SIOCGIFMTU"},
    {0x8927, "SIOCGIFHWADDR"},
    {0x8933, "SIOCGIFINDEX"},
    {0x8946, "SIOCETHTOOL"},
    /* files and block devices (linux/fs.h) */
    {0x1, "FIBMAP"},
    {0x2, "FIGETBSZ"},
    {0x125e, "BLKROGET"},
    {0x1260, "BLKGETSIZE"},
    {0x1268, "BLKSSZGET"},
    {0x80081272, "BLKGETSIZE64"},
    {0xc0045877, "FIFREEZE"},
    {0xc0045878, "FITHAW"},
    {0xc0185879, "FITRIM"},
    {0x40049409, "FICLONE"},
    {0x4020940d, "FICLONERANGE"},
    {0xc0189436, "FIDEDUPERANGE"},
    {0x80086601, "FS_IOC_GETFLAGS"},
    {0x40086602, "FS_IOC_SETFLAGS"},
    {0x80087601, "FS_IOC_GETVERSION"},
    {0x40087602, "FS_IOC_SETVERSION"},
    {0xc020660b, "FS_IOC_FIEMAP"},
    {0x801c581f, "FS_IOC_FSGETXATTR"},
    {0x401c5820, "FS_IOC_FSSETXATTR"},
    /* random (linux/random.h) and tun (linux/if_tun.h) */
    {0x80045200, "RNDGETENTCNT"},
    {0x40045201, "RNDADDTOENTCNT"},
    {0x400454ca, "TUNSETIFF"},
};

static const struct flag_name prctl_ops[] = {
    {1, "PR_SET_PDEATHSIG"},
    {2, "PR_GET_PDEATHSIG"},
    {3, "PR_GET_DUMPABLE"},
    {4, "PR_SET_DUMPABLE"},
    {5, "PR_GET_UNALIGN"},
    {6, "PR_SET_UNALIGN"},
    {7, "PR_GET_KEEPCAPS"},
    {8, "PR_SET_KEEPCAPS"},
    {9, "PR_GET_FPEMU"},
    {10, "PR_SET_FPEMU"},
    {11, "PR_GET_FPEXC"},
    {12, "PR_SET_FPEXC"},
    {13, "PR_GET_TIMING"},
    {14, "PR_SET_TIMING"},
    {15, "PR_SET_NAME"},
    {16, "PR_GET_NAME"},
    {19, "PR_GET_ENDIAN"},
    {20, "PR_SET_ENDIAN"},
    {21, "PR_GET_SECCOMP"},
    {22, "PR_SET_SECCOMP"},
    {23, "PR_CAPBSET_READ"},
    {24, "PR_CAPBSET_DROP"},
    {25, "PR_GET_TSC"},
    {26, "PR_SET_TSC"},
    {27, "PR_GET_SECUREBITS"},
    {28, "PR_SET_SECUREBITS"},
    {29, "PR_SET_TIMERSLACK"},
    {30, "PR_GET_TIMERSLACK"},
    {31, "PR_TASK_PERF_EVENTS_DISABLE"},
    {32, "PR_TASK_PERF_EVENTS_ENABLE"},
    {33, "PR_MCE_KILL"},
    {34, "PR_MCE_KILL_GET"},
    {35, "PR_SET_MM"},
    {36, "PR_SET_CHILD_SUBREAPER"},
    {37, "PR_GET_CHILD_SUBREAPER"},
    {38, "PR_SET_NO_NEW_PRIVS"},
    {39, "PR_GET_NO_NEW_PRIVS"},
    {40, "PR_GET_TID_ADDRESS"},
    {41, "PR_SET_THP_DISABLE"},
    {42, "PR_GET_THP_DISABLE"},
    {43, "PR_MPX_ENABLE_MANAGEMENT"},
    {44, "PR_MPX_DISABLE_MANAGEMENT"},
    {45, "PR_SET_FP_MODE"},
    {46, "PR_GET_FP_MODE"},
    {47, "PR_CAP_AMBIENT"},
    {50, "PR_SVE_SET_VL"},
    {51, "PR_SVE_GET_VL"},
    {52, "PR_GET_SPECULATION_CTRL"},
    {53, "PR_SET_SPECULATION_CTRL"},
    {54, "PR_PAC_RESET_KEYS"},
    {55, "PR_SET_TAGGED_ADDR_CTRL"},
    {56, "PR_GET_TAGGED_ADDR_CTRL"},
    {57, "PR_SET_IO_FLUSHER"},
    {58, "PR_GET_IO_FLUSHER"},
    {59, "PR_SET_SYSCALL_USER_DISPATCH"},
    {60, "PR_PAC_SET_ENABLED_KEYS"},
    {61, "PR_PAC_GET_ENABLED_KEYS"},
    {62, "PR_SCHED_CORE"},
    {63, "PR_SME_SET_VL"},
    {64, "PR_SME_GET_VL"},
    {65, "PR_SET_MDWE"},
    {66, "PR_GET_MDWE"},
    {67, "PR_SET_MEMORY_MERGE"},
    {68, "PR_GET_MEMORY_MERGE"},
    {69, "PR_RISCV_V_SET_CONTROL"},
    {70, "PR_RISCV_V_GET_CONTROL"},
    {71, "PR_RISCV_SET_ICACHE_FLUSH_CTX"},
    {72, "PR_PPC_GET_DEXCR"},
    {73, "PR_PPC_SET_DEXCR"},
    {74, "PR_GET_SHADOW_STACK_STATUS"},
    {75, "PR_SET_SHADOW_STACK_STATUS"},
    {76, "PR_LOCK_SHADOW_STACK_STATUS"},
    {77, "PR_TIMER_CREATE_RESTORE_IDS"},
    {78, "PR_FUTEX_HASH"},
    {0x53564d41, "PR_SET_VMA"},
    {0x59616d61, "PR_SET_PTRACER"},
};

static const struct flag_name arch_prctl_codes[] = {
    {0x1001, "ARCH_SET_GS"},
    {0x1002, "ARCH_SET_FS"},
    {0x1003, "ARCH_GET_FS"},
    {0x1004, "ARCH_GET_GS"},
    {0x1011, "ARCH_GET_CPUID"},
    {0x1012, "ARCH_SET_CPUID"},
    {0x1021, "ARCH_GET_XCOMP_SUPP"},
    {0x1022, "ARCH_GET_XCOMP_PERM"},
    {0x1023, "ARCH_REQ_XCOMP_PERM"},
    {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
    {0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"},
    {0x2001, "ARCH_MAP_VDSO_X32"},
    {0x2002, "ARCH_MAP_VDSO_32"},
    {0x2003, "ARCH_MAP_VDSO_64"},
    {0x4001, "ARCH_GET_UNTAG_MASK"},
    {0x4002, "ARCH_ENABLE_TAGGED_ADDR"},
    {0x4003, "ARCH_GET_MAX_TAG_BITS"},
    {0x4004, "ARCH_FORCE_TAGGED_SVA"},
    {0x5001, "ARCH_SHSTK_ENABLE"},
    {0x5002, "ARCH_SHSTK_DISABLE"},
    {0x5003, "ARCH_SHSTK_LOCK"},
    {0x5004, "ARCH_SHSTK_UNLOCK"},
    {0x5005, "ARCH_SHSTK_STATUS"},
};

static const struct flag_name sigprocmask_hows[] = {
    {0, "SIG_BLOCK"},
    {1, "SIG_UNBLOCK"},
    {2, "SIG_SETMASK"},
};

static const struct flag_name clock_ids[] = {
    {0, "CLOCK_REALTIME"},          {1, "CLOCK_MONOTONIC"},     {2, "CLOCK_PROCESS_CPUTIME_ID"},
    {3, "CLOCK_THREAD_CPUTIME_ID"}, {4, "CLOCK_MONOTONIC_RAW"}, {5, "CLOCK_REALTIME_COARSE"},
    {6, "CLOCK_MONOTONIC_COARSE"},  {7, "CLOCK_BOOTTIME"},      {8, "CLOCK_REALTIME_ALARM"},
    {9, "CLOCK_BOOTTIME_ALARM"},    {11, "CLOCK_TAI"},
};

static const struct flag_name whences[] = {
    {0, "SEEK_SET"}, {1, "SEEK_CUR"}, {2, "SEEK_END"}, {3, "SEEK_DATA"}, {4, "SEEK_HOLE"},
};

#define AT_FDCWD_ (-100)

static void put_pointer(struct fmtbuf *b, uint64_t v)
{
    if (v)
        fmtbuf_printf(b, "%#" PRIx64, v);
    else
        fmtbuf_puts(b, "NULL");
}

static void put_hex(struct fmtbuf *b, uint64_t v)
{
    if (v)
        fmtbuf_printf(b, "%#" PRIx64, v);
    else
        fmtbuf_puts(b, "0");
}

/* uid_t/gid_t: (uid_t)-1 means "unchanged" and prints as -1, like strace. */
static void put_id(struct fmtbuf *b, uint32_t v)
{
    if (v == UINT32_MAX)
        fmtbuf_puts(b, "-1");
    else
        fmtbuf_printf(b, "%" PRIu32, v);
}

static void put_signal(struct fmtbuf *b, int sig)
{
    const char *name = abi_signal_name(sig);
    if (name)
        fmtbuf_puts(b, name);
    else
        fmtbuf_printf(b, "%d", sig);
}

void abi_put_arg(struct fmtbuf *b, enum abi_arg_kind kind, uint64_t v)
{
    /* Kinds the kernel takes as 32-bit values use only the low half of the register. */
    uint32_t v32 = (uint32_t)v;
    int i32 = (int)v32;

    switch (kind) {
    case ABI_ARG_INT:
    case ABI_ARG_FD:
    case ABI_ARG_PID:
        fmtbuf_printf(b, "%d", i32);
        break;
    case ABI_ARG_UINT:
        fmtbuf_printf(b, "%" PRIu32, v32);
        break;
    case ABI_ARG_LONG:
    case ABI_ARG_OFF:
        fmtbuf_printf(b, "%" PRId64, (int64_t)v);
        break;
    case ABI_ARG_ULONG:
    case ABI_ARG_SIZE:
        fmtbuf_printf(b, "%" PRIu64, v);
        break;
    case ABI_ARG_DIRFD:
        if (i32 == AT_FDCWD_)
            fmtbuf_puts(b, "AT_FDCWD");
        else
            fmtbuf_printf(b, "%d", i32);
        break;
    case ABI_ARG_UID:
    case ABI_ARG_GID:
        put_id(b, v32);
        break;
    case ABI_ARG_MODE:
        fmtbuf_printf(b, "%#03" PRIo32, v32);
        break;
    case ABI_ARG_SIGNAL:
        put_signal(b, i32);
        break;
    case ABI_ARG_CLOCKID:
        put_enum_int(b, clock_ids, N(clock_ids), i32);
        break;
    case ABI_ARG_WHENCE:
        put_enum_int(b, whences, N(whences), i32);
        break;
    case ABI_ARG_SIGPROCMASK_HOW:
        put_enum_int(b, sigprocmask_hows, N(sigprocmask_hows), i32);
        break;
    case ABI_ARG_OPEN_FLAGS:
        put_open_flags(b, v32);
        break;
    case ABI_ARG_AT_FLAGS:
        put_bits(b, at_flags, N(at_flags), v32, "0", 0);
        break;
    case ABI_ARG_MMAP_PROT:
        put_bits(b, mmap_prot, N(mmap_prot), v, "PROT_NONE", 0);
        break;
    case ABI_ARG_MMAP_FLAGS:
        put_mmap_flags(b, v);
        break;
    case ABI_ARG_CLONE_FLAGS:
        put_clone_flags(b, v);
        break;
    case ABI_ARG_FUTEX_OP:
        put_futex_op(b, v32);
        break;
    case ABI_ARG_FCNTL_CMD:
        put_enum_hex(b, fcntl_cmds, N(fcntl_cmds), v32);
        break;
    case ABI_ARG_IOCTL_CMD:
        put_enum_hex(b, ioctl_cmds, N(ioctl_cmds), v32);
        break;
    case ABI_ARG_PRCTL_OP:
        put_enum_hex(b, prctl_ops, N(prctl_ops), v32);
        break;
    case ABI_ARG_ARCH_PRCTL_CODE:
        put_enum_hex(b, arch_prctl_codes, N(arch_prctl_codes), v32);
        break;
    case ABI_ARG_FLAGS:
        put_hex(b, v);
        break;
    case ABI_ARG_IFLAGS:
    case ABI_ARG_UFLAGS:
        put_hex(b, v32);
        break;
    case ABI_ARG_NONE:
    case ABI_ARG_ADDR:
    case ABI_ARG_PATH:
    case ABI_ARG_STR:
    case ABI_ARG_INBUF:
    case ABI_ARG_OUTBUF:
    case ABI_ARG_IN:
    case ABI_ARG_OUT:
    case ABI_ARG_INOUT:
    default:
        put_pointer(b, v);
        break;
    }
}

size_t abi_format_arg(char *out, size_t outlen, enum abi_arg_kind kind, uint64_t value)
{
    struct fmtbuf b;
    fmtbuf_init(&b, out, outlen);
    abi_put_arg(&b, kind, value);
    return b.len;
}
