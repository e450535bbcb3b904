/* OCI runtime-spec config.json (and exec's process.json) parsed with json-c into what the
 * sandbox needs. Unknown or malformed fields are errors naming the field and the file; fields
 * the sandbox cannot honour are warnings (docs/oci.md lists both). */
#ifndef MOAT_TOOLS_OCI_SPEC_H
#define MOAT_TOOLS_OCI_SPEC_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tools/moat/cgroup_path.h"
#include "tools/moat/cli.h"
#include "tools/moat/sandbox.h"

struct json_object;

struct oci_process {
    char **args, **env; /* NULL-terminated; point into the parsed JSON */
    const char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t groups[SANDBOX_MAX_GROUPS];
    int ngroups;
    unsigned umask;
    bool terminal;
    unsigned short console_height, console_width;
    struct sandbox_rlimit rlimits[SANDBOX_MAX_RLIMITS];
    int nrlimits;
    bool has_oom_score_adj;
    int oom_score_adj;
};

struct oci_mount {
    const char *source; /* absolute host path (bind), or NULL (tmpfs) */
    const char *destination;
    bool readonly;
};

struct oci_config {
    struct json_object *json; /* owns the strings below */
    char path[PATH_MAX];      /* the file, for messages */
    struct oci_process process;
    char root[PATH_MAX]; /* absolute */
    bool root_readonly;
    const char *hostname; /* NULL: the host's */
    struct oci_mount mounts[SANDBOX_MAX_MOUNTS - 1];
    int nmounts;
    enum sandbox_net net;
    const char *netns_path;
    char *annotations;           /* JSON text or NULL */
    char *hooks;                 /* the hooks object as JSON text, or NULL (tools/moat/hooks.h) */
    struct cgroup_limits limits; /* linux.resources, for the sandbox's cgroup */
    char cgroups_path[CGROUP_PATH_MAX]; /* linux.cgroupsPath normalized, "" if unset */
};

/* Loads BUNDLE/config.json. Warnings go to the log. */
int oci_config_load(const struct global_opts *g, const char *bundle, struct oci_config *c,
                    struct moat_err *e);
/* Loads a process.json (`exec --process`): the "process" object of a spec, alone. */
int oci_process_load(const struct global_opts *g, const char *file, struct json_object **json,
                     struct oci_process *p, struct moat_err *e);
void oci_config_free(struct oci_config *c);
/* Loads a LinuxResources object (`moat update --resources FILE`; "-" is stdin). */
int oci_resources_load(const struct global_opts *g, const char *file, struct cgroup_limits *l,
                       struct moat_err *e);

/* The sandbox spec for a container: argv/env/user, the root and mounts, limits, network. */
void oci_config_to_sandbox(const struct oci_config *c, struct sandbox_spec *s);

/* The default config.json `moat spec` writes (runc's, with moat's choices). */
const char *oci_default_spec(void);

#endif
