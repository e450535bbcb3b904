/* Layout of the stub's pages, shared by the stub's assembly and the platforms' C code.
 * The stub occupies [base, base + STUB_TOTAL_SIZE): code page(s), then one data page. */
#ifndef MOAT_STUB_LAYOUT_H
#define MOAT_STUB_LAYOUT_H

#define STUB_CODE_SIZE 4096
#define STUB_DATA_SIZE 4096
#define STUB_TOTAL_SIZE (STUB_CODE_SIZE + STUB_DATA_SIZE)

#define PLATFORM_STUB_CTL_FD_ASM 0

/* Offsets in the data page. */
#define STUB_DATA_SENTRY_PID 0   /* u64: the sentry's pid; a new stub exits if its parent differs */
#define STUB_DATA_REPLY 8        /* u64: the zygote's answer (child pid or -errno) */
#define STUB_DATA_NRANGES 16     /* u64: ranges the zygote unmaps at start */
#define STUB_DATA_RANGES 24      /* {u64 addr, u64 len}[STUB_MAX_RANGES] */
#define STUB_MAX_RANGES 8
#define STUB_DATA_MSGHDR 256     /* struct msghdr for recvmsg of one fd */
#define STUB_DATA_IOV 320        /* struct iovec */
#define STUB_DATA_IOBUF 336      /* 64 bytes of payload */
#define STUB_DATA_CMSG 400       /* cmsghdr + one int (fd at +16) */
#define STUB_DATA_CMSG_LEN 64

#ifndef __ASSEMBLER__
extern const char stub_code_start[], stub_code_end[];
extern const char stub_syscall[], stub_map_fd[], stub_zygote_entry[], stub_idle[];
extern const char stub_clone_thread[], stub_fork[];
#endif

#endif
