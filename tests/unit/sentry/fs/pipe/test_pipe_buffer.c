/* Unit tests of the pipe byte ring (sentry/fs/pipe/pipe_buffer.c): wraparound, capacity, the
 * PIPE_BUF atomicity rule, size rounding and resizing with contents. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "sentry/fs/pipe/pipe_buffer.h"

Test(pipe_buffer, fills_to_capacity_and_drains_in_order)
{
    struct pipe_buffer b;
    pipe_buffer_init(&b, 4096);
    char in[5000], out[5000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)(i * 13);
    cr_assert_eq(pipe_buffer_write(&b, in, sizeof(in)), 4096);
    cr_assert_eq(pipe_buffer_space(&b), 0);
    cr_assert_eq(pipe_buffer_write(&b, in, 1), 0);
    cr_assert_eq(pipe_buffer_read(&b, out, sizeof(out)), 4096);
    cr_assert_eq(memcmp(in, out, 4096), 0);
    cr_assert_eq(b.len, 0);
    pipe_buffer_destroy(&b);
}

Test(pipe_buffer, wraps_around)
{
    struct pipe_buffer b;
    pipe_buffer_init(&b, 4096);
    char in[3000], out[3000];
    memset(in, 'x', sizeof(in));
    cr_assert_eq(pipe_buffer_write(&b, in, 3000), 3000);
    cr_assert_eq(pipe_buffer_read(&b, out, 2500), 2500);
    /* 500 stored at [2500, 3000): the next 3000 run past the end and wrap to the start. */
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)i;
    cr_assert_eq(pipe_buffer_write(&b, in, 3000), 3000);
    cr_assert_eq(b.len, 3500);
    char *p;
    cr_assert_eq(pipe_buffer_read_span(&b, &p), 4096 - 2500, "the first span ends at the end");
    cr_assert_eq(pipe_buffer_read(&b, out, 500), 500);
    cr_assert_eq(pipe_buffer_read(&b, out, 3000), 3000);
    cr_assert_eq(memcmp(in, out, 3000), 0);
    pipe_buffer_destroy(&b);
}

Test(pipe_buffer, empty_resets_head_for_contiguous_writes)
{
    struct pipe_buffer b;
    pipe_buffer_init(&b, 4096);
    char buf[100] = {0};
    pipe_buffer_write(&b, buf, 100);
    pipe_buffer_read(&b, buf, 100);
    char *p;
    cr_assert_eq(pipe_buffer_write_span(&b, &p), 4096);
    pipe_buffer_destroy(&b);
}

Test(pipe_buffer, atomic_writes_go_whole_or_wait)
{
    struct pipe_buffer b;
    pipe_buffer_init(&b, 8192);
    char buf[8192] = {0};
    pipe_buffer_write(&b, buf, 8192 - 100);
    /* 100 free: a 200-byte write (<= PIPE_BUF) must wait; a 100-byte one fits whole. */
    cr_assert_eq(pipe_buffer_write_now(&b, 200, 200), 0);
    cr_assert_eq(pipe_buffer_write_now(&b, 100, 100), 100);
    cr_assert_eq(pipe_buffer_write_now(&b, PIPE_BUF_ATOMIC, PIPE_BUF_ATOMIC), 0);
    /* A write larger than PIPE_BUF takes what room there is. */
    cr_assert_eq(pipe_buffer_write_now(&b, 5000, 5000), 100);
    /* ... and so does what is left of it after a first part went in. */
    cr_assert_eq(pipe_buffer_write_now(&b, 50, 5000), 50);
    pipe_buffer_destroy(&b);
}

Test(pipe_buffer, round_size)
{
    cr_assert_eq(pipe_round_size(0), 4096);
    cr_assert_eq(pipe_round_size(1), 4096);
    cr_assert_eq(pipe_round_size(4097), 8192);
    cr_assert_eq(pipe_round_size(65536), 65536);
    cr_assert_eq(pipe_round_size(PIPE_MAX_SIZE), PIPE_MAX_SIZE);
    cr_assert_eq(pipe_round_size(PIPE_MAX_SIZE + 1), 0);
}

Test(pipe_buffer, resize_keeps_wrapped_contents)
{
    struct pipe_buffer b;
    pipe_buffer_init(&b, 4096);
    char in[4000], out[4000];
    memset(in, 'a', 3000);
    pipe_buffer_write(&b, in, 3000);
    pipe_buffer_read(&b, out, 3000);
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)(i * 3);
    pipe_buffer_write(&b, in, 1000); /* head at 0 after draining: write contiguous */
    pipe_buffer_read(&b, out, 500);
    pipe_buffer_write(&b, in + 1000, 3000); /* wraps */
    cr_assert_eq(pipe_buffer_resize(&b, 2048), -EBUSY);
    cr_assert_eq(pipe_buffer_resize(&b, 16384), 0);
    cr_assert_eq(b.cap, 16384);
    cr_assert_eq(b.len, 3500);
    cr_assert_eq(pipe_buffer_read(&b, out, 3500), 3500);
    cr_assert_eq(memcmp(in + 500, out, 3500), 0);
    pipe_buffer_destroy(&b);
}
