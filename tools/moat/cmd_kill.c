/* `moat kill [--all] ID [SIGNAL]`: a signal (number or name, SIGTERM by default) to the
 * container's init, or to every process in it. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tools/moat/container.h"
#include "tools/moat/control_client.h"

static int parse_signal(const char *s)
{
    if (isdigit((unsigned char)s[0])) {
        char *end;
        long n = strtol(s, &end, 10);
        return *end || n < 1 || n > 64 ? -1 : (int)n;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *name = sigabbrev_np(sig);
        if (name && strcasecmp(name, s) == 0)
            return sig;
    }
    if (strncasecmp(s, "RTMIN+", 6) == 0 && atoi(s + 6) >= 0 && SIGRTMIN + atoi(s + 6) <= 64)
        return SIGRTMIN + atoi(s + 6);
    return -1;
}

int cmd_kill(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    bool all = false;
    const struct cmd_opt opts[] = {{"--all", 'a', NULL, &all, NULL, NULL}, {0}};
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, 2, -1, e) < 0)
        return -1;
    int sig = npos > 1 ? parse_signal(pos[1]) : SIGTERM;
    if (sig < 0)
        return moat_fail(e, 0, "unknown signal \"%s\"", pos[1]);
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    const char *status = oci_state_status(dirfd, &st);
    int rc = 0;
    if (strcmp(status, "stopped") == 0) {
        rc = moat_fail(e, 0, "container not running");
    } else if (strcmp(status, "paused") == 0) {
        /* The frozen sentry cannot take a signal now. SIGKILL ends the whole sandbox at once
         * (init's death is the sandbox's: the same exit status, 137); any other signal waits
         * for resume, as it stays pending in a frozen process under runc. */
        if (sig == SIGKILL)
            cgroup_kill(&st.cg);
        else if (oci_pending_signal_add(dirfd, sig, all) < 0)
            rc = moat_fail(e, errno, "cannot keep the signal for resume");
    } else if (strcmp(status, "created") == 0) {
        /* No init yet: the sandbox itself is what the signal ends (as runc's init would be
         * ended before it execs). */
        host_proc_kill(&st.sentry);
    } else {
        json_object *req = json_object_new_object();
        json_object_object_add(req, "op", json_object_new_string("kill"));
        json_object_object_add(req, "signal", json_object_new_int(sig));
        json_object_object_add(req, "all", json_object_new_boolean(all));
        json_object *rep = control_request(dirfd, req, NULL, e);
        if (rep)
            json_object_put(rep);
        else if (sig == SIGKILL)
            host_proc_kill(&st.sentry); /* a sentry that cannot answer still dies */
        else
            rc = -1;
    }
    oci_state_free(&st);
    close(dirfd);
    return rc;
}
