/* The systrap platform: application syscalls become SIGSYS (seccomp RET_TRAP) in the stub's own
 * handler, which hands the frame to the sentry through shared memory; no ptrace anywhere. */
#include "platform/systrap/systrap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void systrap_destroy(struct platform *p)
{
    struct systrap_platform *sp = (struct systrap_platform *)p;
    stub_master_stop(&sp->master);
    systrap_region_pool_free(sp);
    pthread_mutex_destroy(&sp->pool_lock);
    free(sp);
}

static int prepare_image(struct stub_image *img, const struct platform_layout *l)
{
    struct systrap_platform *sp = img->priv;
    int rc = systrap_build_rodata(sp, l);
    if (rc < 0)
        return rc;
    img->rodata = sp->rodata;
    img->rodata_len = sizeof(sp->rodata);
    img->rodata_off = ST_RODATA_OFF;
    return 0;
}

static const struct platform_ops systrap_ops = {
    .name = "systrap",
    .destroy = systrap_destroy,
    .as_create = systrap_as_create,
    .as_free = systrap_as_free,
    .map_anon = systrap_map_anon,
    .map_fd = systrap_map_fd,
    .unmap = systrap_unmap,
    .protect = systrap_protect,
    .mm_syscall = systrap_mm_syscall,
    .switch_to = systrap_switch_to,
    .get_fpregs = systrap_get_fpregs,
    .set_fpregs = systrap_set_fpregs,
    .get_xstate = systrap_get_xstate,
    .set_xstate = systrap_set_xstate,
    .interrupt = systrap_interrupt,
    .ctx_release = systrap_ctx_release,
    .clone = systrap_clone,
    .adopt = systrap_adopt_pending,
    .pending_abort = systrap_pending_abort,
};

int systrap_platform_create(const struct platform_options *opts, struct platform **out)
{
    if (st_code_end - st_code_start != ST_CODE_SIZE)
        return -ENOEXEC;
    struct systrap_platform *sp = calloc(1, sizeof(*sp));
    if (!sp)
        return -ENOMEM;
    sp->base.ops = &systrap_ops;
    sp->base.opts = *opts;
    sp->master.fd = -1;
    pthread_mutex_init(&sp->pool_lock, NULL);
    sp->image = (struct stub_image){
        .code_start = st_code_start,
        .code_end = st_code_end,
        .zygote_entry = st_zygote_entry,
        .reserve_size = ST_RESERVE_SIZE,
        .prepare = prepare_image,
        .priv = sp,
    };
    int rc = stub_master_start(&sp->master, &sp->base.layout, &sp->image);
    if (rc < 0) {
        pthread_mutex_destroy(&sp->pool_lock);
        free(sp);
        return rc;
    }
    *out = &sp->base;
    return 0;
}
