/* lib/syscall/sys_file.c on the host: the file calls over a cpio tree built
 * here (lib/cpiofs's test writer), reached through the nfos_syscalls linker
 * set by number, as nfos_syscall6 would. plat_initrd, syscall_say and
 * syscall_fd_ops_set are fakes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nfos/cpiofs.h>
#include <nfos/syscall.h>
#include "../../cpiofs/tests/cpio_build.h"

extern const struct syscall_entry __start_nfos_syscalls[], __stop_nfos_syscalls[];

static struct cpio_buf rd;
static int rd_given;
static char said[512];
static const struct syscall_fd_ops *fd_ops;

int plat_initrd(const void **data, size_t *len)
{
    if (!rd_given)
        return -ENOENT;
    *data = rd.b;
    *len = rd.n;
    return 0;
}

void syscall_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(said + strlen(said), sizeof(said) - strlen(said), fmt, ap);
    va_end(ap);
}

void syscall_fd_ops_set(const struct syscall_fd_ops *ops)
{
    fd_ops = ops;
}

static long sc(unsigned nr, long a1, long a2, long a3, long a4)
{
    const struct syscall_entry *e;

    for (e = __start_nfos_syscalls; e < __stop_nfos_syscalls; e++)
        if (e->nr == nr)
            return e->fn(a1, a2, a3, a4, 0, 0);
    cr_assert_fail("system call %u not defined", nr);
    return -1;
}

#define OPEN(p, fl)    sc(2, (long)(p), (fl), 0, 0)
#define READ(fd, b, n) fd_ops->read((int)(fd), (b), (n))
#define CLOSE(fd)      fd_ops->close((int)(fd))

/* One tree for the whole binary: sys_file.c mounts at its first call. */
static void tree(void)
{
    static int built;

    if (built)
        return;
    built = 1;
    cpio_add(&rd, ".", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_add(&rd, "etc", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_add(&rd, "etc/hello.txt", CPIOFS_S_IFREG | 0644, "hello, tree\n", 12);
    cpio_add(&rd, "etc/run.sh", CPIOFS_S_IFREG | 0755, "#!\n", 3);
    cpio_add(&rd, "etc/sub", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_trailer(&rd);
    rd_given = 1;
}

TestSuite(file, .init = tree);

Test(file, open_read_seek_close)
{
    char buf[32] = { 0 };
    long fd = OPEN("/etc/hello.txt", O_RDONLY | O_CLOEXEC);

    cr_assert_geq(fd, 3);
    cr_assert_not_null(fd_ops);
    cr_assert_eq(READ(fd, buf, 5), 5);
    cr_assert(!memcmp(buf, "hello", 5));
    cr_assert_eq(sc(8, fd, 0, SEEK_CUR, 0), 5);
    cr_assert_eq(sc(8, fd, -4, SEEK_END, 0), 8);
    cr_assert_eq(READ(fd, buf, sizeof(buf)), 4);
    cr_assert_eq(READ(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(sc(8, fd, -1, SEEK_SET, 0), -EINVAL);
    cr_assert_eq(sc(8, fd, 0, 9, 0), -EINVAL);
    cr_assert_eq(sc(17, fd, (long)buf, 4, 7), 4);
    cr_assert(!memcmp(buf, "tree", 4));
    cr_assert_eq(sc(17, fd, (long)buf, 4, 100), 0);
    cr_assert_eq(sc(72, fd, F_GETFD, 0, 0), FD_CLOEXEC);
    cr_assert_eq(fd_ops->write((int)fd, "x", 1), -EBADF);
    cr_assert_eq(CLOSE(fd), 0);
    cr_assert_eq(CLOSE(fd), -EBADF);
    cr_assert_eq(READ(fd, buf, 1), -EBADF);
}

Test(file, stat_and_access)
{
    struct stat st;
    long fd;

    cr_assert_eq(sc(4, (long)"etc/hello.txt", (long)&st, 0, 0), 0);
    cr_assert_eq(st.st_size, 12);
    cr_assert(S_ISREG(st.st_mode));
    cr_assert_eq(sc(4, (long)"/etc", (long)&st, 0, 0), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(sc(4, (long)"/nope", (long)&st, 0, 0), -ENOENT);
    cr_assert_eq(sc(4, (long)"", (long)&st, 0, 0), -ENOENT);
    fd = OPEN("/etc", O_RDONLY | O_DIRECTORY);
    cr_assert_geq(fd, 3);
    cr_assert_eq(sc(262, fd, (long)"run.sh", (long)&st, 0), 0); /* relative to a dirfd */
    cr_assert_eq(st.st_size, 3);
    cr_assert_eq(sc(262, fd, (long)"", (long)&st, 0x1000), 0); /* AT_EMPTY_PATH */
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(sc(5, 1, (long)&st, 0, 0), 0);
    cr_assert(S_ISCHR(st.st_mode));
    cr_assert_eq(sc(5, 99, (long)&st, 0, 0), -EBADF);
    cr_assert_eq(sc(21, (long)"/etc/run.sh", X_OK, 0, 0), 0);
    cr_assert_eq(sc(21, (long)"/etc/hello.txt", X_OK, 0, 0), -EACCES);
    cr_assert_eq(sc(21, (long)"/etc/hello.txt", W_OK, 0, 0), -EROFS);
    cr_assert_eq(sc(21, (long)"/etc/gone", R_OK, 0, 0), -ENOENT);
    CLOSE(fd);
}

Test(file, writes_are_erofs)
{
    cr_assert_eq(OPEN("/etc/hello.txt", O_WRONLY), -EROFS);
    cr_assert_eq(OPEN("/etc/hello.txt", O_RDONLY | O_TRUNC), -EROFS);
    cr_assert_eq(OPEN("/etc/new", O_WRONLY | O_CREAT), -EROFS);
    cr_assert_eq(OPEN("/etc/none", O_WRONLY), -ENOENT);            /* no O_CREAT: it is missing */
    cr_assert_eq(sc(87, (long)"/etc/hello.txt", 0, 0, 0), -EROFS); /* unlink */
    cr_assert_eq(sc(83, (long)"/x", 0755, 0, 0), -EROFS);          /* mkdir */
}

Test(file, directories)
{
    char buf[256], *p;
    long fd = OPEN("/etc", O_RDONLY), n;
    int count = 0;
    char names[64] = "";

    cr_assert_geq(fd, 3);
    cr_assert_eq(READ(fd, buf, 1), -EISDIR);
    cr_assert_eq(sc(217, fd, (long)buf, 8, 0), -EINVAL); /* no room for one */
    while ((n = sc(217, fd, (long)buf, 40, 0)) > 0) {    /* one or two at a time */
        for (p = buf; p < buf + n; p += ((struct dirent64 *)p)->d_reclen) {
            strcat(names, ((struct dirent64 *)p)->d_name);
            strcat(names, ((struct dirent64 *)p)->d_type == DT_DIR ? "/ " : " ");
            count++;
        }
    }
    cr_assert_eq(n, 0);
    cr_assert_str_eq(names, "hello.txt run.sh sub/ ");
    cr_assert_eq(sc(8, fd, 0, SEEK_SET, 0), 0); /* rewinddir */
    cr_assert_gt(sc(217, fd, (long)buf, sizeof(buf), 0), 0);
    cr_assert_eq(sc(8, fd, 3, SEEK_SET, 0), -EINVAL);
    CLOSE(fd);
    cr_assert_eq(OPEN("/etc/hello.txt", O_RDONLY | O_DIRECTORY), -ENOTDIR);
    fd = OPEN("/etc/hello.txt", O_RDONLY);
    cr_assert_eq(sc(217, fd, (long)buf, sizeof(buf), 0), -ENOTDIR);
    CLOSE(fd);
}

Test(file, descriptors_run_out)
{
    long fds[64], fd;
    int i, n = 0;

    while ((fd = OPEN("/etc/hello.txt", O_RDONLY)) >= 0)
        fds[n++] = fd;
    cr_assert_eq(fd, -EMFILE);
    cr_assert_eq(n, 32);
    for (i = 0; i < n; i++)
        cr_assert_eq(CLOSE(fds[i]), 0);
    cr_assert_geq(OPEN("/etc/hello.txt", O_RDONLY), 3);
}

Test(file, bad_archive_is_one_line_and_no_files, .init = NULL)
{
    memcpy(rd.b, "junk!!", 6);
    rd.n = 200;
    rd_given = 1;
    cr_assert_eq(OPEN("/etc/hello.txt", O_RDONLY), -ENOENT);
    cr_assert_eq(OPEN("/etc/hello.txt", O_RDONLY), -ENOENT);
    cr_assert_str_eq(said, "nfos: the initrd is not a usable cpio archive: bad magic (not a "
                           "newc cpio archive) at byte 0; no files\n");
}
