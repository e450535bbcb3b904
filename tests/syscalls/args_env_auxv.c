/* Conformance: the initial process state the loader builds: argv, the CT_ environment variables,
 * the auxiliary vector (checked against the running image itself) and the initial stack layout. */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));
extern char _start[];

static void print_args(int argc, char **argv)
{
    printf("argc: %d\n", argc);
    const char *base = strrchr(argv[0], '/');
    printf("argv[0] basename: %s\n", base ? base + 1 : argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]: \"%s\"\n", i, argv[i]);
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
}

/* moat's `do` adds PATH, HOME and TERM of its own, so only CT_ variables are comparable. */
static void print_ct_env(void)
{
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "CT_", 3) == 0)
            printf("env: %s\n", *e);
}

static void print_stack_layout(int argc, char **argv)
{
    /* _start hands main the argv the kernel laid out: argc sits right below it, at the initial
     * stack pointer, which the ABI wants 16-byte aligned; envp follows argv's NULL. */
    uintptr_t initial_sp = (uintptr_t)argv - sizeof(long);
    ct_check("initial stack pointer 16-byte aligned", initial_sp % 16 == 0);
    ct_check("argc stored below argv", *(long *)initial_sp == argc);
    ct_check("envp follows argv", environ == argv + argc + 1);

    char **e = environ;
    while (*e)
        e++;
    ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(e + 1);
    int n = 0, found_pagesz = 0;
    for (; auxv[n].a_type != AT_NULL && n < 64; n++)
        if (auxv[n].a_type == AT_PAGESZ && auxv[n].a_un.a_val == getauxval(AT_PAGESZ))
            found_pagesz = 1;
    ct_check("auxv follows envp and agrees with getauxval", found_pagesz);
    ct_check("auxv is AT_NULL-terminated within 64 entries", auxv[n].a_type == AT_NULL);
}

static void print_auxv(char **argv)
{
    printf("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    printf("AT_CLKTCK: %lu\n", getauxval(AT_CLKTCK));
    printf("AT_BASE (no interpreter): %lu\n", getauxval(AT_BASE));

    unsigned long phdr = getauxval(AT_PHDR);
    ct_check("AT_PHDR nonzero", phdr != 0);
    ct_check("AT_PHDR == ELF header + e_phoff",
             phdr == (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
    ct_check("AT_PHNUM == e_phnum", getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
    ct_check("AT_PHENT == sizeof(Elf64_Phdr)", getauxval(AT_PHENT) == sizeof(ElfW(Phdr)));
    ct_check("AT_ENTRY == &_start", getauxval(AT_ENTRY) == (uintptr_t)_start);

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    if (rnd)
        for (int i = 0; i < 16; i++)
            nonzero |= rnd[i];
    ct_check("AT_RANDOM points at 16 readable, not all zero bytes", rnd && nonzero);

    const char *vdso = (const char *)getauxval(AT_SYSINFO_EHDR);
    ct_check("AT_SYSINFO_EHDR points at an ELF header", vdso && memcmp(vdso, ELFMAG, SELFMAG) == 0);

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    ct_check("AT_EXECFN == argv[0]", execfn && strcmp(execfn, argv[0]) == 0);

    ct_check("AT_UID == getuid()", getauxval(AT_UID) == getuid());
    ct_check("AT_EUID == geteuid()", getauxval(AT_EUID) == geteuid());
    ct_check("AT_GID == getgid()", getauxval(AT_GID) == getgid());
    ct_check("AT_EGID == getegid()", getauxval(AT_EGID) == getegid());
    printf("AT_SECURE: %lu\n", getauxval(AT_SECURE));
    ct_check("AT_HWCAP nonzero", getauxval(AT_HWCAP) != 0);
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM: %s\n", platform ? platform : "(none)");
}

int main(int argc, char **argv)
{
    print_args(argc, argv);
    print_ct_env();
    print_stack_layout(argc, argv);
    print_auxv(argv);
    return 0;
}
