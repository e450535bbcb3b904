/* `moat spec [--bundle B]` (a default config.json) and `moat features` (the OCI features
 * document: what config.json may ask of moat). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/moat/oci_spec.h"

int cmd_spec(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    const char *bundle = ".";
    bool rootless = false;
    const struct cmd_opt opts[] = {{"--bundle", 'b', &bundle, NULL, NULL, NULL},
                                   {"--rootless", 0, NULL, &rootless, NULL, NULL},
                                   {0}};
    char *pos[argc];
    int npos;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 0, 0, -1, e) < 0)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        return moat_fail(e, 0, "%s exists; remove it first", path);
    if (fd < 0)
        return moat_fail(e, errno, "cannot create %s", path);
    const char *text = oci_default_spec();
    ssize_t w = write(fd, text, strlen(text));
    int err = errno;
    close(fd);
    return w == (ssize_t)strlen(text) ? 0 : moat_fail(e, err, "cannot write %s", path);
}

int cmd_features(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    char *pos[argc];
    int npos;
    if (cmd_parse(g, argc, argv, NULL, pos, &npos, 0, 0, -1, e) < 0)
        return -1;
    printf("{\n"
           "    \"ociVersionMin\": \"1.0.0\",\n"
           "    \"ociVersionMax\": \"%s\",\n"
           "    \"hooks\": [],\n"
           "    \"mountOptions\": [\"bind\", \"rbind\", \"ro\", \"rw\", \"nosuid\", \"nodev\", "
           "\"noexec\", \"mode\", \"size\"],\n"
           "    \"linux\": {\n"
           "        \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", "
           "\"user\", \"uts\"],\n"
           "        \"capabilities\": [],\n"
           "        \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, "
           "\"systemdUser\": false},\n"
           "        \"seccomp\": {\"enabled\": false},\n"
           "        \"apparmor\": {\"enabled\": false},\n"
           "        \"selinux\": {\"enabled\": false}\n"
           "    },\n"
           "    \"annotations\": {\"io.github.moat.version\": \"%s\", "
           "\"io.github.moat.sandbox\": \"sentry (ptrace)\"}\n"
           "}\n",
           MOAT_OCI_VERSION, MOAT_VERSION);
    return 0;
}
