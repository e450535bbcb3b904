/* Layout of the systrap stub's pages, shared by its assembly and the platform's C code.
 * [stub_start: code page, read-only data page (filters, masks), the zygote's data page, region];
 * the region is one memfd per address space, mapped by the stub and the sentry alike. */
#ifndef MOAT_SYSTRAP_LAYOUT_H
#define MOAT_SYSTRAP_LAYOUT_H

#define ST_CODE_SIZE  8192  /* page 0: code; page 1: read-only data the sentry fills at start */
#define ST_RODATA_OFF 4096  /* offset of the read-only data page from stub_start */
#define ST_DATA_OFF   8192  /* the zygote's data page (STUB_DATA_* offsets of stub_layout.h) */
#define ST_REGION_OFF 12288 /* the shared region */

/* Read-only data page (offsets from ST_RODATA_OFF). */
#define ST_RO_APP_FPROG      0  /* struct sock_fprog of the application threads' filter */
#define ST_RO_CTL_FPROG      16 /* struct sock_fprog of the control thread's filter */
#define ST_RO_APP_MASK       32 /* u64: host signal mask of application threads */
#define ST_RO_CTL_MASK       40 /* u64: host signal mask of the control thread (all blocked) */
#define ST_RO_SENTRY_PID     48 /* u64: the sentry's pid (a new stub exits if its parent differs) */
#define ST_RO_YIELDS         56 /* u32: sched_yield calls the handler makes before it sleeps */
#define ST_RO_SIGACTION      64 /* struct kernel_sigaction for the trap handler (32 bytes) */
#define ST_RO_APP_FILTER     256 /* sock_filter[], at most ST_RO_APP_FILTER_MAX instructions */
#define ST_RO_APP_FILTER_MAX 160
#define ST_RO_CTL_FILTER     1536 /* sock_filter[], at most ST_RO_CTL_FILTER_MAX instructions */
#define ST_RO_CTL_FILTER_MAX 320

/* The region (offsets from ST_REGION_OFF). Channel c: a request page the stub maps read-only
 * (written by the sentry only) and a reply page it can write. Slot s: one application thread's
 * message header page followed by its signal stack (the handler's frames live there). */
#define ST_NCHAN         16
#define ST_REQ_OFF       0
#define ST_REP_OFF       (ST_NCHAN * 4096)
#define ST_RO_AREA_SIZE  ST_REP_OFF /* the read-only part of the region */
#define ST_SLOTS_OFF     (2 * ST_NCHAN * 4096)
#define ST_SLOT_SHIFT    15
#define ST_SLOT_SIZE     (1 << ST_SLOT_SHIFT)
#define ST_NSLOTS        256
#define ST_REGION_SIZE   (ST_SLOTS_OFF + ST_NSLOTS * ST_SLOT_SIZE)
#define ST_RESERVE_SIZE  (ST_REGION_OFF + ST_REGION_SIZE)
#define ST_ALTSTACK_OFF  4096 /* in a slot */
#define ST_REGION_POOL   8 /* regions kept for reuse (sentry side only) */
#define ST_REGION_MAX_USERS 32 /* stub processes tracked per region before it is not reused */
#define ST_ALTSTACK_SIZE (ST_SLOT_SIZE - ST_ALTSTACK_OFF)

/* Request page: written by the sentry as a seqlock (seq odd while it writes). */
#define ST_REQ_SEQ  0  /* u32 futex word */
#define ST_REQ_OP   8  /* u64: a host syscall number, or one of ST_OP_* */
#define ST_REQ_ARGS 16 /* u64[6] */

/* Reply page. */
#define ST_REP_SEQ    0  /* u32 futex word: the seq of the last request done */
#define ST_REP_RET    8  /* i64 */
#define ST_REP_MSGHDR 64 /* struct msghdr for receiving fds */
#define ST_REP_IOV    128
#define ST_REP_IOBUF  144 /* 64 bytes */
#define ST_REP_CMSG   208 /* cmsghdr + up to two ints (at +16, +20) */

#define ST_OP_MAP_FD 1000 /* args: addr len prot flags - offset; maps the fd received on fd 0 */
#define ST_OP_FORK   1001 /* args: clone flags, new channel; receives ctl socket (+ memfd) */
#define ST_OP_THREAD 1002 /* args: slot; a new application thread in this process */

/* Slot header (the first page of a slot). */
#define ST_HDR_STATE          0  /* u32 futex word: ST_RUNNING, ST_TRAPPED, ST_RESUME */
#define ST_HDR_SENTRY_WAITING 4  /* u32: the sentry sleeps on STATE (wake it) */
#define ST_HDR_STUB_WAITING   8  /* u32: the stub sleeps on STATE (wake it) */
#define ST_HDR_SIGNO          12 /* u32 */
#define ST_HDR_INFO           16 /* u64: user address of the frame's siginfo */
#define ST_HDR_UC             24 /* u64: user address of the frame's ucontext */
#define ST_HDR_CMD            32 /* u32: ST_CMD_* bits for the handler on resume */
#define ST_HDR_TID            36 /* u32: the thread's tid (set and cleared by the kernel) */
#define ST_HDR_FS             40 /* u64: new fs base when ST_CMD_SET_FS */
#define ST_HDR_SIGSTACK       48 /* stack_t for sigaltstack */
#define ST_HDR_GS 72            /* u64: new gs base when ST_CMD_SET_GS */

#define ST_RUNNING 0
#define ST_TRAPPED 1
#define ST_RESUME  2

#define ST_CMD_SET_FS 1
#define ST_CMD_EXIT   2
#define ST_CMD_SET_GS 4

#endif
