/* Conformance: System V shared memory: shmget's key rules and errors, shmat at a chosen or given
 * address (SHM_RND, SHM_RDONLY, no silent replacement), sharing and nattch across fork and exit,
 * shmdt, IPC_STAT/IPC_SET/IPC_RMID (a removed segment lives until its last detach), IPC_INFO. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static unsigned long nattch(int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0)
        return (unsigned long)-1;
    return ds.shm_nattch;
}

static void stat_segment(const char *label, int id, key_t key)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        ct_result(label, -1);
        return;
    }
    printf("%s: size %zu mode %04o dest %d locked %d nattch %lu key-is-ours %d key-private %d "
           "cpid-is-me %d uid-is-me %d\n",
           label, ds.shm_segsz, ds.shm_perm.mode & 0777, !!(ds.shm_perm.mode & SHM_DEST),
           !!(ds.shm_perm.mode & SHM_LOCKED), ds.shm_nattch, ds.shm_perm.__key == key,
           ds.shm_perm.__key == IPC_PRIVATE, ds.shm_cpid == getpid(), ds.shm_perm.uid == geteuid());
}

static void errors(key_t key)
{
    ct_expect_errno("shmget private size 0", shmget(IPC_PRIVATE, 0, 0600), EINVAL);
    ct_expect_errno("shmget absent key", shmget(key, 4096, 0600), ENOENT);
    ct_expect_errno("shmat bad id", (long)shmat(-1, NULL, 0), EINVAL);
    ct_expect_errno("shmctl bad id", shmctl(0x7ffffff0, IPC_STAT, &(struct shmid_ds){0}), EINVAL);
    ct_expect_errno("shmdt unattached address", shmdt((void *)0x10000), EINVAL);
    ct_expect_errno("shmdt misaligned", shmdt((void *)0x10001), EINVAL);
    struct shminfo info;
    long rc = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    printf("IPC_INFO: ok %d shmmni>0 %d shmmin %lu\n", rc >= 0, info.shmmni > 0, info.shmmin);
    struct shm_info sinfo;
    rc = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
    printf("SHM_INFO: ok %d\n", rc >= 0);
}

static void keys_and_attach(key_t key)
{
    int id = shmget(key, 10000, IPC_CREAT | 0600);
    ct_check("shmget IPC_CREAT", id >= 0);
    ct_expect_errno("shmget IPC_CREAT|IPC_EXCL again",
                    shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    ct_expect_errno("shmget larger than the segment", shmget(key, 20000, 0600), EINVAL);
    ct_check("shmget size 0 finds it", shmget(key, 0, 0) == id);
    ct_check("shmget IPC_CREAT finds it", shmget(key, 100, IPC_CREAT | 0600) == id);
    int other = shmget(IPC_PRIVATE, 10000, 0600);
    ct_check("IPC_PRIVATE makes another", other >= 0 && other != id);
    shmctl(other, IPC_RMID, NULL);
    stat_segment("new", id, key);
    ct_expect_errno("shmctl bad cmd", shmctl(id, 12345, NULL), EINVAL);
    ct_expect_errno("IPC_STAT to a bad pointer", shmctl(id, IPC_STAT, ct_bad_ptr()), EFAULT);

    char *p = shmat(id, NULL, 0);
    ct_check("shmat chosen address", p != (void *)-1);
    ct_check("  page aligned", ((uintptr_t)p & 4095) == 0);
    ct_check("  zero filled", ct_all_bytes((unsigned char *)p, 10000, 0));
    strcpy(p, "written through the first attachment");
    char *q = shmat(id, NULL, SHM_RDONLY);
    ct_check("shmat SHM_RDONLY", q != (void *)-1 && q != p);
    printf("  read through the second: %s\n", q);
    printf("  nattch after two: %lu\n", nattch(id));
    ct_expect_errno("shmat over a mapping", (long)shmat(id, p, 0), EINVAL);
    ct_expect_errno("shmat misaligned without SHM_RND", (long)shmat(id, p + 1, 0), EINVAL);
    ct_expect_errno("SHM_REMAP without an address", (long)shmat(id, NULL, SHM_REMAP), EINVAL);

    /* A free range of our own, to attach at a given (and a rounded) address. */
    char *hole = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 8 * 4096);
    char *r = shmat(id, hole + 4096 + 5, SHM_RND);
    ct_check("shmat SHM_RND rounds down", r == hole + 4096);
    printf("  read at the rounded address: %s\n", r);
    ct_result("shmdt rounded", shmdt(r));
    ct_expect_errno("shmdt it again", shmdt(r), EINVAL);

    pid_t pid = fork();
    if (pid == 0) {
        printf("child: nattch %lu\n", nattch(id));
        strcpy(p, "written by the child");
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent after child exit: nattch %lu, reads \"%s\"\n", nattch(id), q);

    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0640;
    ct_result("IPC_SET mode 0640", shmctl(id, IPC_SET, &ds));
    stat_segment("after IPC_SET", id, key);

    ct_result("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
    stat_segment("removed, attached", id, key);
    ct_expect_errno("shmget of the removed key", shmget(key, 0, 0), ENOENT);
    printf("  still readable: %s\n", q);
    ct_result("shmdt first", shmdt(p));
    printf("  nattch %lu\n", nattch(id));
    ct_result("shmdt last", shmdt(q));
    ct_expect_errno("IPC_STAT after the last detach", shmctl(id, IPC_STAT, &ds), EINVAL);
    ct_expect_errno("shmat after the last detach", (long)shmat(id, NULL, 0), EINVAL);
}

static void rmid_unattached(void)
{
    int id = shmget(IPC_PRIVATE, 4096, 0600);
    ct_result("IPC_RMID unattached", shmctl(id, IPC_RMID, NULL));
    ct_expect_errno("  IPC_STAT after", shmctl(id, IPC_STAT, &(struct shmid_ds){0}), EINVAL);
    /* A segment attached in a child only, which exits: the parent's removal then frees it. */
    id = shmget(IPC_PRIVATE, 4096, 0600);
    char *p = shmat(id, NULL, 0);
    pid_t pid = fork();
    if (pid == 0) {
        p[0] = 'c';
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("fork then exit, nattch %lu, byte '%c'\n", nattch(id), p[0]);
    ct_result("IPC_RMID", shmctl(id, IPC_RMID, NULL));
    ct_result("shmdt", shmdt(p));
    ct_expect_errno("  gone", shmctl(id, IPC_STAT, &(struct shmid_ds){0}), EINVAL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = (key_t)(0x4d6f0000 | (getpid() & 0xffff));
    errors(key);
    keys_and_attach(key);
    rmid_unattached();
    return 0;
}
