/* The guest's COM1 output, passed through to a file descriptor a line at a
 * time: one write(2) per batch that ends a line, never one per byte, and a guest that never
 * ends a line still gets out when the buffer fills or the guest ends.
 * Its input: nfvm's stdin, read only when the guest looks (LSR, RBR) or
 * sleeps on it (idle.c), so a guest that never reads costs nothing. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "nfvm.h"

#define UART_IER      1
#define UART_IIR      2
#define UART_LCR      3
#define UART_MCR      4
#define UART_LSR      5
#define UART_MSR      6
#define UART_SCR      7
#define LSR_DR        0x01
#define LSR_TX_IDLE   0x60 /* transmitter holding and shift registers empty */
#define IIR_NONE      0x01 /* no interrupt pending: nfvm raises none */
#define MSR_CONNECTED 0xb0 /* DCD, DSR, CTS */

void nfvm_console_flush(struct nfvm_console *c)
{
    size_t off = 0;

    while (off < c->len) {
        ssize_t n = write(c->fd, c->buf + off, c->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->lost += c->len - off;
            break;
        }
        off += (size_t)n;
    }
    c->len = 0;
}

void nfvm_console_put(struct nfvm_console *c, const uint8_t *p, size_t n)
{
    int line = 0;

    while (n) {
        size_t room = sizeof(c->buf) - c->len, k = n < room ? n : room;

        line = line || memchr(p, '\n', k);
        memcpy(c->buf + c->len, p, k);
        c->len += k;
        p += k;
        n -= k;
        if (c->len == sizeof(c->buf)) {
            nfvm_console_flush(c);
            line = 0;
        }
    }
    /* Like stdio's line buffering: a batch that ended a line goes out whole. */
    if (line)
        nfvm_console_flush(c);
}

int nfvm_console_rx_ready(struct nfvm_console *c)
{
    struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
    ssize_t n;

    if (c->rx_off < c->rx_len)
        return 1;
    if (!c->input || c->in_fd < 0 || poll(&p, 1, 0) <= 0)
        return 0;
    n = read(c->in_fd, c->rx, sizeof(c->rx));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    c->rx_off = 0;
    if (n <= 0) { /* the end (or a failed stdin): one ^D, then nothing */
        c->in_fd = -1;
        c->rx[0] = NFVM_CONSOLE_EOF;
        n = 1;
    }
    c->rx_len = (unsigned)n;
    return 1;
}

uint8_t nfvm_com1_read(struct nfvm_console *c, unsigned off)
{
    switch (off) {
    case 0:
        if (!nfvm_console_rx_ready(c))
            return 0;
        c->rx_bytes++;
        return c->rx[c->rx_off++];
    case UART_IER:
        return c->ier;
    case UART_IIR:
        return IIR_NONE;
    case UART_LCR:
        return c->lcr;
    case UART_MCR:
        return c->mcr;
    case UART_LSR:
        return (uint8_t)(LSR_TX_IDLE | (nfvm_console_rx_ready(c) ? LSR_DR : 0));
    case UART_MSR:
        return MSR_CONNECTED;
    case UART_SCR:
        return c->scr;
    }
    return 0;
}

void nfvm_com1_write(struct nfvm_console *c, unsigned off, uint8_t v)
{
    switch (off) {
    case UART_IER:
        c->ier = v & 0x0f;
        break;
    case UART_LCR:
        c->lcr = v;
        break;
    case UART_MCR:
        c->mcr = v & 0x1f;
        break;
    case UART_SCR:
        c->scr = v;
        break;
    }
}
