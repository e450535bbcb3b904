/* The emulated pty's line discipline (ldisc.h): n_tty's rules for the flags real programs use,
 * on flat buffers (4 KiB each, moved with memmove: small enough that a ring buys nothing). */
#include "sentry/fs/devpts/ldisc.h"

#include <signal.h>
#include <string.h>
#include <termios.h>

#define CC(ld, i) ((ld)->tio.c_cc[i])
#define L(ld, f)  (((ld)->tio.c_lflag & (f)) != 0)
#define I(ld, f)  (((ld)->tio.c_iflag & (f)) != 0)
#define O(ld, f)  (((ld)->tio.c_oflag & (f)) != 0)

void ldisc_std_termios(struct ldisc_termios *tio)
{
    static const uint8_t cc[19] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0};
    memset(tio, 0, sizeof(*tio));
    tio->c_iflag = ICRNL | IXON;
    tio->c_oflag = OPOST | ONLCR;
    tio->c_cflag = B38400 | CS8 | CREAD; /* a pty slave's: no HUPCL */
    tio->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    memcpy(tio->c_cc, cc, sizeof(cc));
}

void ldisc_init(struct ldisc *ld)
{
    memset(ld, 0, sizeof(*ld));
    ldisc_std_termios(&ld->tio);
}

/* Appends to the master's queue what is left of the room (echoes may be cut short: n_tty
 * drops them too when the output is full). */
static void out_raw(struct ldisc *ld, const char *s, size_t n)
{
    size_t room = sizeof(ld->oq) - ld->oq_len;
    if (n > room)
        n = room;
    memcpy(ld->oq + ld->oq_len, s, n);
    ld->oq_len += n;
}

/* One output byte through OPOST: ONLCR (\n -> \r\n), OCRNL (\r -> \n), ONLRET/ONOCR aside.
 * False when it does not fit. */
static bool out_char(struct ldisc *ld, char c)
{
    size_t room = sizeof(ld->oq) - ld->oq_len;
    if (O(ld, OPOST)) {
        if (c == '\n' && O(ld, ONLCR)) {
            if (room < 2)
                return false;
            out_raw(ld, "\r\n", 2);
            return true;
        }
        if (c == '\r' && O(ld, OCRNL))
            c = '\n';
    }
    if (room < 1)
        return false;
    out_raw(ld, &c, 1);
    return true;
}

/* Echoes an input byte: control characters as ^X with ECHOCTL (but tab and newline). */
static void echo_char(struct ldisc *ld, unsigned char c)
{
    if (L(ld, ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') {
        char s[2] = {'^', (char)(c ^ 0x40)};
        out_raw(ld, s, 2);
    } else {
        out_char(ld, (char)c);
    }
}

/* How many columns the echo of c took (2 for ^X), for erasing it. */
static int echo_width(const struct ldisc *ld, unsigned char c)
{
    return L(ld, ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' ? 2 : 1;
}

/* Removes the last character of the line being edited, erasing its echo with ECHOE. */
static void erase_one(struct ldisc *ld)
{
    unsigned char c = (unsigned char)ld->line[--ld->line_len];
    if (L(ld, ECHO) && L(ld, ECHOE))
        for (int i = echo_width(ld, c); i > 0; i--)
            out_raw(ld, "\b \b", 3);
}

/* Moves the line being edited (plus its terminator, if any) to the read queue. */
static void commit_line(struct ldisc *ld, int term)
{
    size_t n = ld->line_len + (term >= 0);
    if (ld->rq_len + n > sizeof(ld->rq) || ld->nlines == LDISC_BUF)
        return; /* no room: the line is lost, as n_tty loses input past its buffer */
    memcpy(ld->rq + ld->rq_len, ld->line, ld->line_len);
    if (term >= 0)
        ld->rq[ld->rq_len + ld->line_len] = (char)term;
    ld->rq_len += n;
    ld->lines[ld->nlines++] = (uint16_t)n;
    ld->line_len = 0;
}

bool ldisc_input_room(const struct ldisc *ld)
{
    return ld->rq_len + ld->line_len < sizeof(ld->rq) - 1;
}

/* ISIG: the signal a character raises, 0 for none. */
static int signal_of(const struct ldisc *ld, unsigned char c)
{
    if (!L(ld, ISIG) || c == 0) /* _POSIX_VDISABLE */
        return 0;
    if (c == CC(ld, VINTR))
        return SIGINT;
    if (c == CC(ld, VQUIT))
        return SIGQUIT;
    if (c == CC(ld, VSUSP))
        return SIGTSTP;
    return 0;
}

/* Canonical mode's editing and line-ending characters: true if c was one of them. */
static bool canon_special(struct ldisc *ld, unsigned char c)
{
    if (c == 0)
        return false;
    if (c == CC(ld, VERASE)) {
        if (ld->line_len > 0)
            erase_one(ld);
        else if (L(ld, ECHO) && !L(ld, ECHOE))
            echo_char(ld, c);
        return true;
    }
    if (c == CC(ld, VWERASE) && L(ld, IEXTEN)) {
        while (ld->line_len > 0 &&
               (ld->line[ld->line_len - 1] == ' ' || ld->line[ld->line_len - 1] == '\t'))
            erase_one(ld);
        while (ld->line_len > 0 && ld->line[ld->line_len - 1] != ' ' &&
               ld->line[ld->line_len - 1] != '\t')
            erase_one(ld);
        return true;
    }
    if (c == CC(ld, VKILL)) {
        if (L(ld, ECHO) && L(ld, ECHOKE) && L(ld, ECHOE)) {
            while (ld->line_len > 0)
                erase_one(ld);
        } else {
            ld->line_len = 0;
            if (L(ld, ECHO)) {
                echo_char(ld, c);
                if (L(ld, ECHOK))
                    out_char(ld, '\n');
            }
        }
        return true;
    }
    if (c == CC(ld, VEOF)) {
        commit_line(ld, -1); /* not stored, not echoed: an empty line reads as end-of-file */
        return true;
    }
    if (c == '\n' || c == CC(ld, VEOL) || (c == CC(ld, VEOL2) && L(ld, IEXTEN))) {
        if (L(ld, ECHO) || (c == '\n' && L(ld, ECHONL)))
            echo_char(ld, c);
        commit_line(ld, c);
        return true;
    }
    return false;
}

int ldisc_receive(struct ldisc *ld, unsigned char c, bool *accepted)
{
    *accepted = true;
    if (I(ld, ISTRIP))
        c &= 0x7f;
    if (c == '\r') {
        if (I(ld, IGNCR))
            return 0;
        if (I(ld, ICRNL))
            c = '\n';
    } else if (c == '\n' && I(ld, INLCR)) {
        c = '\r';
    }
    int sig = signal_of(ld, c);
    if (sig) {
        if (!L(ld, NOFLSH)) { /* n_tty flushes both queues before it echoes ^C */
            ld->rq_len = 0;
            ld->nlines = 0;
            ld->line_len = 0;
            ld->oq_len = 0;
        }
        if (L(ld, ECHO))
            echo_char(ld, c);
        return sig;
    }
    bool canon = L(ld, ICANON);
    if (canon && canon_special(ld, c))
        return 0;
    if (!ldisc_input_room(ld)) {
        *accepted = canon; /* a full canonical line drops what does not fit; raw waits */
        return 0;
    }
    if (L(ld, ECHO))
        echo_char(ld, c);
    if (canon)
        ld->line[ld->line_len++] = (char)c;
    else
        ld->rq[ld->rq_len++] = (char)c;
    return 0;
}

size_t ldisc_write(struct ldisc *ld, const char *src, size_t n)
{
    size_t i = 0;
    while (i < n && out_char(ld, src[i]))
        i++;
    return i;
}

bool ldisc_output_room(const struct ldisc *ld)
{
    return ld->oq_len + 2 <= sizeof(ld->oq);
}

bool ldisc_readable(const struct ldisc *ld)
{
    return L(ld, ICANON) ? ld->nlines > 0 : ld->rq_len > 0;
}

size_t ldisc_avail(const struct ldisc *ld)
{
    return L(ld, ICANON) ? (ld->nlines > 0 ? ld->lines[0] : 0) : ld->rq_len;
}

size_t ldisc_read(struct ldisc *ld, char *dst, size_t n)
{
    bool canon = L(ld, ICANON);
    size_t avail = ldisc_avail(ld);
    if (n > avail)
        n = avail;
    memcpy(dst, ld->rq, n);
    memmove(ld->rq, ld->rq + n, ld->rq_len - n);
    ld->rq_len -= n;
    if (canon && ld->nlines > 0) {
        ld->lines[0] -= (uint16_t)n;
        if (ld->lines[0] == 0) { /* the line (or the EOF mark) is used up */
            memmove(ld->lines, ld->lines + 1, (size_t)(ld->nlines - 1) * sizeof(ld->lines[0]));
            ld->nlines--;
        }
    }
    return n;
}

size_t ldisc_read_output(struct ldisc *ld, char *dst, size_t n)
{
    if (n > ld->oq_len)
        n = ld->oq_len;
    memcpy(dst, ld->oq, n);
    memmove(ld->oq, ld->oq + n, ld->oq_len - n);
    ld->oq_len -= n;
    return n;
}

void ldisc_set_termios(struct ldisc *ld, const struct ldisc_termios *tio)
{
    bool was_canon = L(ld, ICANON);
    ld->tio = *tio;
    bool canon = L(ld, ICANON);
    if (was_canon && !canon) {
        /* Raw now: the half-edited line is input like the rest. */
        memcpy(ld->rq + ld->rq_len, ld->line, ld->line_len);
        ld->rq_len += ld->line_len;
        ld->line_len = 0;
        ld->nlines = 0;
    } else if (!was_canon && canon) {
        /* What raw mode queued reads as one line. */
        ld->nlines = 0;
        if (ld->rq_len > 0)
            ld->lines[ld->nlines++] = (uint16_t)ld->rq_len;
    }
}

void ldisc_flush(struct ldisc *ld, bool input, bool output)
{
    if (input) {
        ld->rq_len = 0;
        ld->nlines = 0;
        ld->line_len = 0;
    }
    if (output)
        ld->oq_len = 0;
}
