/* Conformance: the special files a program touches first: /proc/self/exe and /proc/self/fd/N
 * (as relations: the sandbox's paths are its own), /dev/null, /dev/zero, /dev/full,
 * /dev/urandom, and /sys/devices/system/cpu/online. */
#include <ctype.h>
#include <limits.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

static int ends_with(const char *str, const char *suffix)
{
    size_t a = strlen(str), b = strlen(suffix);
    return a >= b && strcmp(str + a - b, suffix) == 0;
}

/* argv0 is the program's real path, resolved before the scratch dir became the cwd. */
static void proc_self(const char *argv0)
{
    char exe[PATH_MAX + 1];
    long n = readlink("/proc/self/exe", exe, PATH_MAX);
    ct_ok("readlink /proc/self/exe", n);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = strrchr(argv0, '/');
    ct_check("  ends with /<the program's name>", base && ends_with(exe, base));
    ct_check("  is the real path of argv[0]", strcmp(exe, argv0) == 0);
    struct stat a, b;
    ct_check("  same file as argv[0]", stat("/proc/self/exe", &a) == 0 && stat(argv0, &b) == 0 &&
                                           a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    int fd = ct_ok("open /proc/self/exe", open("/proc/self/exe", O_RDONLY));
    char magic[4] = {0};
    ct_result("  read 4", read(fd, magic, 4));
    ct_check("  starts with the ELF magic", memcmp(magic, "\177ELF", 4) == 0);
    close(fd);

    ct_write_file("probe.txt", "probe");
    fd = open("probe.txt", O_RDONLY);
    char link[64], target[PATH_MAX + 1];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, PATH_MAX);
    ct_ok("readlink /proc/self/fd/N of probe.txt", n);
    target[n > 0 ? n : 0] = '\0';
    const char *slash = strrchr(target, '/');
    printf("  basename: %s\n", slash ? slash + 1 : target);
    ct_check("  directory is the scratch dir", slash &&
                                                   (size_t)(slash - target) == strlen(s.path) &&
                                                   strncmp(target, s.path, strlen(s.path)) == 0);
    ct_result("unlink probe.txt while open", unlink("probe.txt"));
    n = readlink(link, target, PATH_MAX);
    target[n > 0 ? n : 0] = '\0';
    ct_check("  the link now ends with \" (deleted)\"", ends_with(target, "/probe.txt (deleted)"));
    close(fd);
    ct_expect_errno("readlink /proc/self/fd/N after close", readlink(link, target, PATH_MAX),
                    ENOENT);
}

static void dev_null_zero_full(void)
{
    unsigned char buf[64];
    int fd = ct_ok("open /dev/null O_RDWR", open("/dev/null", O_RDWR));
    ct_result("  write 5", write(fd, "hello", 5));
    ct_result("  read (EOF)", read(fd, buf, sizeof(buf)));
    ct_result("  lseek 100", lseek(fd, 100, SEEK_SET));
    struct stat st;
    fstat(fd, &st);
    printf("  type: %s %04o\n", ct_type_name(st.st_mode), (unsigned)(st.st_mode & 07777));
    close(fd);

    fd = ct_ok("open /dev/zero O_RDWR", open("/dev/zero", O_RDWR));
    memset(buf, 0xff, sizeof(buf));
    ct_result("  read 64", read(fd, buf, sizeof(buf)));
    ct_check("  all zero", ct_all_bytes(buf, sizeof(buf), 0));
    ct_result("  write 5 (discarded)", write(fd, "hello", 5));
    close(fd);

    fd = ct_ok("open /dev/full O_RDWR", open("/dev/full", O_RDWR));
    ct_expect_errno("  write 5", write(fd, "hello", 5), ENOSPC);
    memset(buf, 0xff, sizeof(buf));
    ct_result("  read 16", read(fd, buf, 16));
    ct_check("  all zero", ct_all_bytes(buf, 16, 0));
    close(fd);

    fd = ct_ok("open /dev/urandom O_RDONLY", open("/dev/urandom", O_RDONLY));
    memset(buf, 0, sizeof(buf));
    ct_result("  read 16", read(fd, buf, 16));
    unsigned char again[16] = {0};
    read(fd, again, 16);
    ct_check("  two reads differ", memcmp(buf, again, 16) != 0);
    close(fd);
}

/* Parses a cpu list like "0-3,5,7-8"; returns the number of cpus or -1 if it does not parse. */
static int count_cpus(const char *list)
{
    int count = 0;
    const char *p = list;
    while (*p && *p != '\n') {
        if (!isdigit((unsigned char)*p))
            return -1;
        long lo = strtol(p, (char **)&p, 10), hi = lo;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                return -1;
            hi = strtol(p, (char **)&p, 10);
        }
        if (hi < lo)
            return -1;
        count += hi - lo + 1;
        if (*p == ',')
            p++;
    }
    return count;
}

static void sys_cpu(void)
{
    char buf[256];
    long n = ct_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf));
    ct_ok("read /sys/devices/system/cpu/online", n);
    ct_check("  ends with a newline", n > 0 && buf[n - 1] == '\n');
    int cpus = n > 0 ? count_cpus(buf) : -1;
    ct_check("  parses as a cpu list", cpus >= 0);
    ct_check("  at least one cpu", cpus >= 1);
}

int main(int argc, char **argv)
{
    char argv0[PATH_MAX];
    if (argc < 1 || !realpath(argv[0], argv0))
        strcpy(argv0, "(argv[0] does not resolve)");
    ct_scratch_enter(&s, "proc_dev");
    proc_self(argv0);
    dev_null_zero_full();
    sys_cpu();
    ct_scratch_leave(&s);
    return 0;
}
