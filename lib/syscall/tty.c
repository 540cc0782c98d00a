/* The console's line discipline, a small n_tty: input mapping (ICRNL,
 * INLCR, IGNCR, ISTRIP), canonical lines with VERASE (and ^H), VKILL,
 * VEOF and VEOL, echo (ECHO, ECHOE, ECHOK, ECHONL, ECHOCTL), and
 * non-canonical reads of whatever arrived (VMIN 0 or not; VTIME is not
 * kept). Not here: signals (ISIG's characters are data; a host terminal
 * turns ^C into the host's SIGINT before the guest sees it), VWERASE,
 * VREPRINT, VLNEXT, flow control, output processing (the host terminal
 * does ONLCR). */
#define _GNU_SOURCE /* ECHOCTL, ECHOKE */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "tty.h"

struct tty_winsize {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

void tty_init(struct tty *t)
{
    static const uint8_t cc[TTY_NCCS] = {
        [VINTR] = 003,    [VQUIT] = 034,   [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
        [VMIN] = 1,       [VSTART] = 021,  [VSTOP] = 023,   [VSUSP] = 032, [VREPRINT] = 022,
        [VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026,
    };

    memset(t, 0, sizeof(*t));
    t->tio.c_iflag = ICRNL | IXON;
    t->tio.c_oflag = OPOST | ONLCR;
    t->tio.c_cflag = B38400 | CS8 | CREAD | HUPCL;
    t->tio.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    memcpy(t->tio.c_cc, cc, sizeof(cc));
}

/* Bytes of buf in complete lines (ICANON). */
static size_t held(const struct tty *t)
{
    size_t n = 0;
    unsigned i;

    for (i = 0; i < t->nlines; i++)
        n += t->lines[i];
    return n;
}

size_t tty_room(const struct tty *t)
{
    return TTY_BUF_MAX - t->len;
}

static int is_cc(const struct tty *t, unsigned i, char c)
{
    return t->tio.c_cc[i] && (uint8_t)c == t->tio.c_cc[i]; /* 0: disabled */
}

static size_t echo_char(const struct tty *t, char c, char *e)
{
    uint32_t lf = t->tio.c_lflag;

    if (!(lf & ECHO)) {
        if (c == '\n' && (lf & ECHONL) && (lf & ICANON)) {
            e[0] = '\n';
            return 1;
        }
        return 0;
    }
    if ((lf & ECHOCTL) && ((uint8_t)c < 0x20 || c == 0x7f) && c != '\n' && c != '\t') {
        e[0] = '^';
        e[1] = (char)(c ^ 0x40);
        return 2;
    }
    e[0] = c;
    return 1;
}

/* Ends the line being edited (lines full: the byte that ended it is
 * dropped and the line stays open). */
static int line_end(struct tty *t)
{
    if (t->nlines == TTY_LINES_MAX) {
        t->dropped++;
        return -1;
    }
    t->lines[t->nlines++] = (uint16_t)(t->len - held(t));
    return 0;
}

/* One byte in canonical mode. */
static size_t canon_byte(struct tty *t, char c, char *e)
{
    size_t edit = t->len - held(t);
    uint32_t lf = t->tio.c_lflag;

    if (is_cc(t, VERASE, c) || c == '\b') {
        if (!edit)
            return 0;
        t->len--;
        if ((lf & ECHO) && (lf & ECHOE)) {
            memcpy(e, "\b \b", 3);
            return 3;
        }
        return echo_char(t, c, e);
    }
    if (is_cc(t, VKILL, c)) {
        size_t n = echo_char(t, c, e);

        t->len -= edit;
        if ((lf & ECHO) && (lf & ECHOK))
            e[n++] = '\n';
        return n;
    }
    if (is_cc(t, VEOF, c)) {
        line_end(t); /* not kept, not echoed; on an empty line: end of file */
        return 0;
    }
    if (c == '\n' || is_cc(t, VEOL, c)) {
        if (!tty_room(t)) {
            t->dropped++;
            return 0;
        }
        t->buf[t->len++] = c;
        if (line_end(t)) {
            t->len--;
            return 0;
        }
        return echo_char(t, c, e);
    }
    if (tty_room(t) <= 1) { /* the last byte is kept for the newline */
        t->dropped++;
        return 0;
    }
    t->buf[t->len++] = c;
    return echo_char(t, c, e);
}

static size_t input_byte(struct tty *t, char c, char *e)
{
    uint32_t ifl = t->tio.c_iflag;

    if (ifl & ISTRIP)
        c = (char)(c & 0x7f);
    if (c == '\r') {
        if (ifl & IGNCR)
            return 0;
        if (ifl & ICRNL)
            c = '\n';
    } else if (c == '\n' && (ifl & INLCR)) {
        c = '\r';
    }
    if (t->tio.c_lflag & ICANON)
        return canon_byte(t, c, e);
    if (!tty_room(t)) {
        t->dropped++;
        return 0;
    }
    t->buf[t->len++] = c;
    return echo_char(t, c, e);
}

size_t tty_input(struct tty *t, const char *in, size_t n, char *echo)
{
    size_t i, e = 0;

    for (i = 0; i < n; i++)
        e += input_byte(t, in[i], echo + e);
    return e;
}

/* Moves the first n bytes of buf to out. */
static void take(struct tty *t, char *out, size_t n)
{
    memcpy(out, t->buf, n);
    memmove(t->buf, t->buf + n, t->len - n);
    t->len -= n;
}

long tty_read(struct tty *t, char *out, size_t len)
{
    size_t n;

    if (t->tio.c_lflag & ICANON) {
        if (!t->nlines)
            return -EAGAIN;
        n = len < t->lines[0] ? len : t->lines[0];
        take(t, out, n);
        t->lines[0] = (uint16_t)(t->lines[0] - n);
        if (!t->lines[0] || !n) {
            t->nlines--;
            memmove(t->lines, t->lines + 1, t->nlines * sizeof(t->lines[0]));
        }
        return (long)n;
    }
    if (!t->len)
        return t->tio.c_cc[VMIN] ? -EAGAIN : 0;
    n = len < t->len ? len : t->len;
    take(t, out, n);
    return (long)n;
}

long tty_ioctl(struct tty *t, unsigned long req, void *arg)
{
    if (!arg && req != TCFLSH)
        return -EFAULT;
    switch (req) {
    case TCGETS:
        memcpy(arg, &t->tio, sizeof(t->tio));
        return 0;
    case TCSETSF:
        t->len = 0;
        /* fall through */
    case TCSETS:
    case TCSETSW:
        memcpy(&t->tio, arg, sizeof(t->tio));
        t->nlines = 0; /* a mode change: what is held is all readable, or all being edited */
        return 0;
    case TIOCGWINSZ:
        memcpy(arg, &(struct tty_winsize){ t->ws_row, t->ws_col, 0, 0 },
               sizeof(struct tty_winsize));
        return 0;
    case TIOCSWINSZ: {
        struct tty_winsize w;

        memcpy(&w, arg, sizeof(w));
        t->ws_row = w.ws_row;
        t->ws_col = w.ws_col;
        return 0;
    }
    case TCFLSH:
        if ((long)(uintptr_t)arg == TCIFLUSH || (long)(uintptr_t)arg == TCIOFLUSH) {
            t->len = 0;
            t->nlines = 0;
        } else if ((long)(uintptr_t)arg != TCOFLUSH) {
            return -EINVAL;
        }
        return 0;
    case FIONREAD: {
        int n = (int)(t->tio.c_lflag & ICANON ? held(t) : t->len);

        memcpy(arg, &n, sizeof(n));
        return 0;
    }
    default:
        return -ENOTTY;
    }
}
