/* Tests of the strace line printer (abi/strace.h) with a fake application memory: strings,
 * truncation, unreadable pointers, flags, errors, address returns and tiny output buffers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "abi/strace.h"

/* The application's memory: one readable region [base, base + size). */
struct fake_mem {
    uint64_t base;
    size_t size;
    char bytes[8192];
    int calls;
};

static long fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct fake_mem *m = ctx;
    m->calls++;
    if (addr < m->base || addr >= m->base + m->size)
        return -EFAULT;
    size_t avail = m->base + m->size - addr;
    size_t n = len < avail ? len : avail;
    memcpy(buf, m->bytes + (addr - m->base), n);
    return (long)n;
}

static struct fake_mem mem;

/* Places data at offset off of the fake memory and returns its application address. */
static uint64_t put(size_t off, const void *data, size_t len)
{
    memcpy(mem.bytes + off, data, len);
    return mem.base + off;
}

static uint64_t put_str(size_t off, const char *s)
{
    return put(off, s, strlen(s) + 1);
}

static void setup(void)
{
    memset(&mem, 0, sizeof(mem));
    mem.base = 0x7ffc0000;
    mem.size = sizeof(mem.bytes);
}

static char line[512];

static const char *format(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                          uint64_t a4, uint64_t a5, long ret)
{
    const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    size_t n = abi_strace_format(line, sizeof(line), nr, args, ret, fake_read, &mem);
    cr_assert_eq(n, strlen(line), "returned %zu for \"%s\"", n, line);
    return line;
}

TestSuite(strace, .init = setup);

Test(strace, openat_error)
{
    uint64_t path = put_str(0, "/etc/hostname");
    cr_expect_str_eq(
        format(SYS_openat, (uint64_t)AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0, 0, 0, -ENOENT),
        "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file "
        "or directory)");
}

Test(strace, read_prints_what_was_read)
{
    uint64_t buf = put(100, "abc\nleftover", 12);
    cr_expect_str_eq(format(SYS_read, 0, buf, 4096, 0, 0, 0, 4), "read(0, \"abc\\n\", 4096) = 4");
    cr_expect_str_eq(format(SYS_read, 0, buf, 4096, 0, 0, 0, 0), "read(0, \"\", 4096) = 0");
}

Test(strace, read_error_prints_the_address)
{
    cr_expect_str_eq(format(SYS_read, 3, 0x7ffc0010, 10, 0, 0, 0, -EBADF),
                     "read(3, 0x7ffc0010, 10) = -1 EBADF (Bad file descriptor)");
}

Test(strace, mmap_returns_an_address)
{
    cr_expect_str_eq(format(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            (uint64_t)-1, 0, 0x7f12345000),
                     "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
                     "0x7f12345000");
    cr_expect_str_eq(
        format(SYS_mmap, 0x1000, 4096, PROT_NONE, MAP_SHARED | MAP_FIXED, 3, 8192, -ENOMEM),
        "mmap(0x1000, 4096, PROT_NONE, MAP_SHARED|MAP_FIXED, 3, 8192) = -1 ENOMEM "
        "(Cannot allocate memory)");
    cr_expect_str_eq(format(SYS_brk, 0, 0, 0, 0, 0, 0, 0x555555559000),
                     "brk(NULL) = 0x555555559000");
}

Test(strace, long_buffers_are_cut_at_32_bytes)
{
    const char *text = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint64_t buf = put(0, text, strlen(text));
    cr_expect_str_eq(format(SYS_write, 1, buf, 36, 0, 0, 0, 36),
                     "write(1, \"0123456789abcdefghijklmnopqrstuv\"..., 36) = 36");
    cr_expect_str_eq(format(SYS_write, 1, buf, 32, 0, 0, 0, 32),
                     "write(1, \"0123456789abcdefghijklmnopqrstuv\", 32) = 32");
    /* A failed write still shows what it was asked to write. */
    cr_expect_str_eq(format(SYS_write, 1, buf, 3, 0, 0, 0, -EPIPE),
                     "write(1, \"012\", 3) = -1 EPIPE (Broken pipe)");
}

Test(strace, long_strings_are_cut_but_paths_are_not)
{
    const char *name = "user.a_very_long_extended_attribute_name";
    const char *path = "/a/path/that/is/much/longer/than/thirty/two/bytes";
    uint64_t p = put_str(0, path);
    uint64_t n = put_str(200, name);
    uint64_t v = put(400, "v", 1);
    cr_expect_str_eq(format(SYS_setxattr, p, n, v, 1, 0, 0, 0),
                     "setxattr(\"/a/path/that/is/much/longer/than/thirty/two/bytes\", "
                     "\"user.a_very_long_extended_attrib\"..., \"v\", 1, 0) = 0");
}

Test(strace, escapes)
{
    const char data[] = {'a', '"', 'b', '\\', '\n', '\t', '\0', '1', '\001', 'x', (char)0xff, '\r'};
    uint64_t buf = put(0, data, sizeof(data));
    cr_expect_str_eq(format(SYS_write, 2, buf, sizeof(data), 0, 0, 0, (long)sizeof(data)),
                     "write(2, \"a\\\"b\\\\\\n\\t\\0001\\1x\\377\\r\", 12) = 12");
}

Test(strace, unreadable_pointers_print_as_addresses)
{
    cr_expect_str_eq(format(SYS_openat, (uint64_t)AT_FDCWD, 0xdead0000, O_RDONLY, 0, 0, 0, -EFAULT),
                     "openat(AT_FDCWD, 0xdead0000, O_RDONLY) = -1 EFAULT (Bad address)");
    cr_expect_str_eq(format(SYS_openat, 5, 0, O_WRONLY | O_CREAT, 0600, 0, 0, -EFAULT),
                     "openat(5, NULL, O_WRONLY|O_CREAT, 0600) = -1 EFAULT (Bad address)");
    /* A buffer that runs off the end of memory. */
    uint64_t end = mem.base + mem.size - 4;
    cr_expect_str_eq(format(SYS_write, 1, end, 8, 0, 0, 0, -EFAULT),
                     "write(1, 0x7ffc1ffc, 8) = -1 EFAULT (Bad address)");
}

Test(strace, string_ending_at_the_edge_of_memory)
{
    /* "hi\0" in the last three readable bytes: readable although a page-sized read would fail. */
    uint64_t s = put(mem.size - 3, "hi", 3);
    cr_expect_str_eq(format(SYS_chdir, s, 0, 0, 0, 0, 0, 0), "chdir(\"hi\") = 0");
    /* No NUL before the end of memory: unreadable. */
    memset(mem.bytes + mem.size - 3, 'z', 3);
    cr_expect_str_eq(format(SYS_chdir, s, 0, 0, 0, 0, 0, -EFAULT),
                     "chdir(0x7ffc1ffd) = -1 EFAULT (Bad address)");
}

Test(strace, no_reader_prints_addresses)
{
    const uint64_t args[6] = {1, 0x1000, 5};
    abi_strace_format(line, sizeof(line), SYS_write, args, 5, NULL, NULL);
    cr_expect_str_eq(line, "write(1, 0x1000, 5) = 5");
}

Test(strace, flags_with_unknown_bits)
{
    uint64_t path = put_str(0, "f");
    cr_expect_str_eq(format(SYS_open, path, O_RDONLY | O_CLOEXEC | 0x80000000u, 0, 0, 0, 0, 3),
                     "open(\"f\", O_RDONLY|O_CLOEXEC|0x80000000) = 3");
    cr_expect_str_eq(format(SYS_mprotect, 0x1000, 4096, PROT_READ | 0x40, 0, 0, 0, 0),
                     "mprotect(0x1000, 4096, PROT_READ|0x40) = 0");
}

Test(strace, signals_clone_and_sigprocmask)
{
    cr_expect_str_eq(format(SYS_kill, 42, SIGTERM, 0, 0, 0, 0, 0), "kill(42, SIGTERM) = 0");
    cr_expect_str_eq(format(SYS_clone, 0x1200000 | SIGCHLD, 0, 0, 0x7f0000001000, 0, 0, 1234),
                     "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, NULL, "
                     "0x7f0000001000, NULL) = 1234");
    cr_expect_str_eq(format(SYS_rt_sigprocmask, SIG_SETMASK, 0x1000, 0, 8, 0, 0, 0),
                     "rt_sigprocmask(SIG_SETMASK, 0x1000, NULL, 8) = 0");
}

Test(strace, errors_and_no_return)
{
    cr_expect_str_eq(format(SYS_exit_group, 3, 0, 0, 0, 0, 0, ABI_STRACE_NO_RETURN),
                     "exit_group(3) = ?");
    cr_expect_str_eq(format(SYS_pause, 0, 0, 0, 0, 0, 0, -512),
                     "pause() = -1 ERESTARTSYS (To be restarted if SA_RESTART is set)");
    cr_expect_str_eq(format(SYS_close, 3, 0, 0, 0, 0, 0, -4000), "close(3) = -1 (errno 4000)");
    /* Below -4095 is not an error: a (strange) value. */
    cr_expect_str_eq(format(SYS_close, 3, 0, 0, 0, 0, 0, -5000), "close(3) = -5000");
    /* read never returning: the output buffer is not printed. */
    cr_expect_str_eq(format(SYS_read, 0, 0x7ffc0000, 1, 0, 0, 0, ABI_STRACE_NO_RETURN),
                     "read(0, 0x7ffc0000, 1) = ?");
}

Test(strace, unknown_syscalls)
{
    cr_expect_str_eq(format(999, 1, 2, 3, 4, 5, 6, -ENOSYS),
                     "syscall_999(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not "
                     "implemented)");
    cr_expect_str_eq(format(400, 0, 0, 0, 0, 0, 0, -ENOSYS),
                     "syscall_400(0, 0, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)");
}

Test(strace, tiny_buffers_never_overflow)
{
    uint64_t path = put_str(0, "/etc/hostname");
    const uint64_t args[6] = {(uint64_t)AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0, 0, 0};
    char full[256];
    size_t full_len =
        abi_strace_format(full, sizeof(full), SYS_openat, args, -ENOENT, fake_read, &mem);
    cr_assert_eq(full_len, strlen(full));
    cr_assert_gt(full_len, 60);

    for (size_t cap = 0; cap <= full_len + 1; cap++) {
        char buf[300];
        memset(buf, '#', sizeof(buf));
        size_t n =
            abi_strace_format(cap ? buf : NULL, cap, SYS_openat, args, -ENOENT, fake_read, &mem);
        cr_assert_eq(n, full_len, "cap %zu", cap);
        if (cap) {
            size_t shown = cap - 1 < full_len ? cap - 1 : full_len;
            cr_assert_eq(strlen(buf), shown, "cap %zu", cap);
            cr_assert(memcmp(buf, full, shown) == 0, "cap %zu", cap);
        }
        for (size_t i = cap; i < sizeof(buf); i++)
            cr_assert_eq(buf[i], '#', "cap %zu: byte %zu written", cap, i);
    }
}

Test(strace, long_lines_are_truncated_safely)
{
    char path[2000];
    memset(path, 'p', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    uint64_t p = put_str(0, path);
    char buf[64];
    size_t n =
        abi_strace_format(buf, sizeof(buf), SYS_unlink, (const uint64_t[6]){p}, 0, fake_read, &mem);
    cr_expect_eq(n, strlen("unlink(\"\") = 0") + sizeof(path) - 1);
    cr_expect_eq(strlen(buf), sizeof(buf) - 1);
    cr_expect(strncmp(buf, "unlink(\"pppp", 12) == 0);
}
