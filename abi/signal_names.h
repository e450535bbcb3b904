/* Names of Linux x86-64 signal numbers, as strace prints them. */
#ifndef MOAT_ABI_SIGNAL_NAMES_H
#define MOAT_ABI_SIGNAL_NAMES_H

/* Signals are 1..ABI_NSIG; 32..64 are real-time signals. */
#define ABI_NSIG     64
#define ABI_SIGRTMIN 32

/* "SIGSEGV" for 11, "SIGRTMIN" for 32, "SIGRT3" for 35, "SIGRTMAX" for 64; NULL if out of range. */
const char *abi_signal_name(int sig);

#endif
