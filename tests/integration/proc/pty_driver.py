"""Run natively and under `moat do` by test_pty.py: drives programs through pseudo-terminals
the way terminal tools do and prints what it saw, with /dev/pts/N numbers masked."""
import os
import pty
import re
import signal
import sys


def mask(b):
    return re.sub(rb"/dev/pts/\d+", b"/dev/pts/N", b)


def drain(fd):
    out = b""
    while True:
        try:
            d = os.read(fd, 4096)
        except OSError:  # EIO: the child side is gone
            break
        if not d:
            break
        out += d
    return out


def read_until(fd, want):
    out = b""
    while want not in out:
        d = os.read(fd, 4096)
        if not d:
            break
        out += d
    return out


def spawn_case():
    """python3's pty.spawn, as `script` does it: tty, stty size, stty -a."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        status = pty.spawn(["sh", "-c", "tty; stty size; stty -a | head -1; echo done"])
        os._exit(os.waitstatus_to_exitcode(status))
    os.close(w)
    out = drain(r)
    _, status = os.waitpid(pid, 0)
    print("spawn:", mask(out), os.waitstatus_to_exitcode(status))


def interactive_case():
    """pty.fork: cat echoes a line twice (echo + its output), ^D ends it; ^C kills sleep."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("cat", ["cat"])
    os.write(fd, b"abc\n")
    print("cat:", read_until(fd, b"abc\r\nabc\r\n"))
    os.write(fd, b"\x04")
    print("cat end:", drain(fd))
    _, status = os.waitpid(pid, 0)
    print("cat status:", os.waitstatus_to_exitcode(status))
    os.close(fd)

    pid, fd = pty.fork()
    if pid == 0:
        # sh, not Python, takes a ^C that comes before the exec: it dies just as quietly.
        os.execvp("sh", ["sh", "-c", "echo sleeping; exec sleep 30"])
    print("sleep:", read_until(fd, b"sleeping\r\n"))
    os.write(fd, b"\x03")
    _, status = os.waitpid(pid, 0)
    print("sleep status:", os.waitstatus_to_exitcode(status) == -signal.SIGINT)
    print("after ^C:", drain(fd))
    os.close(fd)


def winsize_case():
    """The window size set on the master is what `stty size` in the child reports."""
    import fcntl
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", "read x; stty size; tty"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 120, 0, 0))
    os.write(fd, b"go\n")
    out = drain(fd)
    _, status = os.waitpid(pid, 0)
    print("winsize:", mask(out), os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    {"spawn": spawn_case, "interactive": interactive_case, "winsize": winsize_case}[sys.argv[1]]()
