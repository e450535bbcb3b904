/* `moat state ID` (the OCI state as JSON) and `moat list` (every container under --root). */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tools/moat/container.h"

int cmd_state(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, NULL, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    json_object *o = container_state_json(dirfd, &st, NULL);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    oci_state_free(&st);
    close(dirfd);
    return 0;
}

int cmd_list(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    const char *format = "table";
    bool quiet = false;
    const struct cmd_opt opts[] = {{"--format", 'f', &format, NULL, NULL, NULL},
                                   {"--quiet", 'q', NULL, &quiet, NULL, NULL},
                                   {0}};
    char *pos[argc];
    int npos;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 0, 0, -1, e) < 0)
        return -1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return moat_fail(e, 0, "--format takes table or json, not \"%s\"", format);
    json_object *all = json_object_new_array();
    DIR *d = opendir(g->root);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct oci_state st;
        struct moat_err ignored;
        /* Read without the lock: state.json is replaced atomically. */
        if (cfd >= 0 && oci_state_read(cfd, &st, &ignored) == 0) {
            json_object_array_add(all, container_state_json(cfd, &st, NULL));
            oci_state_free(&st);
        }
        if (cfd >= 0)
            close(cfd);
    }
    if (d)
        closedir(d);
    if (strcmp(format, "json") == 0) {
        printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        if (!quiet)
            printf("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                   "OWNER");
        for (size_t i = 0; i < json_object_array_length(all); i++) {
            json_object *c = json_object_array_get_idx(all, i), *v[5];
            json_object_object_get_ex(c, "id", &v[0]);
            json_object_object_get_ex(c, "pid", &v[1]);
            json_object_object_get_ex(c, "status", &v[2]);
            json_object_object_get_ex(c, "bundle", &v[3]);
            json_object_object_get_ex(c, "created", &v[4]);
            if (quiet)
                printf("%s\n", json_object_get_string(v[0]));
            else
                printf("%-24s %-8d %-10s %-40s %-32s %s\n", json_object_get_string(v[0]),
                       json_object_get_int(v[1]), json_object_get_string(v[2]),
                       json_object_get_string(v[3]), json_object_get_string(v[4]), "root");
        }
    }
    json_object_put(all);
    return 0;
}
