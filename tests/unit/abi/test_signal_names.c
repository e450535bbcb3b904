/* Tests of signal names: the classic signals match glibc's, real-time ones follow strace. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "abi/signal_names.h"

Test(signal_names, classic_signals_match_glibc)
{
    for (int sig = 1; sig < ABI_SIGRTMIN; sig++) {
        char expected[32];
        const char *abbrev = sigabbrev_np(sig);
        cr_assert_not_null(abbrev, "glibc has no name for %d", sig);
        snprintf(expected, sizeof(expected), "SIG%s", abbrev);
        /* glibc calls 6 ABRT and 29 POLL; the kernel and strace say SIGABRT and SIGIO. */
        if (sig == SIGIO)
            strcpy(expected, "SIGIO");
        cr_assert_not_null(abi_signal_name(sig), "signal %d", sig);
        cr_expect_str_eq(abi_signal_name(sig), expected, "signal %d", sig);
    }
    cr_expect_str_eq(abi_signal_name(SIGSEGV), "SIGSEGV");
    cr_expect_str_eq(abi_signal_name(SIGCHLD), "SIGCHLD");
    cr_expect_str_eq(abi_signal_name(SIGSYS), "SIGSYS");
}

Test(signal_names, realtime_signals)
{
    cr_expect_str_eq(abi_signal_name(32), "SIGRTMIN");
    cr_expect_str_eq(abi_signal_name(33), "SIGRT1");
    cr_expect_str_eq(abi_signal_name(35), "SIGRT3");
    cr_expect_str_eq(abi_signal_name(63), "SIGRT31");
    cr_expect_str_eq(abi_signal_name(64), "SIGRTMAX");
    for (int sig = ABI_SIGRTMIN; sig <= ABI_NSIG; sig++)
        cr_expect_not_null(abi_signal_name(sig), "signal %d", sig);
}

Test(signal_names, out_of_range)
{
    cr_expect_null(abi_signal_name(0));
    cr_expect_null(abi_signal_name(-1));
    cr_expect_null(abi_signal_name(65));
    cr_expect_null(abi_signal_name(128));
}
