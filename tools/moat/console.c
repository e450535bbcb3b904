/* The console socket protocol of runc: one message whose payload is the pty's name and whose
 * SCM_RIGHTS carries the master. */
#include "tools/moat/console.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int send_master(const char *socket_path, int master, const char *name, struct moat_err *e)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return moat_fail(e, ENAMETOOLONG, "--console-socket %s", socket_path);
    strcpy(sa.sun_path, socket_path);
    int sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sk < 0 || connect(sk, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = errno;
        if (sk >= 0)
            close(sk);
        return moat_fail(e, err, "cannot connect to the console socket %s", socket_path);
    }
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct iovec iov = {(void *)name, strlen(name)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &master, sizeof(int));
    ssize_t w = sendmsg(sk, &mh, MSG_NOSIGNAL);
    int err = errno;
    close(sk);
    return w < 0 ? moat_fail(e, err, "cannot send the console to %s", socket_path) : 0;
}

int console_open_pty(unsigned short rows, unsigned short cols, int *master_out, char *name,
                     size_t namelen, struct moat_err *e)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        int err = errno;
        if (master >= 0)
            close(master);
        return moat_fail(e, err, "cannot create a pty");
    }
    if (ptsname_r(master, name, namelen) != 0) {
        close(master);
        return moat_fail(e, errno, "cannot name the pty");
    }
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        close(master);
        return moat_fail(e, errno, "cannot open %s", name);
    }
    if (rows && cols) {
        struct winsize ws = {.ws_row = rows, .ws_col = cols};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    *master_out = master;
    return slave;
}

int console_setup(const char *socket_path, unsigned short rows, unsigned short cols,
                  struct moat_err *e)
{
    char name[64];
    int master, slave = console_open_pty(rows, cols, &master, name, sizeof(name), e);
    if (slave < 0)
        return -1;
    int rc = send_master(socket_path, master, name, e);
    close(master);
    if (rc < 0) {
        close(slave);
        return -1;
    }
    return slave;
}

/* The caller's terminal settings while the relay has it in raw mode. */
static struct termios saved;
static bool raw;

void console_relay_raw(void)
{
    if (!isatty(0) || tcgetattr(0, &saved) != 0)
        return;
    struct termios t = saved;
    cfmakeraw(&t);
    raw = tcsetattr(0, TCSANOW, &t) == 0;
}

void console_relay_restore(void)
{
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    raw = false;
}

void console_relay_resize(int master)
{
    struct winsize ws;
    if (isatty(0) && ioctl(0, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

bool console_relay_copy(int from, int to)
{
    char buf[4096];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 && errno == EINTR; /* EOF, or EIO from a master whose slaves are closed */
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0 && errno != EINTR)
            return false;
        off += w > 0 ? w : 0;
    }
    return true;
}
