/* The pty line discipline (sentry/fs/devpts/ldisc.c) on its own: what the master types becomes
 * the slave's input (ICRNL, line editing, VEOF, signal characters), echoes and the slave's
 * output reach the master through OPOST/ONLCR, and raw mode passes bytes as they are. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#include "sentry/fs/devpts/ldisc.h"

static struct ldisc ld;
static char buf[LDISC_BUF + 1];

static void setup(void)
{
    ldisc_init(&ld);
}

TestSuite(ldisc, .init = setup);

/* Types s on the master; returns the last signal raised (0 for none). */
static int type(const char *s)
{
    int sig = 0;
    for (; *s; s++) {
        bool accepted;
        int r = ldisc_receive(&ld, (unsigned char)*s, &accepted);
        cr_assert(accepted);
        if (r)
            sig = r;
    }
    return sig;
}

/* What the master reads now, NUL-terminated. */
static const char *master_output(void)
{
    size_t n = ldisc_read_output(&ld, buf, sizeof(buf) - 1);
    buf[n] = 0;
    return buf;
}

static const char *slave_input(size_t max)
{
    size_t n = ldisc_read(&ld, buf, max);
    buf[n] = 0;
    return buf;
}

static void set_lflag(tcflag_t on, tcflag_t off)
{
    struct ldisc_termios tio = ld.tio;
    tio.c_lflag = (tio.c_lflag | on) & ~off;
    ldisc_set_termios(&ld, &tio);
}

Test(ldisc, std_termios_is_linuxs)
{
    cr_assert_eq(ld.tio.c_iflag, ICRNL | IXON);
    cr_assert_eq(ld.tio.c_oflag, OPOST | ONLCR);
    cr_assert_eq(ld.tio.c_cc[VINTR], 3);
    cr_assert_eq(ld.tio.c_cc[VERASE], 0x7f);
    cr_assert_eq(ld.tio.c_cc[VEOF], 4);
    cr_assert_eq(ld.tio.c_cc[VMIN], 1);
}

Test(ldisc, canonical_line_with_echo_icrnl_and_onlcr)
{
    cr_assert_eq(type("ab"), 0);
    cr_assert_not(ldisc_readable(&ld), "no line yet");
    cr_assert_str_eq(master_output(), "ab");
    type("c\r"); /* ICRNL: Enter ends the line as \n */
    cr_assert(ldisc_readable(&ld));
    cr_assert_str_eq(master_output(), "c\r\n"); /* the echoed \n through ONLCR */
    cr_assert_eq(ldisc_avail(&ld), 4);
    cr_assert_str_eq(slave_input(2), "ab"); /* a short read leaves the rest of the line */
    cr_assert_str_eq(slave_input(100), "c\n");
    cr_assert_not(ldisc_readable(&ld));
}

Test(ldisc, a_read_stops_at_the_end_of_a_line)
{
    type("one\ntwo\n");
    cr_assert_str_eq(slave_input(100), "one\n");
    cr_assert_str_eq(slave_input(100), "two\n");
}

Test(ldisc, erase_kill_and_word_erase)
{
    type("abc\x7f"); /* VERASE with ECHOE: the echo is rubbed out */
    cr_assert_str_eq(master_output(), "abc\b \b");
    type("d\x17"); /* VWERASE: the word "abd" */
    master_output();
    type("x y\x15"); /* VKILL with ECHOKE: the whole line */
    cr_assert_str_eq(master_output(), "x y\b \b\b \b\b \b");
    type("ok\n");
    cr_assert_str_eq(slave_input(100), "ok\n");
}

Test(ldisc, veof_ends_a_line_and_alone_reads_as_end_of_file)
{
    type("ab\x04");
    cr_assert_str_eq(master_output(), "ab"); /* ^D is not echoed */
    cr_assert_str_eq(slave_input(100), "ab");
    type("\x04");
    cr_assert(ldisc_readable(&ld));
    cr_assert_eq(ldisc_read(&ld, buf, 100), 0); /* end of file, once */
    cr_assert_not(ldisc_readable(&ld));
}

Test(ldisc, signal_characters_flush_echo_and_raise)
{
    type("partial");
    master_output();
    cr_assert_eq(type("\x03"), SIGINT);
    cr_assert_str_eq(master_output(), "^C");
    type("\n");
    cr_assert_str_eq(slave_input(100), "\n", "the partial line was flushed");
    cr_assert_eq(type("\x1c"), SIGQUIT);
    cr_assert_eq(type("\x1a"), SIGTSTP);
    set_lflag(0, ISIG);
    cr_assert_eq(type("\x03"), 0);
}

Test(ldisc, echo_off_and_echonl)
{
    set_lflag(0, ECHO);
    type("secret\n");
    cr_assert_str_eq(master_output(), "");
    set_lflag(ECHONL, 0);
    type("x\n");
    cr_assert_str_eq(master_output(), "\r\n");
}

Test(ldisc, raw_mode_passes_bytes_and_keeps_the_pending_line)
{
    type("half");
    set_lflag(0, ICANON | ECHO | ISIG);
    cr_assert(ldisc_readable(&ld), "the edited line became input");
    type("\x03\x7f\r");
    struct ldisc_termios tio = ld.tio;
    tio.c_iflag = 0;
    ldisc_set_termios(&ld, &tio);
    type("\r");
    cr_assert_eq(ldisc_read(&ld, buf, sizeof(buf)), 8);
    cr_assert_eq(memcmp(buf, "half\x03\x7f\n\r", 8), 0); /* ICRNL was on for the first \r */
}

Test(ldisc, output_processing)
{
    cr_assert_eq(ldisc_write(&ld, "a\nb", 3), 3);
    cr_assert_str_eq(master_output(), "a\r\nb");
    struct ldisc_termios tio = ld.tio;
    tio.c_oflag = 0;
    ldisc_set_termios(&ld, &tio);
    ldisc_write(&ld, "a\nb", 3);
    cr_assert_str_eq(master_output(), "a\nb");
}

Test(ldisc, full_queues)
{
    static char big[LDISC_OBUF];
    memset(big, 'x', sizeof(big));
    big[0] = '\n';
    cr_assert_eq(ldisc_write(&ld, big, sizeof(big)), LDISC_OBUF - 1, "the \\r\\n took two");
    cr_assert_not(ldisc_output_room(&ld));
    cr_assert_eq(ldisc_write(&ld, "\n", 1), 0, "no room for \\r\\n");
    ldisc_flush(&ld, false, true);
    set_lflag(0, ICANON | ECHO);
    size_t n = 0;
    while (ldisc_input_room(&ld))
        n += ldisc_receive(&ld, 'y', &(bool){false}) == 0;
    cr_assert_eq(n, LDISC_BUF - 1);
    bool accepted = true;
    ldisc_receive(&ld, 'z', &accepted);
    cr_assert_not(accepted, "raw mode waits for room");
}

Test(ldisc, flush)
{
    type("abc\n");
    ldisc_write(&ld, "out", 3);
    ldisc_flush(&ld, true, false);
    cr_assert_not(ldisc_readable(&ld));
    cr_assert_neq(ld.oq_len, 0);
    ldisc_flush(&ld, false, true);
    cr_assert_eq(ld.oq_len, 0);
}

Test(ldisc, many_short_lines_all_count)
{
    for (int i = 0; i < 1000; i++)
        type("\n");
    type("end\n");
    for (int i = 0; i < 1000; i++)
        cr_assert_str_eq(slave_input(100), "\n", "line %d", i);
    cr_assert_str_eq(slave_input(100), "end\n");
}
