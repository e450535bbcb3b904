/* Command-line parsing shared by the subcommands: global options anywhere, a subcommand's own
 * options in runc's spellings, positional arguments. */
#include <stdio.h>
#include <string.h>

#include "tools/moat/cli.h"

/* "--opt value" or "--opt=value" */
static const char *opt_value(int *i, int argc, char **argv, const char *name, bool *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) != 0)
        return NULL;
    if (*i + 1 < argc)
        return argv[++*i];
    *missing = true;
    return NULL;
}

int global_opt(struct global_opts *g, int *i, int argc, char **argv, struct moat_err *e)
{
    const char *a = argv[*i], *v;
    bool missing = false;
    if (strcmp(a, "--debug") == 0) {
        g->debug = true;
    } else if (strcmp(a, "--systemd-cgroup") == 0) {
        g->systemd_cgroup = true;
    } else if ((v = opt_value(i, argc, argv, "--root", &missing))) {
        g->root = v;
    } else if ((v = opt_value(i, argc, argv, "--log-format", &missing))) {
        if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
            return moat_fail(e, 0, "--log-format takes text or json, not \"%s\"", v);
        g->log_format = v;
    } else if ((v = opt_value(i, argc, argv, "--log", &missing))) {
        g->log = v;
    } else if ((v = opt_value(i, argc, argv, "--network", &missing))) {
        if (strcmp(v, "host") != 0 && strcmp(v, "none") != 0 && strcmp(v, "sandbox") != 0)
            return moat_fail(e, 0, "--network takes host, none or sandbox, not \"%s\"", v);
        g->network = v;
    } else if (!missing) {
        return 0;
    }
    if (missing)
        return moat_fail(e, 0, "%s needs a value", a);
    return 1;
}

static int sub_opt(const struct cmd_opt *opts, int *i, int argc, char **argv, struct moat_err *e)
{
    const char *a = argv[*i];
    for (const struct cmd_opt *o = opts; o && o->name; o++) {
        size_t n = strlen(o->name);
        bool is_short = o->short_name && a[0] == '-' && a[1] == o->short_name && !a[2];
        bool is_long = strncmp(a, o->name, n) == 0 && (a[n] == 0 || a[n] == '=');
        if (!is_short && !is_long)
            continue;
        if (o->flag) {
            if (is_long && a[n] == '=') {
                const char *v = a + n + 1;
                *o->flag = strcmp(v, "false") != 0 && strcmp(v, "0") != 0;
            } else {
                *o->flag = true;
            }
            return 1;
        }
        const char *v;
        if (is_long && a[n] == '=')
            v = a + n + 1;
        else if (*i + 1 < argc)
            v = argv[++*i];
        else
            return moat_fail(e, 0, "%s needs a value", o->name);
        if (o->list)
            o->list[(*o->nlist)++] = v;
        else
            *o->value = v;
        return 1;
    }
    return 0;
}

int cmd_parse(struct global_opts *g, int argc, char **argv, const struct cmd_opt *opts, char **pos,
              int *npos, int min_pos, int max_pos, int rest_after, struct moat_err *e)
{
    *npos = 0;
    bool rest = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (rest || a[0] != '-' || strcmp(a, "-") == 0) {
            pos[(*npos)++] = argv[i];
            if (rest_after >= 0 && *npos >= rest_after)
                rest = true;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            rest = true;
            continue;
        }
        int rc = sub_opt(opts, &i, argc, argv, e);
        if (rc == 0)
            rc = global_opt(g, &i, argc, argv, e);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return moat_fail(e, 0, "unknown option %s", a);
    }
    if (*npos < min_pos)
        return moat_fail(e, 0, "%s needs %d argument%s (see moat %s --help)", argv[0], min_pos,
                         min_pos == 1 ? "" : "s", argv[0]);
    if (max_pos >= 0 && *npos > max_pos)
        return moat_fail(e, 0, "unexpected argument \"%s\"", pos[max_pos]);
    return 0;
}
