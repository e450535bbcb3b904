/* The line discipline of an emulated pseudo-terminal (Linux's n_tty, reduced): what the master
 * writes becomes the slave's input (ICRNL, canonical line editing, echo, signal characters) and
 * what the slave writes becomes the master's output (OPOST/ONLCR). Pure data, no locking: the
 * pty (pty.c) holds its lock around every call, which keeps this unit-testable on its own. */
#ifndef MOAT_FS_DEVPTS_LDISC_H
#define MOAT_FS_DEVPTS_LDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's struct termios (TCGETS/TCSETS*): 36 bytes, not glibc's 60-byte one. */
struct ldisc_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
_Static_assert(sizeof(struct ldisc_termios) == 36, "the x86-64 kernel termios");

/* Linux's N_TTY_BUF_SIZE: the slave's input queue holds this much. */
#define LDISC_BUF 4096
/* The output queue: Linux buffers up to 64 KiB of a pty's writes before the writer waits, and
 * a queue as small as the input's costs a sentry round trip per 4 KiB of bulk output. */
#define LDISC_OBUF 65536

struct ldisc {
    struct ldisc_termios tio;
    char rq[LDISC_BUF]; /* input the slave may read: in canonical mode, complete lines only */
    size_t rq_len;
    uint16_t lines[LDISC_BUF]; /* canonical mode: the lengths of the complete lines in rq (an
                                  EOF line may be empty, so there can be one per byte and one) */
    int nlines;
    char line[LDISC_BUF]; /* canonical mode: the line being edited */
    size_t line_len;
    char oq[LDISC_OBUF]; /* output for the master: the slave's writes and the echoes */
    size_t oq_len;
};

/* A Linux pty slave's first termios: ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO|
 * ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN and the usual control characters (^C ^\ ^? ^U ^D ^Z ...). */
void ldisc_std_termios(struct ldisc_termios *tio);
void ldisc_init(struct ldisc *ld);

/* One byte the master wrote. Returns the signal it raised (SIGINT, SIGQUIT, SIGTSTP with ISIG)
 * or 0; *accepted is false when the input queue is full (raw mode: retry once the slave read). */
int ldisc_receive(struct ldisc *ld, unsigned char c, bool *accepted);
/* Whether one more input byte fits now. */
bool ldisc_input_room(const struct ldisc *ld);

/* The slave writes: output processing into the master's queue. Returns how many bytes of src
 * were taken (fewer when the queue filled up). */
size_t ldisc_write(struct ldisc *ld, const char *src, size_t n);
bool ldisc_output_room(const struct ldisc *ld);

/* Bytes a slave read could return now (canonical mode: what is left of the first line; an
 * empty EOF line counts as readable, see ldisc_readable). */
size_t ldisc_avail(const struct ldisc *ld);
bool ldisc_readable(const struct ldisc *ld);
/* The slave reads up to n bytes (canonical mode: never past the end of a line); 0 with
 * ldisc_readable true before it is end-of-file (VEOF on an empty line). */
size_t ldisc_read(struct ldisc *ld, char *dst, size_t n);

/* The master reads up to n bytes of output. */
size_t ldisc_read_output(struct ldisc *ld, char *dst, size_t n);

/* TCSETS: switching canonical mode off makes the line being edited readable. */
void ldisc_set_termios(struct ldisc *ld, const struct ldisc_termios *tio);
/* TCFLSH from the slave's side: input (the slave's read queue), output, or both. */
void ldisc_flush(struct ldisc *ld, bool input, bool output);

#endif
