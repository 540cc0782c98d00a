/* linuxu's initrd: the file nfos.initrd=PATH names, mapped read-only at the
 * first call. Host system calls are made directly: in a musl image every
 * libc open() lands in lib/syscall, whose file calls are what read this
 * tree, so the libc cannot be used to fetch it. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <nfos/core.h>
#include <nfos/plat/console.h>
#include <nfos/plat/initrd.h>

#define AT_FDCWD_ (-100)
#define O_RDONLY_ 0
#define SEEK_END_ 2

static struct {
    int done, err;
    const void *data;
    size_t len;
} rd;

static long host(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4, r8 __asm__("r8") = a5, r9 __asm__("r9") = a6;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static void say(const char *a, const char *b, const char *c)
{
    plat_console_write(a, __builtin_strlen(a));
    plat_console_write(b, __builtin_strlen(b));
    plat_console_write(c, __builtin_strlen(c));
}

static int initrd_map(const char *path)
{
    long fd, len, p;

    fd = host(SYS_openat, AT_FDCWD_, (long)path, O_RDONLY_, 0, 0, 0);
    if (fd < 0) {
        say("nfos: cannot open the initrd ", path, " (nfos.initrd)\n");
        return (int)fd;
    }
    len = host(SYS_lseek, fd, 0, SEEK_END_, 0, 0, 0);
    p = len > 0 ? host(SYS_mmap, 0, len, PROT_READ, MAP_PRIVATE, fd, 0) : len;
    host(SYS_close, fd, 0, 0, 0, 0, 0);
    if (len == 0) {
        rd.data = "";
        return 0;
    }
    if (p < 0 && p > -4096) {
        say("nfos: cannot map the initrd ", path, " (nfos.initrd)\n");
        return (int)p;
    }
    rd.data = (const void *)p;
    rd.len = (size_t)len;
    return 0;
}

int plat_initrd(const void **data, size_t *len)
{
    const char *path;

    if (!rd.done) {
        rd.done = 1;
        path = core_param("nfos.initrd");
        rd.err = path && *path ? initrd_map(path) : -ENOENT;
    }
    if (rd.err)
        return rd.err;
    *data = rd.data;
    *len = rd.len;
    return 0;
}
