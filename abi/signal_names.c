/* Names of Linux x86-64 signals: the classic 31 and the real-time range 32..64. */
#include <stddef.h>

#include "abi/signal_names.h"

/* clang-format off */
static const char *const signal_names[ABI_NSIG + 1] = {
    [1] = "SIGHUP",     [2] = "SIGINT",     [3] = "SIGQUIT",    [4] = "SIGILL",
    [5] = "SIGTRAP",    [6] = "SIGABRT",    [7] = "SIGBUS",     [8] = "SIGFPE",
    [9] = "SIGKILL",    [10] = "SIGUSR1",   [11] = "SIGSEGV",   [12] = "SIGUSR2",
    [13] = "SIGPIPE",   [14] = "SIGALRM",   [15] = "SIGTERM",   [16] = "SIGSTKFLT",
    [17] = "SIGCHLD",   [18] = "SIGCONT",   [19] = "SIGSTOP",   [20] = "SIGTSTP",
    [21] = "SIGTTIN",   [22] = "SIGTTOU",   [23] = "SIGURG",    [24] = "SIGXCPU",
    [25] = "SIGXFSZ",   [26] = "SIGVTALRM", [27] = "SIGPROF",   [28] = "SIGWINCH",
    [29] = "SIGIO",     [30] = "SIGPWR",    [31] = "SIGSYS",    [32] = "SIGRTMIN",
    [33] = "SIGRT1",    [34] = "SIGRT2",    [35] = "SIGRT3",    [36] = "SIGRT4",
    [37] = "SIGRT5",    [38] = "SIGRT6",    [39] = "SIGRT7",    [40] = "SIGRT8",
    [41] = "SIGRT9",    [42] = "SIGRT10",   [43] = "SIGRT11",   [44] = "SIGRT12",
    [45] = "SIGRT13",   [46] = "SIGRT14",   [47] = "SIGRT15",   [48] = "SIGRT16",
    [49] = "SIGRT17",   [50] = "SIGRT18",   [51] = "SIGRT19",   [52] = "SIGRT20",
    [53] = "SIGRT21",   [54] = "SIGRT22",   [55] = "SIGRT23",   [56] = "SIGRT24",
    [57] = "SIGRT25",   [58] = "SIGRT26",   [59] = "SIGRT27",   [60] = "SIGRT28",
    [61] = "SIGRT29",   [62] = "SIGRT30",   [63] = "SIGRT31",   [64] = "SIGRTMAX",
};
/* clang-format on */

const char *abi_signal_name(int sig)
{
    if (sig < 1 || sig > ABI_NSIG)
        return NULL;
    return signal_names[sig];
}
