/* Conformance: RLIMIT_NPROC: as an unprivileged uid with a limit of 8, fork and pthread_create
 * fail with EAGAIN once the uid's threads and processes reach the limit, and succeed again after
 * one exits; root is not held back by it. Uses uid 54321, which nothing else runs as. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#define LIMIT 8
#define UID   54321

static void *idle_thread(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static pid_t sleeper(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static int limited(void)
{
    struct rlimit rl = {LIMIT, LIMIT};
    if (setrlimit(RLIMIT_NPROC, &rl) != 0 || setgroups(0, NULL) != 0 ||
        setresgid(UID, UID, UID) != 0 || setresuid(UID, UID, UID) != 0) {
        printf("cannot drop privileges: %s\n", ct_errname(errno));
        return 1;
    }
    pid_t kids[64];
    int n = 0;
    while (n < 64) {
        pid_t p = sleeper();
        if (p < 0)
            break;
        kids[n++] = p;
    }
    printf("forks before the limit: %d (%s)\n", n, ct_errname(errno));
    pthread_t th;
    int r = pthread_create(&th, NULL, idle_thread, NULL);
    printf("pthread_create at the limit: %s\n", r ? ct_errname(r) : "ok");
    kill(kids[n - 1], SIGKILL);
    waitpid(kids[n - 1], NULL, 0);
    n--;
    r = pthread_create(&th, NULL, idle_thread, NULL);
    printf("pthread_create after one exit: %s\n", r ? ct_errname(r) : "ok");
    pid_t p = sleeper();
    printf("fork with the thread using the slot: %s\n", p < 0 ? ct_errname(errno) : "ok");
    if (p > 0)
        kids[n++] = p;
    for (int i = 0; i < n; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    p = sleeper();
    printf("fork after the children exited: %s\n", p < 0 ? ct_errname(errno) : "ok");
    if (p > 0) {
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
    }
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(limited());
    int st;
    waitpid(pid, &st, 0);
    printf("limited child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));

    /* Root ignores the limit. */
    struct rlimit rl = {2, 2};
    setrlimit(RLIMIT_NPROC, &rl);
    pid_t kids[4];
    int n = 0;
    for (int i = 0; i < 4; i++) {
        kids[i] = sleeper();
        if (kids[i] > 0)
            n++;
    }
    printf("root forks past a limit of 2: %d of 4\n", n);
    for (int i = 0; i < 4; i++) {
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
        }
    }
    printf("done\n");
    return 0;
}
