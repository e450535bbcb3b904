/* The stub's own seccomp filter (defense in depth behind PTRACE_SYSEMU, docs/security.md): only the
 * host syscalls the stub code and the sentry's injections need, and only from the stub's code page.
 */
#ifndef MOAT_STUB_FILTER_H
#define MOAT_STUB_FILTER_H

#include <linux/filter.h>

#include "platform/platform.h"

/* Builds the filter for a stub at l->stub_start (before the zygote is forked: the child loads it
 * as its very last host call). 0 or -errno; free out->filter afterwards. */
int stub_filter_build(const struct platform_layout *l, struct sock_fprog *out);

#endif
