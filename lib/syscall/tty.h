/* The console's line discipline (tty.c), kept apart from any device so that
 * unit tests drive it byte by byte. lib/syscall internal. */
#ifndef SYSCALL_TTY_H
#define SYSCALL_TTY_H

#include <stddef.h>
#include <stdint.h>

#define TTY_NCCS      19   /* the kernel's struct termios, not libc's */
#define TTY_BUF_MAX   1024 /* bytes held: complete lines, then the one edited */
#define TTY_LINES_MAX 64   /* complete lines (and ends of file) not read yet */
#define TTY_ECHO_MAX  4    /* echo bytes one input byte may cause, at most */

/* struct termios as TCGETS/TCSETS pass it (asm-generic/termbits.h). */
struct tty_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[TTY_NCCS];
};

struct tty {
    struct tty_termios tio;
    char buf[TTY_BUF_MAX];
    size_t len; /* bytes in buf */
    /* ICANON: lengths of the complete lines at the start of buf, oldest
     * first; 0 is an end of file (VEOF on an empty line). */
    uint16_t lines[TTY_LINES_MAX];
    unsigned nlines;
    uint16_t ws_row, ws_col; /* TIOCSWINSZ's, else 0 x 0 (a serial line) */
    uint64_t dropped;        /* input bytes thrown away: buf or lines full */
};

/* Linux's defaults for a fresh terminal: ICANON, ECHO, ICRNL; VMIN 1. */
void tty_init(struct tty *t);

/* Free bytes in buf: how many the caller may take from the device now. */
size_t tty_room(const struct tty *t);

/* Takes n input bytes; writes what they echo to echo (room for
 * TTY_ECHO_MAX * n bytes) and returns its length. A byte with no room is
 * dropped and counted. */
size_t tty_input(struct tty *t, const char *in, size_t n, char *echo);

/* What a read may return now: a count > 0, 0 for end of file (ICANON: VEOF
 * on an empty line; else VMIN 0 and nothing held), or -EAGAIN (wait for
 * more input). ICANON returns one line at most. */
long tty_read(struct tty *t, char *out, size_t len);

/* The terminal ioctls: TCGETS, TCSETS(W,F), TIOCGWINSZ, TIOCSWINSZ,
 * TCFLSH, FIONREAD; 0, -EINVAL or -ENOTTY (any other request). */
long tty_ioctl(struct tty *t, unsigned long req, void *arg);

#endif /* SYSCALL_TTY_H */
