/* Console I/O: fds 1 and 2 write to the console, fd 0 reads the text of
 * nfos.stdin=... once (else it is empty: end of file). Terminal ioctls get
 * -ENOTTY. Fds from 3 up go to the file area when one registered
 * (syscall_fd_ops_set), else -EBADF. On linuxu all of it is the host's. */
#include <errno.h>
#include <string.h>
#include <nfos/core.h>
#include <nfos/plat/console.h>
#include "syscall_priv.h"

#define IOV_MAX 1024

struct k_iovec {
    void *base;
    size_t len;
};

static struct {
    const struct syscall_fd_ops *ops;
    size_t stdin_off;
} io;

void syscall_fd_ops_set(const struct syscall_fd_ops *ops)
{
    io.ops = ops;
}

static long sys_read(long fd, long buf, long len, long a4, long a5, long a6)
{
    const char *in;
    size_t n;

    if (len < 0)
        return -EINVAL;
    if (fd == 0) {
        in = core_param("nfos.stdin");
        if (!in)
            return 0;
        n = strlen(in) - io.stdin_off;
        n = n < (size_t)len ? n : (size_t)len;
        memcpy((void *)buf, in + io.stdin_off, n);
        io.stdin_off += n;
        return (long)n;
    }
    if (fd >= 3 && io.ops && io.ops->read)
        return io.ops->read((int)fd, (void *)buf, (size_t)len);
    return -EBADF;
}

static long sys_write(long fd, long buf, long len, long a4, long a5, long a6)
{
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
        if ((size_t)r < iov[i].len)
            break;
    }
    return total;
}

static long sys_readv(long fd, long iov, long cnt, long a4, long a5, long a6)
{
    return vector(fd, (const struct k_iovec *)iov, cnt, 0);
}

static long sys_writev(long fd, long iov, long cnt, long a4, long a5, long a6)
{
    return vector(fd, (const struct k_iovec *)iov, cnt, 1);
}

static long sys_ioctl(long fd, long req, long arg, long a4, long a5, long a6)
{
    if (fd >= 0 && fd <= 2)
        return -ENOTTY;
    if (fd >= 3 && io.ops && io.ops->ioctl)
        return io.ops->ioctl((int)fd, (unsigned long)req, arg);
    return -EBADF;
}

static long sys_close(long fd, long a2, long a3, long a4, long a5, long a6)
{
    if (fd >= 0 && fd <= 2)
        return 0;
    if (fd >= 3 && io.ops && io.ops->close)
        return io.ops->close((int)fd);
    return -EBADF;
}

SYSCALL_DEFINE(0, read, sys_read, SYSCALL_F_HOST);
SYSCALL_DEFINE(1, write, sys_write, SYSCALL_F_HOST);
SYSCALL_DEFINE(19, readv, sys_readv, SYSCALL_F_HOST);
SYSCALL_DEFINE(20, writev, sys_writev, SYSCALL_F_HOST);
SYSCALL_DEFINE(16, ioctl, sys_ioctl, SYSCALL_F_HOST);
SYSCALL_DEFINE(3, close, sys_close, SYSCALL_F_HOST);
