/* Overlay under concurrency: copy-ups, renames of lower trees, whiteouts and merged listings
 * racing on shared directories must neither deadlock (the test's timeout) nor corrupt state. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ovl_harness.h"

TestSuite(overlay_concurrency, .init = ovl_setup, .timeout = 60);

#define ROUNDS 2000

/* Errors no interleaving can explain, counted per thread and asserted by the main thread. */
static int bad[5];

static struct task *thread_task(void)
{
    struct task *t = calloc(1, sizeof(*t));
    t->fs = fs_context_dup(ovl_t->fs);
    t->files = ovl_t->files;
    return t;
}

static void thread_task_free(struct task *t)
{
    fs_context_put(t->fs);
    free(t);
}

static void *creator(void *arg)
{
    struct task *t = thread_task();
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/etc/t%d", i % 7);
        if (write_file(t, path, O_WRONLY | O_CREAT | O_EXCL, "t") != 0)
            bad[0]++;
        if (vfs_unlink(t, AT_FDCWD, path) != 0)
            bad[0]++;
    }
    thread_task_free(t);
    return NULL;
}

/* Does the sorted, comma-separated list hold a name twice? */
static bool has_duplicate(const char *list)
{
    char *copy = strdup(list), *save, *prev = NULL;
    bool dup = false;
    for (char *n = strtok_r(copy, ",", &save); n && !dup; n = strtok_r(NULL, ",", &save)) {
        dup = prev && strcmp(prev, n) == 0;
        prev = n;
    }
    free(copy);
    return dup;
}

static void *lister(void *arg)
{
    struct task *t = thread_task();
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        const char *dirs[] = {"/etc", "/dir", "/", "/dir/a"};
        char *s = list_dir(t, dirs[i % 4]);
        /* /dir/a may be mid-rename; the others always exist. A listing racing with renames may
         * show a file under both names (as on Linux), never one name twice. */
        if (strncmp(s, "ERR", 3) == 0 ? i % 4 != 3 : has_duplicate(s))
            bad[1]++;
        free(s);
    }
    thread_task_free(t);
    return NULL;
}

static void *file_renamer(void *arg)
{
    struct task *t = thread_task();
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        const char *a = i % 2 ? "/etc/passwd2" : "/etc/passwd";
        const char *b = i % 2 ? "/etc/passwd" : "/etc/passwd2";
        if (vfs_rename(t, AT_FDCWD, a, AT_FDCWD, b, 0) != 0)
            bad[2]++;
    }
    thread_task_free(t);
    return NULL;
}

static void *tree_renamer(void *arg)
{
    struct task *t = thread_task();
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        const char *a = i % 2 ? "/data/a" : "/dir/a";
        const char *b = i % 2 ? "/dir/a" : "/data/a";
        if (vfs_rename(t, AT_FDCWD, a, AT_FDCWD, b, 0) != 0)
            bad[3]++;
    }
    thread_task_free(t);
    return NULL;
}

static void *toucher(void *arg)
{
    struct task *t = thread_task();
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        struct iattr a = {.valid = ATTR_MODE, .mode = 0600 | (unsigned int)(i & 7)};
        long rc = set_attr(t, i % 2 ? "/dir/a/b/c.txt" : "/dir/y", &a);
        if (rc != 0 && rc != -ENOENT)
            bad[4]++;
        long err;
        char *s = read_file(t, "/dir/y", &err);
        if (!s || strcmp(s, "y-content") != 0)
            bad[4]++;
        free(s);
    }
    thread_task_free(t);
    return NULL;
}

Test(overlay_concurrency, copy_ups_renames_and_listings_race_safely)
{
    void *(*fns[])(void *) = {creator, lister, file_renamer, tree_renamer, toucher};
    pthread_t th[5];
    for (int i = 0; i < 5; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, fns[i], NULL), 0);
    for (int i = 0; i < 5; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 5; i++)
        cr_expect_eq(bad[i], 0, "thread %d saw %d impossible results", i, bad[i]);
    /* ROUNDS is even: everything is back at its name. */
    char *s = list_dir(ovl_t, "/etc");
    cr_expect_str_eq(s, "hosts,passwd");
    free(s);
    s = list_dir(ovl_t, "/dir/a/b");
    cr_expect_str_eq(s, "c.txt");
    free(s);
    s = list_dir(ovl_t, "/data");
    cr_expect_str_eq(s, "big");
    free(s);
    assert_lower_intact();
}
