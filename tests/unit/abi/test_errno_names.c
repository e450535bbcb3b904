/* Tests of errno names and descriptions: every errno of <errno.h>, glibc's strerror wording, and
 * the kernel-internal restart codes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "abi/errno_names.h"

struct errno_case {
    int value;
    const char *name;
};

#define E(x)                                                                                       \
    {                                                                                              \
        x, #x                                                                                      \
    }

/* Every errno <errno.h> defines on x86-64 (asm-generic/errno-base.h and errno.h). */
static const struct errno_case errnos[] = {
    E(EPERM),
    E(ENOENT),
    E(ESRCH),
    E(EINTR),
    E(EIO),
    E(ENXIO),
    E(E2BIG),
    E(ENOEXEC),
    E(EBADF),
    E(ECHILD),
    E(EAGAIN),
    E(ENOMEM),
    E(EACCES),
    E(EFAULT),
    E(ENOTBLK),
    E(EBUSY),
    E(EEXIST),
    E(EXDEV),
    E(ENODEV),
    E(ENOTDIR),
    E(EISDIR),
    E(EINVAL),
    E(ENFILE),
    E(EMFILE),
    E(ENOTTY),
    E(ETXTBSY),
    E(EFBIG),
    E(ENOSPC),
    E(ESPIPE),
    E(EROFS),
    E(EMLINK),
    E(EPIPE),
    E(EDOM),
    E(ERANGE),
    E(EDEADLK),
    E(ENAMETOOLONG),
    E(ENOLCK),
    E(ENOSYS),
    E(ENOTEMPTY),
    E(ELOOP),
    E(ENOMSG),
    E(EIDRM),
    E(ECHRNG),
    E(EL2NSYNC),
    E(EL3HLT),
    E(EL3RST),
    E(ELNRNG),
    E(EUNATCH),
    E(ENOCSI),
    E(EL2HLT),
    E(EBADE),
    E(EBADR),
    E(EXFULL),
    E(ENOANO),
    E(EBADRQC),
    E(EBADSLT),
    E(EBFONT),
    E(ENOSTR),
    E(ENODATA),
    E(ETIME),
    E(ENOSR),
    E(ENONET),
    E(ENOPKG),
    E(EREMOTE),
    E(ENOLINK),
    E(EADV),
    E(ESRMNT),
    E(ECOMM),
    E(EPROTO),
    E(EMULTIHOP),
    E(EDOTDOT),
    E(EBADMSG),
    E(EOVERFLOW),
    E(ENOTUNIQ),
    E(EBADFD),
    E(EREMCHG),
    E(ELIBACC),
    E(ELIBBAD),
    E(ELIBSCN),
    E(ELIBMAX),
    E(ELIBEXEC),
    E(EILSEQ),
    E(ERESTART),
    E(ESTRPIPE),
    E(EUSERS),
    E(ENOTSOCK),
    E(EDESTADDRREQ),
    E(EMSGSIZE),
    E(EPROTOTYPE),
    E(ENOPROTOOPT),
    E(EPROTONOSUPPORT),
    E(ESOCKTNOSUPPORT),
    E(EOPNOTSUPP),
    E(EPFNOSUPPORT),
    E(EAFNOSUPPORT),
    E(EADDRINUSE),
    E(EADDRNOTAVAIL),
    E(ENETDOWN),
    E(ENETUNREACH),
    E(ENETRESET),
    E(ECONNABORTED),
    E(ECONNRESET),
    E(ENOBUFS),
    E(EISCONN),
    E(ENOTCONN),
    E(ESHUTDOWN),
    E(ETOOMANYREFS),
    E(ETIMEDOUT),
    E(ECONNREFUSED),
    E(EHOSTDOWN),
    E(EHOSTUNREACH),
    E(EALREADY),
    E(EINPROGRESS),
    E(ESTALE),
    E(EUCLEAN),
    E(ENOTNAM),
    E(ENAVAIL),
    E(EISNAM),
    E(EREMOTEIO),
    E(EDQUOT),
    E(ENOMEDIUM),
    E(EMEDIUMTYPE),
    E(ECANCELED),
    E(ENOKEY),
    E(EKEYEXPIRED),
    E(EKEYREVOKED),
    E(EKEYREJECTED),
    E(EOWNERDEAD),
    E(ENOTRECOVERABLE),
    E(ERFKILL),
    E(EHWPOISON),
};

Test(errno_names, every_errno_has_its_name_and_strerror_text)
{
    for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
        int e = errnos[i].value;
        const char *name = abi_errno_name(e);
        const char *desc = abi_errno_desc(e);
        cr_assert_not_null(name, "%s (%d)", errnos[i].name, e);
        cr_expect_str_eq(name, errnos[i].name, "errno %d", e);
        cr_assert_not_null(desc, "%s", errnos[i].name);
        cr_expect_str_eq(desc, strerror(e), "%s", errnos[i].name);
    }
    cr_expect_eq(sizeof(errnos) / sizeof(errnos[0]), 131);
}

Test(errno_names, aliases_give_the_primary_name)
{
    cr_expect_str_eq(abi_errno_name(EWOULDBLOCK), "EAGAIN");
    cr_expect_str_eq(abi_errno_name(EDEADLOCK), "EDEADLK");
    cr_expect_str_eq(abi_errno_name(ENOTSUP), "EOPNOTSUPP");
}

Test(errno_names, restart_codes)
{
    cr_expect_str_eq(abi_errno_name(512), "ERESTARTSYS");
    cr_expect_str_eq(abi_errno_name(513), "ERESTARTNOINTR");
    cr_expect_str_eq(abi_errno_name(514), "ERESTARTNOHAND");
    cr_expect_str_eq(abi_errno_name(516), "ERESTART_RESTARTBLOCK");
    cr_expect_eq(ABI_ERESTARTSYS, 512);
    cr_expect_eq(ABI_ERESTART_RESTARTBLOCK, 516);
    cr_expect_str_eq(abi_errno_desc(ABI_ERESTARTSYS), "To be restarted if SA_RESTART is set");
    cr_expect_not_null(abi_errno_desc(ABI_ERESTARTNOINTR));
}

Test(errno_names, unknown_values)
{
    static const int unknown[] = {0, -1, -ENOENT, 41, 58, 134, 511, 515, 517, 4095, 1 << 30};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        cr_expect_null(abi_errno_name(unknown[i]), "errno %d", unknown[i]);
        cr_expect_null(abi_errno_desc(unknown[i]), "errno %d", unknown[i]);
    }
}
