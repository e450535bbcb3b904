/* Conformance: permission checks as uid/gid 1000 (switched to with setresuid/setresgid after root
 * prepared the files, keeping saved ids 0 to switch back for cleanup): EACCES for reads, writes,
 * searches and listings, read-only and sticky directories (EPERM), chmod/chown of another's file.
 */
#include <grp.h>
#include <sys/syscall.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

static void prepare(void)
{
    ct_result("chmod the scratch dir 0755", chmod(".", 0755));
    ct_result("mkdir private 0700", mkdir("private", 0700));
    ct_result("write private/file 0644", ct_write_file("private/file", "p"));
    ct_result("write secret 0600", ct_write_file_at(AT_FDCWD, "secret", "s", 0600));
    ct_result("write rootfile 0644", ct_write_file("rootfile", "r"));
    ct_result("write userfile, chown 1000:1000",
              ct_write_file("userfile", "u") | chown("userfile", 1000, 1000));
    ct_result("mkdir ro 0555 with ro/existing 0666",
              mkdir("ro", 0755) | ct_write_file_at(AT_FDCWD, "ro/existing", "e", 0666) |
                  chmod("ro/existing", 0666) | chmod("ro", 0555));
    ct_result("mkdir sticky 01777 with rootfile 0644 and rootfile_w 0666",
              mkdir("sticky", 0755) | chmod("sticky", 01777) |
                  ct_write_file("sticky/rootfile", "r") |
                  ct_write_file_at(AT_FDCWD, "sticky/rootfile_w", "w", 0666) |
                  chmod("sticky/rootfile_w", 0666));
    ct_result("mkdir wdir 0777 with rootfile 0644",
              mkdir("wdir", 0755) | chmod("wdir", 0777) | ct_write_file("wdir/rootfile", "r"));
    ct_result("mkdir noread 0711 with file 0644",
              mkdir("noread", 0711) | ct_write_file("noread/file", "n"));
    ct_result("mkdir nosearch 0744 with file 0644", mkdir("nosearch", 0755) |
                                                        ct_write_file("nosearch/file", "n") |
                                                        chmod("nosearch", 0744));
}

static void become_user(void)
{
    uid_t r, e, sv;
    ct_result("setgroups(0, NULL)", setgroups(0, NULL));
    ct_result("setresgid(1000, 1000, 0)", setresgid(1000, 1000, 0));
    ct_result("setresuid(1000, 1000, 0)", setresuid(1000, 1000, 0));
    getresuid(&r, &e, &sv);
    printf("  uids now %u %u %u\n", (unsigned)r, (unsigned)e, (unsigned)sv);
    ct_expect_errno("setresuid(2000, -1, -1) as uid 1000", setresuid(2000, -1, -1), EPERM);
}

static void reading(void)
{
    struct stat st;
    ct_expect_errno("open secret (0600 root) O_RDONLY", open("secret", O_RDONLY), EACCES);
    ct_expect_errno("open secret O_WRONLY", open("secret", O_WRONLY), EACCES);
    ct_expect_errno("open rootfile (0644 root) O_WRONLY", open("rootfile", O_WRONLY), EACCES);
    ct_expect_errno("open rootfile O_RDWR", open("rootfile", O_RDWR), EACCES);
    ct_try_open("open rootfile O_RDONLY", "rootfile", O_RDONLY);
    ct_expect_errno("open private/file (0700 dir)", open("private/file", O_RDONLY), EACCES);
    ct_expect_errno("stat private/file", stat("private/file", &st), EACCES);
    ct_expect_errno("opendir private", open("private", O_RDONLY | O_DIRECTORY), EACCES);
    ct_expect_errno("chdir private", chdir("private"), EACCES);
    ct_expect_errno("opendir noread (0711)", open("noread", O_RDONLY | O_DIRECTORY), EACCES);
    ct_try_open("open noread/file (search allowed)", "noread/file", O_RDONLY);
    ct_try_open("opendir nosearch (0744)", "nosearch", O_RDONLY | O_DIRECTORY);
    ct_expect_errno("stat nosearch/file (no search)", stat("nosearch/file", &st), EACCES);
    ct_result("access rootfile R_OK", access("rootfile", R_OK));
    ct_expect_errno("access rootfile W_OK", access("rootfile", W_OK), EACCES);
    ct_expect_errno("access secret R_OK", access("secret", R_OK), EACCES);
    ct_expect_errno("truncate rootfile", truncate("rootfile", 0), EACCES);
}

static void directories(void)
{
    ct_expect_errno("mkdir ro/x (0555 dir)", mkdir("ro/x", 0755), EACCES);
    ct_expect_errno("creat ro/x", creat("ro/x", 0644), EACCES);
    ct_expect_errno("unlink ro/existing", unlink("ro/existing"), EACCES);
    ct_expect_errno("rename ro/existing ro/y", rename("ro/existing", "ro/y"), EACCES);
    ct_try_open("open ro/existing (0666) O_WRONLY", "ro/existing", O_WRONLY);
    ct_expect_errno("mkdir private/x", mkdir("private/x", 0755), EACCES);

    ct_try_open("creat sticky/mine", "sticky/mine", O_CREAT | O_WRONLY);
    ct_expect_errno("unlink sticky/rootfile (sticky, root's)", unlink("sticky/rootfile"), EPERM);
    ct_expect_errno("unlink sticky/rootfile_w (0666 but root's)", unlink("sticky/rootfile_w"),
                    EPERM);
    ct_expect_errno("rename sticky/rootfile sticky/x", rename("sticky/rootfile", "sticky/x"),
                    EPERM);
    ct_expect_errno("rename sticky/mine over sticky/rootfile",
                    rename("sticky/mine", "sticky/rootfile"), EPERM);
    ct_result("unlink sticky/mine", unlink("sticky/mine"));
    ct_result("unlink wdir/rootfile (0777, not sticky)", unlink("wdir/rootfile"));
}

static void ownership(void)
{
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    ct_expect_errno("chmod rootfile", chmod("rootfile", 0666), EPERM);
    ct_expect_errno("chown rootfile 1000:1000", chown("rootfile", 1000, 1000), EPERM);
    ct_expect_errno("utimensat rootfile explicit times", utimensat(AT_FDCWD, "rootfile", ts, 0),
                    EPERM);
    ct_expect_errno("utimensat rootfile now (not writable)",
                    utimensat(AT_FDCWD, "rootfile", NULL, 0), EACCES);
    ct_result("utimensat ro/existing now (0666, writable)",
              utimensat(AT_FDCWD, "ro/existing", NULL, 0));
    ct_result("chmod userfile 0600 (own file)", chmod("userfile", 0600));
    ct_print_lstat("  userfile", "userfile");
    ct_result("utimensat userfile explicit times (own file)",
              utimensat(AT_FDCWD, "userfile", ts, 0));
    ct_expect_errno("chown userfile 0:-1", chown("userfile", 0, -1), EPERM);
    ct_expect_errno("chown userfile -1:0 (not a member of 0)", chown("userfile", -1, 0), EPERM);
    ct_result("chown userfile -1:1000", chown("userfile", -1, 1000));
    ct_result("chown userfile 1000:-1", chown("userfile", 1000, -1));
}

static void become_root(void)
{
    uid_t r, e, sv;
    ct_result("setresuid(0, 0, 0) (saved uid 0)", setresuid(0, 0, 0));
    ct_result("setresgid(0, 0, 0)", setresgid(0, 0, 0));
    getresuid(&r, &e, &sv);
    printf("  uids now %u %u %u\n", (unsigned)r, (unsigned)e, (unsigned)sv);
    int fd = ct_ok("open secret O_RDONLY as root", open("secret", O_RDONLY));
    close(fd);
}

int main(void)
{
    ct_scratch_enter(&s, "perms");
    prepare();
    become_user();
    reading();
    directories();
    ownership();
    become_root();
    ct_scratch_leave(&s);
    return 0;
}
