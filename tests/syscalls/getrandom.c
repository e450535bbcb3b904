/* Conformance: getrandom(2): byte counts, flags, two draws differing, and argument errors. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "tests/syscalls/conformance.h"

int main(void)
{
    unsigned char a[256], b[256];

    ct_result("getrandom 0 bytes", getrandom(a, 0, 0));
    ct_result("getrandom 16 bytes", getrandom(a, 16, 0));
    ct_result("getrandom 256 bytes", getrandom(a, 256, 0));
    ct_result("getrandom 16 bytes GRND_NONBLOCK", getrandom(b, 16, GRND_NONBLOCK));
    ct_result("getrandom 16 bytes GRND_RANDOM|GRND_NONBLOCK",
              getrandom(b + 16, 16, GRND_RANDOM | GRND_NONBLOCK));
    ct_result("getrandom 16 bytes GRND_INSECURE", getrandom(b + 32, 16, GRND_INSECURE));

    ct_check("two 16-byte draws differ", memcmp(a, b, 16) != 0);
    static const unsigned char zero[256];
    ct_check("256-byte draw is not all zero", memcmp(a, zero, 256) != 0);

    ct_expect_errno("getrandom unknown flag 0x8", getrandom(a, 16, 0x8), EINVAL);
    ct_expect_errno("getrandom GRND_INSECURE|GRND_RANDOM",
                    getrandom(a, 16, GRND_INSECURE | GRND_RANDOM), EINVAL);
    ct_expect_errno("getrandom into (void *)1", getrandom(ct_bad_ptr(), 16, 0), EFAULT);
    ct_result("getrandom 0 bytes into (void *)1", getrandom(ct_bad_ptr(), 0, 0));
    return 0;
}
