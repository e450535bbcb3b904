/* Conformance: execve and execveat: argv and envp reach the new program, close-on-exec fds are
 * closed and others stay, #! scripts run their interpreter with the right argv (with and without
 * an optional argument), errors (ENOENT, EACCES, ENOEXEC, ENOTDIR, EFAULT, ELOOP for a script
 * chain), signal dispositions reset (handlers to default, ignored stays ignored, the mask kept),
 * and exec from a multi-threaded process. The program re-executes itself in "child" modes. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

extern char **environ;
static char self[4096];
static char dir[] = "/tmp/ct-exec-XXXXXX";

static void on_usr1(int sig)
{
    (void)sig;
}

/* Child modes: print what the new image sees. */
static int child_main(int argc, char **argv)
{
    const char *mode = argv[1];
    if (strcmp(mode, "show-args") == 0) {
        printf("  argc=%d\n", argc);
        for (int i = 2; i < argc; i++)
            printf("  argv[%d]=\"%s\"\n", i, argv[i]);
        for (char **e = environ; *e; e++)
            if (strncmp(*e, "CTX_", 4) == 0)
                printf("  env %s\n", *e);
        return 0;
    }
    if (strncmp(mode, "script", 6) == 0) {
        /* Run as the interpreter of a script: argv[0] is our path, then the optional argument,
         * then the script's path, then the caller's extra arguments. */
        printf("  interpreter argc=%d\n", argc);
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i];
            if (strncmp(a, "/tmp/ct-exec-", 13) == 0 && strchr(a + 13, '/'))
                printf("  argv[%d]=<dir>%s\n", i, strchr(a + 13, '/'));
            else
                printf("  argv[%d]=\"%s\"\n", i, a);
        }
        return 0;
    }
    if (strcmp(mode, "fds") == 0) {
        printf("  fd 5 open: %s\n", fcntl(5, F_GETFD) >= 0 ? "yes" : "no");
        printf("  fd 6 open: %s\n", fcntl(6, F_GETFD) >= 0 ? "yes" : "no");
        char buf[8] = {0};
        if (pread(5, buf, 3, 0) == 3)
            printf("  fd 5 reads: %s\n", buf);
        return 0;
    }
    if (strcmp(mode, "signals") == 0) {
        struct sigaction a;
        sigaction(SIGUSR1, NULL, &a);
        printf("  SIGUSR1 handler reset to default: %s\n", a.sa_handler == SIG_DFL ? "yes" : "no");
        sigaction(SIGUSR2, NULL, &a);
        printf("  SIGUSR2 still ignored: %s\n", a.sa_handler == SIG_IGN ? "yes" : "no");
        sigset_t m, p;
        sigprocmask(SIG_BLOCK, NULL, &m);
        printf("  SIGHUP still blocked: %s\n", sigismember(&m, SIGHUP) ? "yes" : "no");
        sigpending(&p);
        printf("  SIGHUP still pending: %s\n", sigismember(&p, SIGHUP) ? "yes" : "no");
        stack_t ss;
        sigaltstack(NULL, &ss);
        printf("  altstack disabled: %s\n", ss.ss_flags & SS_DISABLE ? "yes" : "no");
        return 0;
    }
    if (strcmp(mode, "threads") == 0) {
        char buf[64] = {0};
        FILE *f = fopen("/proc/self/status", "r");
        int threads = -1;
        while (f && fgets(buf, sizeof(buf), f))
            if (sscanf(buf, "Threads: %d", &threads) == 1)
                break;
        if (f)
            fclose(f);
        printf("  threads after exec: %d\n", threads);
        return 0;
    }
    printf("unknown mode %s\n", mode);
    return 1;
}

static void run(const char *label, char *const argv[], char *const envp[])
{
    printf("%s:\n", label);
    pid_t pid = fork();
    if (pid == 0) {
        execve(argv[0], argv, envp);
        printf("  execve: %s\n", ct_errname(errno));
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("  status: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        printf("cannot write %s\n", name);
    close(fd);
    chmod(path, mode);
}

static char *path_in_dir(const char *name)
{
    static char bufs[8][128];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, 128, "%s/%s", dir, name);
    return b;
}

static void *thread_spin(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strncmp(argv[1], "-", 1) != 0 && strcmp(argv[1], "main") != 0) {
        setvbuf(stdout, NULL, _IONBF, 0);
        return child_main(argc, argv);
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    if (!mkdtemp(dir))
        return 1;

    char *args[] = {self, "show-args", "one", "", "three words", NULL};
    char *envs[] = {"CTX_A=1", "CTX_B=two=2", "OTHER=x", NULL};
    run("argv and envp", args, envs);
    char *noenv[] = {NULL};
    run("empty environment", args, noenv);

    /* Close-on-exec. */
    int fd = open(path_in_dir("data"), O_RDWR | O_CREAT, 0644);
    if (write(fd, "abc", 3) != 3)
        return 1;
    dup2(fd, 5);
    dup2(fd, 6);
    fcntl(6, F_SETFD, FD_CLOEXEC);
    close(fd);
    char *fargs[] = {self, "fds", NULL};
    run("close-on-exec", fargs, noenv);
    close(5);
    close(6);

    /* Scripts. */
    char text[8192];
    snprintf(text, sizeof(text), "#!%s script\nignored\n", self);
    write_file("s1", text, 0755);
    snprintf(text, sizeof(text), "#! %s   script with spaces  \n", self);
    write_file("s2", text, 0755);
    snprintf(text, sizeof(text), "#!%s\n", path_in_dir("s1"));
    write_file("s3", text, 0755); /* a script whose interpreter is a script */
    write_file("s4", "#!/nonexistent/interp\n", 0755);
    write_file("noexec", "#!/bin/sh\n", 0644);
    write_file("garbage", "\x01\x02\x03 not a program\n", 0755);
    write_file("empty", "", 0755);
    char *s1[] = {path_in_dir("s1"), "x", NULL};
    run("script", s1, noenv);
    char *s2[] = {path_in_dir("s2"), NULL};
    run("script with an argument with spaces", s2, noenv);
    char *s3[] = {path_in_dir("s3"), "y", NULL};
    run("script interpreted by a script", s3, noenv);
    /* A script chain longer than the kernel allows (5 levels of interpreters): ELOOP. */
    for (int i = 0; i < 6; i++) {
        char name[16], prev[16];
        snprintf(name, sizeof(name), "c%d", i);
        snprintf(prev, sizeof(prev), "c%d", i - 1);
        snprintf(text, sizeof(text), "#!%s\n", i == 0 ? path_in_dir("s1") : path_in_dir(prev));
        write_file(name, text, 0755);
    }
    char *c5[] = {path_in_dir("c5"), NULL};
    run("a chain of 6 scripts", c5, noenv);
    char *s4[] = {path_in_dir("s4"), NULL};
    run("missing interpreter", s4, noenv);
    char *ne[] = {path_in_dir("noexec"), NULL};
    run("not executable", ne, noenv);
    char *g[] = {path_in_dir("garbage"), NULL};
    run("not a program", g, noenv);
    char *e[] = {path_in_dir("empty"), NULL};
    run("empty file", e, noenv);
    char *nf[] = {path_in_dir("nofile"), NULL};
    run("missing file", nf, noenv);
    char *nd[] = {path_in_dir("data/x"), NULL};
    run("through a regular file", nd, noenv);
    char *dd[] = {dir, NULL};
    run("a directory", dd, noenv);
    ct_expect_errno("execve bad path pointer", syscall(SYS_execve, ct_bad_ptr(), args, noenv),
                    EFAULT);
    ct_expect_errno("execve bad argv", syscall(SYS_execve, self, ct_bad_ptr(), noenv), EFAULT);

    /* execveat with a directory fd and AT_EMPTY_PATH. */
    printf("execveat:\n");
    pid_t pid = fork();
    if (pid == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        char *a[] = {"s1", "via-dirfd", NULL};
        syscall(SYS_execveat, dfd, "s1", a, noenv, 0);
        printf("  execveat: %s\n", ct_errname(errno));
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    pid = fork();
    if (pid == 0) {
        int efd = open(self, O_RDONLY);
        char *a[] = {"whatever", "show-args", "empty-path", NULL};
        syscall(SYS_execveat, efd, "", a, noenv, AT_EMPTY_PATH);
        printf("  execveat: %s\n", ct_errname(errno));
        _exit(127);
    }
    waitpid(pid, &st, 0);

    /* Signal state across exec. */
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGHUP);
    sigprocmask(SIG_BLOCK, &m, NULL);
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
    sigaltstack(&ss, NULL);
    char *sargs[] = {self, "signals", NULL};
    printf("signals:\n");
    pid = fork();
    if (pid == 0) {
        raise(SIGHUP);
        execve(self, sargs, noenv);
        _exit(127);
    }
    waitpid(pid, &st, 0);

    /* exec from a thread other than the leader, with other threads running. */
    printf("exec with threads:\n");
    pid = fork();
    if (pid == 0) {
        pthread_t th;
        for (int i = 0; i < 3; i++)
            pthread_create(&th, NULL, thread_spin, NULL);
        char *targs[] = {self, "threads", NULL};
        execve(self, targs, noenv);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("  status: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));

    const char *names[] = {"data",  "s1", "s2", "s3", "s4", "noexec", "garbage",
                           "empty", "c0", "c1", "c2", "c3", "c4",     "c5"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(path_in_dir(names[i]));
    ct_result("rmdir", rmdir(dir));
    printf("done\n");
    return 0;
}
