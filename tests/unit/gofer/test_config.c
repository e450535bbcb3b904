/* Unit tests of gofer/config.c: the gofer's JSON config is parsed strictly, defaults to read-only,
 * and serializes back to what parses to the same mounts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gofer/gofer.h"

static int parse(const char *text, struct gofer_config *cfg, struct gofer_err *e)
{
    memset(e, 0, sizeof(*e));
    return gofer_config_parse(text, strlen(text), cfg, e);
}

Test(config, parses_mounts_in_order)
{
    struct gofer_config cfg;
    struct gofer_err e;
    cr_assert_eq(parse("{\"mounts\": [{\"host_path\": \"/\", \"readonly\": true},"
                       " {\"host_path\": \"/tmp/x\", \"readonly\": false},"
                       " {\"host_path\": \"/srv\"}]}\n",
                       &cfg, &e),
                 0, "%s", e.msg);
    cr_assert_eq(cfg.nmounts, 3);
    cr_expect_str_eq(cfg.mounts[0].host_path, "/");
    cr_expect(cfg.mounts[0].readonly);
    cr_expect_str_eq(cfg.mounts[1].host_path, "/tmp/x");
    cr_expect(!cfg.mounts[1].readonly);
    cr_expect(cfg.mounts[2].readonly, "readonly defaults to true");

    char *text = gofer_config_serialize(&cfg);
    struct gofer_config again;
    cr_assert_eq(parse(text, &again, &e), 0, "%s: %s", text, e.msg);
    cr_assert_eq(again.nmounts, 3);
    for (unsigned i = 0; i < 3; i++) {
        cr_expect_str_eq(again.mounts[i].host_path, cfg.mounts[i].host_path);
        cr_expect_eq(again.mounts[i].readonly, cfg.mounts[i].readonly);
    }
    free(text);
    gofer_config_free(&again);
    gofer_config_free(&cfg);
}

Test(config, refuses_what_it_does_not_understand)
{
    const char *bad[] = {
        "",
        "[1]",
        "{\"mounts\": [{\"host_path\": \"/\"}]} x",
        "{\"mounts\": [{\"host_path\": \"/\"}], \"extra\": 1}",
        "{\"mounts\": [{\"host_path\": \"/\", \"rw\": true}]}",
        "{\"mounts\": [{\"host_path\": \"relative\"}]}",
        "{\"mounts\": [{\"host_path\": \"/a\\u0000b\"}]}",
        "{\"mounts\": [{\"readonly\": true}]}",
        "{\"mounts\": [{\"host_path\": \"/\", \"readonly\": \"yes\"}]}",
        "{\"mounts\": []}",
        "{\"mounts\": {}}",
        "{\"mounts\": [1]}",
        "{}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct gofer_config cfg;
        struct gofer_err e;
        cr_expect_eq(parse(bad[i], &cfg, &e), -1, "accepted: %s", bad[i]);
        cr_expect_neq(e.msg[0], '\0', "no message for: %s", bad[i]);
        cr_expect_eq(cfg.nmounts, 0);
    }
}

Test(config, caps_the_number_of_mounts)
{
    size_t cap = 64 + (GOFER_MOUNTS_MAX + 1) * 24;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap, "{\"mounts\": [");
    for (int i = 0; i <= GOFER_MOUNTS_MAX; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s{\"host_path\": \"/\"}", i ? "," : "");
    snprintf(text + n, cap - n, "]}");
    struct gofer_config cfg;
    struct gofer_err e;
    cr_expect_eq(parse(text, &cfg, &e), -1);
    free(text);
}
