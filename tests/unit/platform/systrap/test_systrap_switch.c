/* systrap_frame_check: the frame addresses in a slot come from the application's reach (every
 * thread can write every slot), so each must land inside the slot's signal stack, aligned, with
 * room for what the sentry reads or writes there. */
#include <criterion/criterion.h>
#include <errno.h>

#include "abi/sigframe.h"
#include "platform/systrap/systrap.h"

#define SLOT  0x7fe012340000ULL
#define XSIZE 2696U

/* A frame laid out the way the kernel lays it out at the top of the signal stack. */
static void good(uint64_t *uc, uint64_t *fp, uint64_t *info)
{
    *fp = (SLOT + ST_SLOT_SIZE - XSIZE - 4) & ~63ULL;
    uint64_t frame = ((*fp - sizeof(struct k_rt_sigframe)) & ~15ULL) - 8;
    *uc = frame + 8;
    *info = *uc + sizeof(struct k_ucontext);
}

Test(frame_check, accepts_a_kernel_frame)
{
    uint64_t uc, fp, info;
    good(&uc, &fp, &info);
    struct systrap_frame f;
    cr_assert_eq(systrap_frame_check(XSIZE, SLOT, uc, fp, info, &f), 0);
    cr_assert_eq(f.uc_off, uc - SLOT);
    cr_assert_eq(f.fp_off, fp - SLOT);
    cr_assert_eq(f.info_off, info - SLOT);
}

Test(frame_check, rejects_addresses_outside_the_slot)
{
    uint64_t uc, fp, info;
    struct systrap_frame f;
    good(&uc, &fp, &info);
    const uint64_t bad[] = {0,
                            SLOT - 8,
                            SLOT,
                            SLOT + 8,
                            SLOT + ST_ALTSTACK_OFF - 8,
                            SLOT + ST_SLOT_SIZE,
                            SLOT + ST_SLOT_SIZE - 8,
                            ~0ULL,
                            ~0ULL - 4095,
                            SLOT - ST_SLOT_SIZE + ST_ALTSTACK_OFF,
                            SLOT + 2 * ST_SLOT_SIZE};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(systrap_frame_check(XSIZE, SLOT, bad[i], fp, info, &f), -EFAULT, "uc %#lx",
                     (unsigned long)bad[i]);
        cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc, bad[i], info, &f), -EFAULT, "fp %#lx",
                     (unsigned long)bad[i]);
        cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc, fp, bad[i], &f), -EFAULT, "info %#lx",
                     (unsigned long)bad[i]);
    }
}

Test(frame_check, rejects_areas_that_run_past_the_slot_end)
{
    uint64_t uc, fp, info;
    struct systrap_frame f;
    good(&uc, &fp, &info);
    uint64_t end = SLOT + ST_SLOT_SIZE;
    cr_expect_eq(
        systrap_frame_check(XSIZE, SLOT, end - sizeof(struct k_ucontext) + 8, fp, info, &f),
        -EFAULT);
    cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc, ((end - XSIZE) | 63) + 1, info, &f), -EFAULT);
    cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc, fp, end - 64, &f), -EFAULT);
}

Test(frame_check, rejects_misalignment)
{
    uint64_t uc, fp, info;
    struct systrap_frame f;
    good(&uc, &fp, &info);
    cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc + 4, fp, info, &f), -EFAULT);
    cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc, fp - 32, info, &f), -EFAULT);
    cr_expect_eq(systrap_frame_check(XSIZE, SLOT, uc, fp, info + 1, &f), -EFAULT);
}

Test(frame_check, rejects_insane_xsave_sizes)
{
    uint64_t uc, fp, info;
    struct systrap_frame f;
    good(&uc, &fp, &info);
    cr_expect_eq(systrap_frame_check(0, SLOT, uc, fp, info, &f), -EFAULT);
    cr_expect_eq(systrap_frame_check(ST_SLOT_SIZE, SLOT, uc, fp, info, &f), -EFAULT);
    cr_expect_eq(systrap_frame_check(0xffffffffU, SLOT, uc, fp, info, &f), -EFAULT);
}
