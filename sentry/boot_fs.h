/* Building the sandbox's mount tree at boot. */
#ifndef MOAT_SENTRY_BOOT_FS_H
#define MOAT_SENTRY_BOOT_FS_H

#include <stddef.h>

struct boot_config;

/* Mounts the root and the standard filesystems; 0 or -errno with a message in err. */
long boot_build_mounts(const struct boot_config *cfg, char *err, size_t errlen);

#endif
