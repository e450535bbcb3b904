/* The strace line printer: walks a syscall's argument kinds from the generated info table, reads
 * strings and buffers from the application through the caller's reader, and prints the result. */
#include <inttypes.h>
#include <string.h>

#include "abi/errno_names.h"
#include "abi/flags.h"
#include "abi/strace.h"
#include "abi/syscall_info.h"

#define PAGE_SIZE_     4096u
#define O_CREAT_       0100u
#define O_TMPFILE_BIT_ 020000000u /* __O_TMPFILE */

struct reader {
    abi_read_mem_fn rd;
    void *ctx;
};

/* Reads up to len bytes at addr, never across a page boundary in one call (so a string that ends
 * just before an unmapped page still reads). Returns the bytes read, 0 if none could be. */
static size_t read_mem(const struct reader *r, uint64_t addr, char *buf, size_t len)
{
    size_t got = 0;
    if (!r->rd)
        return 0;
    while (got < len) {
        size_t want = len - got;
        size_t to_page = PAGE_SIZE_ - (size_t)((addr + got) % PAGE_SIZE_);
        if (want > to_page)
            want = to_page;
        long n = r->rd(r->ctx, addr + got, buf + got, want);
        if (n <= 0)
            break;
        got += (size_t)n < want ? (size_t)n : want;
    }
    return got;
}

/* Reads the NUL-terminated string at addr into buf (max + 1 bytes). Returns its length, max + 1
 * if it is longer than max, or -1 if it is unreadable before its end. */
static long read_string(const struct reader *r, uint64_t addr, char *buf, size_t max)
{
    size_t got = 0;
    while (got <= max) {
        size_t want = max + 1 - got;
        size_t to_page = PAGE_SIZE_ - (size_t)((addr + got) % PAGE_SIZE_);
        size_t n = read_mem(r, addr + got, buf + got, want < to_page ? want : to_page);
        if (n == 0)
            return -1;
        char *nul = memchr(buf + got, '\0', n);
        if (nul)
            return nul - buf;
        got += n;
    }
    return (long)got;
}

static int is_octal_digit(char c)
{
    return c >= '0' && c <= '7';
}

/* "data" with C escapes; octal escapes take three digits when an octal digit follows. */
static void put_quoted(struct fmtbuf *b, const char *data, size_t len, int truncated)
{
    fmtbuf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        switch (c) {
        case '"':
            fmtbuf_puts(b, "\\\"");
            break;
        case '\\':
            fmtbuf_puts(b, "\\\\");
            break;
        case '\n':
            fmtbuf_puts(b, "\\n");
            break;
        case '\t':
            fmtbuf_puts(b, "\\t");
            break;
        case '\r':
            fmtbuf_puts(b, "\\r");
            break;
        case '\v':
            fmtbuf_puts(b, "\\v");
            break;
        case '\f':
            fmtbuf_puts(b, "\\f");
            break;
        default:
            if (c >= 0x20 && c < 0x7f)
                fmtbuf_putc(b, (char)c);
            else if (i + 1 < len && is_octal_digit(data[i + 1]))
                fmtbuf_printf(b, "\\%03o", c);
            else
                fmtbuf_printf(b, "\\%o", c);
        }
    }
    fmtbuf_putc(b, '"');
    if (truncated)
        fmtbuf_puts(b, "...");
}

static void put_string(struct fmtbuf *b, const struct reader *r, uint64_t addr, size_t max)
{
    char buf[ABI_STRACE_PATH_MAX + 1];
    long len = addr ? read_string(r, addr, buf, max) : -1;
    if (len < 0) {
        abi_put_arg(b, ABI_ARG_ADDR, addr);
        return;
    }
    int truncated = (size_t)len > max;
    put_quoted(b, buf, truncated ? max : (size_t)len, truncated);
}

/* count bytes at addr, of which the first ABI_STRACE_STRLEN are shown. */
static void put_bytes(struct fmtbuf *b, const struct reader *r, uint64_t addr, uint64_t count)
{
    char buf[ABI_STRACE_STRLEN];
    size_t want = count < ABI_STRACE_STRLEN ? (size_t)count : ABI_STRACE_STRLEN;
    if (!addr || (want && read_mem(r, addr, buf, want) != want)) {
        abi_put_arg(b, ABI_ARG_ADDR, addr);
        return;
    }
    put_quoted(b, buf, want, count > want);
}

/* The value of a length argument, or -1 if it is negative for its kind. */
static int64_t length_value(const struct abi_syscall_arg *arg, uint64_t raw)
{
    switch (arg->kind) {
    case ABI_ARG_INT:
        return (int32_t)(uint32_t)raw;
    case ABI_ARG_UINT:
        return (uint32_t)raw;
    case ABI_ARG_LONG:
        return (int64_t)raw < 0 ? -1 : (int64_t)raw;
    default: /* size, ulong: lengths above INT64_MAX print only their first bytes anyway */
        return raw > INT64_MAX ? INT64_MAX : (int64_t)raw;
    }
}

static int is_error(long ret)
{
    return ret != ABI_STRACE_NO_RETURN && ret < 0 && ret >= -ABI_MAX_ERRNO;
}

/* open, openat and mq_open take their mode (and mq_attr) only when creating: like strace, print
 * nothing from the mode on when the preceding open flags have neither O_CREAT nor O_TMPFILE. */
static int mode_unused(const struct abi_syscall *s, const uint64_t args[6], int i)
{
    for (int j = 0; j < i; j++) {
        if (s->args[j].kind == ABI_ARG_OPEN_FLAGS)
            return !(args[j] & (O_CREAT_ | O_TMPFILE_BIT_));
    }
    return 0;
}

static void put_args(struct fmtbuf *b, const struct abi_syscall *s, const uint64_t args[6],
                     long ret, const struct reader *r)
{
    for (int i = 0; i < s->nargs; i++) {
        const struct abi_syscall_arg *arg = &s->args[i];
        uint64_t v = args[i];
        if (arg->kind == ABI_ARG_MODE && mode_unused(s, args, i))
            break;
        if (i)
            fmtbuf_puts(b, ", ");
        switch (arg->kind) {
        case ABI_ARG_PATH:
            put_string(b, r, v, ABI_STRACE_PATH_MAX);
            break;
        case ABI_ARG_STR:
            put_string(b, r, v, ABI_STRACE_STRLEN);
            break;
        case ABI_ARG_INBUF: {
            int64_t len = length_value(&s->args[arg->len_arg], args[arg->len_arg]);
            if (len < 0)
                abi_put_arg(b, ABI_ARG_ADDR, v);
            else
                put_bytes(b, r, v, (uint64_t)len);
            break;
        }
        case ABI_ARG_OUTBUF:
            /* Only the bytes the call produced are meaningful: ret of them. */
            if (ret == ABI_STRACE_NO_RETURN || ret < 0)
                abi_put_arg(b, ABI_ARG_ADDR, v);
            else
                put_bytes(b, r, v, (uint64_t)ret);
            break;
        default:
            abi_put_arg(b, arg->kind, v);
        }
    }
}

static void put_return(struct fmtbuf *b, enum abi_ret_kind kind, long ret)
{
    if (ret == ABI_STRACE_NO_RETURN) {
        fmtbuf_puts(b, " = ?");
    } else if (is_error(ret)) {
        int err = (int)-ret;
        const char *name = abi_errno_name(err);
        if (name)
            fmtbuf_printf(b, " = -1 %s (%s)", name, abi_errno_desc(err));
        else
            fmtbuf_printf(b, " = -1 (errno %d)", err);
    } else if (kind == ABI_RET_ADDR) {
        fmtbuf_printf(b, " = %#lx", (unsigned long)ret);
    } else {
        fmtbuf_printf(b, " = %ld", ret);
    }
}

size_t abi_strace_format(char *out, size_t outlen, unsigned nr, const uint64_t args[6], long ret,
                         abi_read_mem_fn rd, void *ctx)
{
    struct fmtbuf b;
    struct reader r = {rd, ctx};
    const struct abi_syscall *s = abi_syscall_info(nr);

    fmtbuf_init(&b, out, outlen);
    if (s) {
        fmtbuf_printf(&b, "%s(", s->name);
        put_args(&b, s, args, ret, &r);
    } else {
        fmtbuf_printf(&b, "syscall_%u(", nr);
        for (int i = 0; i < 6; i++)
            fmtbuf_printf(&b, "%s%#" PRIx64, i ? ", " : "", args[i]);
    }
    fmtbuf_putc(&b, ')');
    put_return(&b, s ? s->ret : ABI_RET_LONG, ret);
    return b.len;
}
