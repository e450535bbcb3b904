/* linux.cgroupsPath (docs/oci.md "Resources"): checking and normalizing the value, runc's
 * systemd form "slice:prefix:name" mapped onto cgroupfs, and where a path lands in a hierarchy.
 * Pure string work: cgroup.c makes the directories. */
#ifndef MOAT_TOOLS_CGROUP_PATH_H
#define MOAT_TOOLS_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/moat/cli.h"

/* Room for a normalized path (the hierarchy's mount and default parent come on top). */
#define CGROUP_PATH_MAX 384

/* Checks a cgroupsPath and writes it normalized to out ("/a/b" or "a/b": no repeated or trailing
 * slash). With systemd (runc's --systemd-cgroup) the value must be "slice:prefix:name", mapped
 * as runc's systemd driver names the unit: "/<expanded slice>/<prefix>-<name>.scope". 0, or -1
 * with e saying what is wrong (the caller names the field). */
int cgroup_path_parse(const char *value, bool systemd, char *out, size_t len, struct moat_err *e);

/* The directory of a normalized path in one hierarchy: an absolute path is below the
 * hierarchy's root `mnt`, a relative one below moat's default parent `parent` there. 0, or -1
 * if it does not fit in len. */
int cgroup_path_dir(const char *mnt, const char *parent, const char *path, char *out, size_t len);

/* dir with its last `levels` components removed (into out): the cgroup above them. */
void cgroup_path_up(const char *dir, int levels, char *out, size_t len);

#endif
