/* The runtime's log file, in runc's two formats. */
#include "tools/moat/oci_log.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void rfc3339_now(char *buf, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%06ldZ", (long)tv.tv_usec);
}

void oci_log(const struct global_opts *g, const char *level, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!g->log) {
        if (strcmp(level, "error") == 0 || strcmp(level, "warning") == 0 || g->debug)
            fprintf(stderr, "moat: %s%s%s\n", strcmp(level, "error") == 0 ? "" : level,
                    strcmp(level, "error") == 0 ? "" : ": ", msg);
        return;
    }
    if (strcmp(level, "debug") == 0 && !g->debug)
        return;
    int fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char now[64];
    rfc3339_now(now, sizeof(now));
    json_object *o = json_object_new_object();
    const char *line;
    char text[5000];
    if (g->log_format && strcmp(g->log_format, "json") == 0) {
        json_object_object_add(o, "level", json_object_new_string(level));
        json_object_object_add(o, "msg", json_object_new_string(msg));
        json_object_object_add(o, "time", json_object_new_string(now));
        snprintf(text, sizeof(text), "%s\n",
                 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        /* logrus's text format, as runc writes it: msg quoted like a JSON string. */
        json_object *s = json_object_new_string(msg);
        snprintf(text, sizeof(text), "time=\"%s\" level=%s msg=%s\n", now, level,
                 json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(s);
    }
    line = text;
    ssize_t w = write(fd, line, strlen(line));
    (void)w;
    json_object_put(o);
    close(fd);
}
