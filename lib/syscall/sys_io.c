/* Console I/O: fds 1 and 2 write to the console; fd 0 reads the text of
 * nfos.stdin=... first, then what the console receives, through a line
 * discipline (tty.c: a terminal in canonical mode with echo until the app
 * says otherwise; VEOF, ^D, on an empty line is the end of file). A read
 * that finds nothing waits for the console (plat_console_wait: a halt
 * until the UART's interrupt on kvm) without holding the call lock, and
 * returns at the end of a line (canonical) or once what arrived is taken
 * (not). A console with no input (nfvm) ends at nfos.stdin's end. fds 0-2
 * answer the terminal ioctls (isatty is true). Fds from 3 up go to the
 * file area when one registered (syscall_fd_ops_set), else -EBADF. On
 * linuxu all of it is the host's, except the descriptors a file area holds
 * (lib/cpiofs's tree, sys_file.c): with one linked, these calls ask it
 * first. */
#include <errno.h>
#include <string.h>
#include <nfos/core.h>
#include <nfos/plat/console.h>
#include "syscall_priv.h"
#include "tty.h"

#define IOV_MAX  1024
#define IN_CHUNK 64
/* A reader that shares its lcore looks at the console this often. */
#define CONSOLE_POLL_NS 1000000ULL

struct k_iovec {
    void *base;
    size_t len;
};

static struct {
    const struct syscall_fd_ops *ops;
    size_t stdin_off;
    int tty_ready;
    struct tty tty;
} io;

void syscall_fd_ops_set(const struct syscall_fd_ops *ops)
{
    io.ops = ops;
}

#if CONFIG_PLAT_LINUXU && CONFIG_LIBCPIOFS
#define IO_FLAGS 0
/* The host's descriptor, unless the file area holds fd: then return. */
#define IO_HOST(n, fd, a2, a3)                                    \
    do {                                                          \
        if (!io.ops || !io.ops->owns || !io.ops->owns((int)(fd))) \
            return syscall_host((n), (fd), (a2), (a3), 0, 0, 0);  \
    } while (0)
#else
#define IO_FLAGS               SYSCALL_F_HOST
#define IO_HOST(n, fd, a2, a3) ((void)0)
#endif

#if !CONFIG_PLAT_LINUXU
static struct tty *tty(void)
{
    if (!io.tty_ready) {
        tty_init(&io.tty);
        io.tty_ready = 1;
    }
    return &io.tty;
}

/* What fd 0 has now (call lock held): nfos.stdin's rest, else what the
 * line discipline gives after taking all the console holds (echoing it).
 * -EAGAIN: wait; *nodev: the console has no input. */
static long console_take(char *buf, size_t len, int *nodev)
{
    const char *text = core_param("nfos.stdin");
    char in[IN_CHUNK], echo[IN_CHUNK * TTY_ECHO_MAX];
    size_t n = text ? strlen(text) - io.stdin_off : 0;
    long got;

    if (n) {
        n = n < len ? n : len;
        memcpy(buf, text + io.stdin_off, n);
        io.stdin_off += n;
        return (long)n;
    }
    do {
        n = tty_room(tty()) < IN_CHUNK ? tty_room(tty()) : IN_CHUNK;
        got = n ? plat_console_read(in, n) : 0;
        if (got > 0 && (n = tty_input(tty(), in, (size_t)got, echo)))
            plat_console_write(echo, n);
    } while (got == IN_CHUNK);
    *nodev = got < 0;
    return tty_read(tty(), buf, len);
}

static void console_wait(void)
{
    if (sched_alone())
        plat_console_wait();
    else
        sched_sleep_until(syscall_now_ns() + CONSOLE_POLL_NS);
}

static long console_read(char *buf, long len)
{
    int nodev = 0, taken;
    long r;

    if (len <= 0)
        return len ? -EINVAL : 0;
    for (;;) {
        taken = syscall_lock();
        r = console_take(buf, (size_t)len, &nodev);
        syscall_unlock(taken);
        if (r != -EAGAIN)
            return r;
        if (nodev)
            return 0;
        console_wait();
    }
}
#endif

/* Files and, on linuxu, the host's descriptors (call lock held). */
static long read_locked(long fd, long buf, long len)
{
    IO_HOST(0, fd, buf, len);
    if (len < 0)
        return -EINVAL;
    if (fd >= 3 && io.ops && io.ops->read)
        return io.ops->read((int)fd, (void *)buf, (size_t)len);
    return -EBADF;
}

/* Without the call lock (SYSCALL_F_NOLOCK): the console's read may wait. */
static long sys_read(long fd, long buf, long len, long a4, long a5, long a6)
{
    int taken;
    long r;

    if (fd == 0)
#if CONFIG_PLAT_LINUXU
        return syscall_host(0, fd, buf, len, 0, 0, 0);
#else
        return console_read((char *)buf, len);
#endif
    taken = syscall_lock();
    r = read_locked(fd, buf, len);
    syscall_unlock(taken);
    return r;
}

static long sys_write(long fd, long buf, long len, long a4, long a5, long a6)
{
    IO_HOST(1, fd, buf, len);
    if (len < 0)
        return -EINVAL;
    if (fd == 1 || fd == 2) {
        plat_console_write((const char *)buf, (size_t)len);
        return len;
    }
    if (fd >= 3 && io.ops && io.ops->write)
        return io.ops->write((int)fd, (const void *)buf, (size_t)len);
    return -EBADF;
}

/* readv/writev as a loop of read/write, stopping at a short transfer. */
static long vector(long fd, const struct k_iovec *iov, long cnt, int wr)
{
    long total = 0, r;
    long i;

    if (cnt < 0 || cnt > IOV_MAX)
        return -EINVAL;
    for (i = 0; i < cnt; i++) {
        if (!iov[i].len)
            continue;
        r = wr ? sys_write(fd, (long)iov[i].base, (long)iov[i].len, 0, 0, 0)
               : sys_read(fd, (long)iov[i].base, (long)iov[i].len, 0, 0, 0);
        if (r < 0)
            return total ? total : r;
        total += r;
        /* The console gives a line or what arrived: the next piece
         * would wait for more. */
        if ((size_t)r < iov[i].len || (!wr && fd == 0))
            break;
    }
    return total;
}

static long sys_readv(long fd, long iov, long cnt, long a4, long a5, long a6)
{
    IO_HOST(19, fd, iov, cnt);
    return vector(fd, (const struct k_iovec *)iov, cnt, 0);
}

static long sys_writev(long fd, long iov, long cnt, long a4, long a5, long a6)
{
    IO_HOST(20, fd, iov, cnt);
    return vector(fd, (const struct k_iovec *)iov, cnt, 1);
}

static long sys_ioctl(long fd, long req, long arg, long a4, long a5, long a6)
{
    IO_HOST(16, fd, req, arg);
#if !CONFIG_PLAT_LINUXU
    if (fd >= 0 && fd <= 2)
        return tty_ioctl(tty(), (unsigned long)req, (void *)arg);
#endif
    if (fd >= 3 && io.ops && io.ops->ioctl)
        return io.ops->ioctl((int)fd, (unsigned long)req, arg);
    return -EBADF;
}

static long sys_close(long fd, long a2, long a3, long a4, long a5, long a6)
{
    IO_HOST(3, fd, a2, a3);
    if (fd >= 0 && fd <= 2)
        return 0;
    if (fd >= 3 && io.ops && io.ops->close)
        return io.ops->close((int)fd);
    return -EBADF;
}

SYSCALL_DEFINE(0, read, sys_read, IO_FLAGS | SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(1, write, sys_write, IO_FLAGS);
SYSCALL_DEFINE(19, readv, sys_readv, IO_FLAGS | SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(20, writev, sys_writev, IO_FLAGS);
SYSCALL_DEFINE(16, ioctl, sys_ioctl, IO_FLAGS);
SYSCALL_DEFINE(3, close, sys_close, IO_FLAGS);
