/* Micro case stat: stat of an absolute path, so each call walks the path and fills a struct stat.
 */
#include <sys/stat.h>

#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "stat", argc, argv, true);
    struct stat st;
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        if (stat(b.path, &st) != 0)
            bench_fail(&b, b.path);
    }
    return bench_finish(&b, i, 0);
}
