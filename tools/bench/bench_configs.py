"""The configurations a case runs in: native, moat on each platform (pinned, and unpinned for the
micro cases), and the peers runsc and proot when they are installed. A new moat platform is one
more name in MOAT_PLATFORMS."""

import os
import re
import shutil
import subprocess

MOAT_PLATFORMS = ["ptrace", "systrap"]


class Config:
    """A way to run a command: prefix + argv. micro_only configurations skip the macro cases;
    `missing` says why an unavailable configuration is skipped (None when it can run)."""

    def __init__(self, name, kind, prefix, micro_only=False, missing=None, version=None):
        self.name = name
        self.kind = kind  # native, moat or peer
        self.prefix = prefix
        self.micro_only = micro_only
        self.missing = missing
        self.version = version

    def applies_to(self, case):
        return not (self.micro_only and case.kind != "micro")

    def command(self, argv):
        return self.prefix + list(argv)


def _peer_version(argv):
    """The first version number in a peer's version output (runsc: 0.0~20221219.0), or None."""
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"\b\d+\.\d+[\w.~+-]*", (out.stdout + out.stderr).decode("utf-8", "replace"))
    return found.group(0) if found else None


def _peer(name, tool, prefix_args, version_args):
    path = shutil.which(tool)
    if path is None:
        return Config(name, "peer", [], missing="%s is not installed (not in PATH)" % tool)
    return Config(name, "peer", [path] + prefix_args, version=_peer_version([path] + version_args))


def all_configs(moat_path, moat_platforms=None):
    """Every known configuration, in the order they alternate (native first)."""
    configs = [Config("native", "native", [])]
    missing = moat_missing(moat_path)
    for platform in moat_platforms or MOAT_PLATFORMS:
        base = [moat_path, "do", "--platform", platform, "--cpu-pinning"]
        configs.append(Config("moat-" + platform, "moat", base + ["on", "--"], missing=missing))
        configs.append(Config("moat-%s-nopin" % platform, "moat", base + ["off", "--"],
                              micro_only=True, missing=missing))
    configs.append(_peer("runsc-ptrace", "runsc", ["--network=none", "--platform=ptrace", "do"],
                         ["--version"]))
    configs.append(_peer("proot", "proot", [], ["--version"]))
    return configs


def moat_missing(moat_path):
    """Why the moat binary cannot be used, or None."""
    if not moat_path:
        return "no moat binary given (--moat)"
    if not (os.path.isfile(moat_path) and os.access(moat_path, os.X_OK)):
        return "moat binary %s not found or not executable (build it with ninja)" % moat_path
    return None
