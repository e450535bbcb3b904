/* Conformance: the smallest program. Prints a greeting and exits 0; with the argument "exit3" it
 * takes the exit(3) path instead, so the runner checks that an exit code comes back unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exit3") == 0) {
        printf("exiting with status 3\n");
        exit(3);
    }
    printf("hello, world\n");
    return 0;
}
