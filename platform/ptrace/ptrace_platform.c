/* The ptrace platform: every application thread is a stub thread traced by the sentry thread that
 * serves it; PTRACE_SYSEMU keeps every application syscall away from the host kernel. */
#include "platform/ptrace/ptrace.h"

#include <errno.h>
#include <stdlib.h>

static void ptrace_destroy(struct platform *p)
{
    struct ptrace_platform *pp = (struct ptrace_platform *)p;
    stub_master_stop(&pp->master);
    free(pp);
}

static const struct platform_ops ptrace_ops = {
    .name = "ptrace",
    .destroy = ptrace_destroy,
    .as_create = ptrace_as_create,
    .as_free = ptrace_as_free,
    .map_anon = ptrace_map_anon,
    .map_fd = ptrace_map_fd,
    .unmap = ptrace_unmap,
    .protect = ptrace_protect,
    .mm_syscall = ptrace_mm_syscall,
    .switch_to = ptrace_switch_to,
    .get_fpregs = ptrace_get_fpregs,
    .set_fpregs = ptrace_set_fpregs,
    .get_xstate = ptrace_get_xstate,
    .set_xstate = ptrace_set_xstate,
    .interrupt = ptrace_interrupt,
    .ctx_release = ptrace_ctx_release,
    .clone = ptrace_clone,
    .adopt = ptrace_adopt_pending,
};

int ptrace_platform_create(const struct platform_options *opts, struct platform **out)
{
    struct ptrace_platform *pp = calloc(1, sizeof(*pp));
    if (!pp)
        return -ENOMEM;
    pp->base.ops = &ptrace_ops;
    pp->base.opts = *opts;
    pp->master.fd = -1;
    int rc = stub_master_start(&pp->master, &pp->base.layout, &stub_image_ptrace);
    if (rc < 0) {
        free(pp);
        return rc;
    }
    *out = &pp->base;
    return 0;
}
