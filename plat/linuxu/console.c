/* linuxu console: stdout, through stdio so it interleaves with printf; and
 * stdin, read as it is (a terminal keeps its own line discipline). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include <nfos/plat/console.h>

#define WAIT_MS 100

void plat_console_write(const char *buf, size_t len)
{
    fwrite(buf, 1, len, stdout);
    fflush(stdout);
}

long plat_console_read(char *buf, size_t len)
{
    struct pollfd p = { .fd = 0, .events = POLLIN };
    ssize_t n;

    if (!len || poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & POLLNVAL)
        return -ENODEV;
    n = read(0, buf, len);
    if (n == 0)
        return -ENODEV; /* end of file: nothing will come */
    return n < 0 ? (errno == EAGAIN || errno == EINTR ? 0 : -ENODEV) : n;
}

void plat_console_wait(void)
{
    struct pollfd p = { .fd = 0, .events = POLLIN };

    poll(&p, 1, WAIT_MS);
}
