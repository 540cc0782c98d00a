/* lib/syscall/tty.c on the host: the console's line discipline fed byte by
 * byte, as the console read feeds it what the UART received. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "tty.h"

static struct tty t;
static char echo[TTY_BUF_MAX * TTY_ECHO_MAX];
static size_t echoed;

static void feed(const char *s)
{
    echoed = tty_input(&t, s, strlen(s), echo);
}

/* One read of up to len bytes, as a string ("" at end of file); NULL when
 * the read would wait. */
static const char *rd(size_t len)
{
    static char out[TTY_BUF_MAX + 1];
    long n = tty_read(&t, out, len);

    if (n == -EAGAIN)
        return NULL;
    cr_assert(n >= 0 && (size_t)n <= len, "read returned %ld", n);
    out[n] = '\0';
    return out;
}

static void raw(int vmin)
{
    struct tty_termios tio;

    cr_assert_eq(tty_ioctl(&t, TCGETS, &tio), 0);
    tio.c_lflag &= ~(uint32_t)(ICANON | ECHO | ISIG);
    tio.c_cc[VMIN] = (uint8_t)vmin;
    cr_assert_eq(tty_ioctl(&t, TCSETS, &tio), 0);
}

static void setup(void)
{
    tty_init(&t);
}

TestSuite(tty, .init = setup);

Test(tty, canonical_line_waits_for_the_newline_and_echoes)
{
    feed("show");
    cr_assert_null(rd(100));
    cr_assert_eq(echoed, 4);
    feed(" port\r"); /* Enter on a raw host terminal: ICRNL */
    cr_assert_eq(memcmp(echo, " port\n", 6), 0);
    cr_assert_str_eq(rd(100), "show port\n");
    cr_assert_null(rd(100));
}

Test(tty, one_line_per_read_and_short_reads_keep_the_rest)
{
    feed("ab\ncd\n");
    cr_assert_str_eq(rd(1), "a");
    cr_assert_str_eq(rd(100), "b\n");
    cr_assert_str_eq(rd(100), "cd\n");
    cr_assert_null(rd(100));
}

Test(tty, erase_and_kill_edit_the_line)
{
    feed("sx\177how\b\b\bhow\n");
    cr_assert_str_eq(rd(100), "show\n");
    feed("junk\025ok\n"); /* ^U kills the line */
    cr_assert_str_eq(rd(100), "ok\n");
    feed("\177"); /* nothing to erase: nothing echoed */
    cr_assert_eq(echoed, 0);
}

Test(tty, erase_echoes_backspace_space_backspace)
{
    feed("a\177");
    cr_assert_eq(echoed, 4);
    cr_assert_eq(memcmp(echo, "a\b \b", 4), 0);
}

Test(tty, eof_on_an_empty_line_is_end_of_file_mid_line_ends_the_line)
{
    feed("ab\004");
    cr_assert_str_eq(rd(100), "ab"); /* not the end of file yet */
    cr_assert_null(rd(100));
    feed("\004");
    cr_assert_str_eq(rd(100), "");
    cr_assert_null(rd(100)); /* one end of file per ^D */
    feed("x\n\004");
    cr_assert_str_eq(rd(100), "x\n");
    cr_assert_str_eq(rd(100), "");
}

Test(tty, control_characters_echo_as_caret)
{
    feed("\001");
    cr_assert_eq(echoed, 2);
    cr_assert_eq(memcmp(echo, "^A", 2), 0);
}

Test(tty, no_echo_when_echo_is_off)
{
    struct tty_termios tio;

    tty_ioctl(&t, TCGETS, &tio);
    tio.c_lflag &= ~(uint32_t)ECHO;
    tty_ioctl(&t, TCSETS, &tio);
    feed("secret\n");
    cr_assert_eq(echoed, 0);
    cr_assert_str_eq(rd(100), "secret\n");
}

Test(tty, raw_mode_gives_what_arrived_byte_by_byte)
{
    raw(1);
    cr_assert_null(rd(1));
    feed("q\177\004\r"); /* no editing, ^D is data; ICRNL still maps */
    cr_assert_eq(echoed, 0);
    cr_assert_str_eq(rd(1), "q");
    cr_assert_str_eq(rd(1), "\177");
    cr_assert_str_eq(rd(10), "\004\n");
    cr_assert_null(rd(1));
}

Test(tty, vmin_0_reads_return_0_when_nothing_arrived)
{
    raw(0);
    cr_assert_str_eq(rd(10), "");
}

Test(tty, going_raw_makes_the_edited_line_readable)
{
    feed("abc");
    raw(1);
    cr_assert_str_eq(rd(10), "abc");
}

Test(tty, a_full_line_keeps_room_for_its_newline_and_counts_drops)
{
    static char big[TTY_BUF_MAX + 11];

    memset(big, 'x', sizeof(big) - 1);
    feed(big);
    cr_assert_eq(t.dropped, sizeof(big) - 1 - (TTY_BUF_MAX - 1));
    feed("\n");
    const char *line = rd(TTY_BUF_MAX);
    cr_assert_eq(strlen(line), TTY_BUF_MAX);
    cr_assert_eq(line[TTY_BUF_MAX - 1], '\n');
}

Test(tty, too_many_lines_drop_the_newline_not_the_data)
{
    int i;

    for (i = 0; i < TTY_LINES_MAX; i++)
        feed("\n");
    feed("z\n");
    cr_assert_eq(t.dropped, 1);
    for (i = 0; i < TTY_LINES_MAX; i++)
        cr_assert_str_eq(rd(10), "\n");
    cr_assert_null(rd(10)); /* "z" is still being edited */
    feed("\n");
    cr_assert_str_eq(rd(10), "z\n");
}

Test(tty, ioctls)
{
    struct {
        uint16_t r, c, x, y;
    } ws = { 1, 2, 3, 4 };
    int n = -1;

    cr_assert_eq(tty_ioctl(&t, TIOCGWINSZ, &ws), 0);
    cr_assert(ws.r == 0 && ws.c == 0); /* a serial line does not know */
    ws.r = 50, ws.c = 132;
    cr_assert_eq(tty_ioctl(&t, TIOCSWINSZ, &ws), 0);
    memset(&ws, 0, sizeof(ws));
    tty_ioctl(&t, TIOCGWINSZ, &ws);
    cr_assert(ws.r == 50 && ws.c == 132);
    feed("ab\ncd");
    cr_assert_eq(tty_ioctl(&t, FIONREAD, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(tty_ioctl(&t, TCFLSH, (void *)(uintptr_t)TCIFLUSH), 0);
    cr_assert_null(rd(10));
    cr_assert_eq(tty_ioctl(&t, TCFLSH, (void *)(uintptr_t)7), -EINVAL);
    cr_assert_eq(tty_ioctl(&t, 0x5409 /* TCSBRK */, &n), -ENOTTY);
    cr_assert_eq(tty_ioctl(&t, TCGETS, NULL), -EFAULT);
}

Test(tty, defaults_are_linux_s)
{
    struct tty_termios tio;

    tty_ioctl(&t, TCGETS, &tio);
    cr_assert_eq(tio.c_lflag & (ICANON | ECHO | ISIG), ICANON | ECHO | ISIG);
    cr_assert(tio.c_iflag & ICRNL);
    cr_assert_eq(tio.c_cc[VEOF], 4);
    cr_assert_eq(tio.c_cc[VERASE], 0177);
    cr_assert_eq(tio.c_cc[VMIN], 1);
}
