/* Files: the image's initrd (a cpio archive, plat_initrd()) as a read-only
 * tree through lib/cpiofs, mounted at the first file call. open, openat,
 * read, pread64, lseek, close, fstat, stat, lstat, newfstatat, getdents64,
 * access, faccessat(2), fcntl; every call that would write to the tree
 * returns -EROFS. The working directory is "/", symlinks are not followed
 * (opening one: -ELOOP), getdents64 lists no "." or "..". Descriptors 0-2
 * stay the console's (sys_io.c).
 *
 * linuxu gets the same tree from nfos.initrd=PATH; what the tree does not
 * hold (a path it lacks, a descriptor not its own, everything when no tree
 * was given) is the host's, as the platform and drivers need (sysfs, tun)
 * and as a Linux process expects; but creating a file in a directory the
 * tree lists is -EROFS there too. Each descriptor of ours holds a host
 * descriptor of /dev/null so that the numbers never collide. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nfos/cpiofs.h>
#include <nfos/plat/initrd.h>
#include "syscall_priv.h"

#ifndef CONFIG_LIBSYSCALL_FILES_MAX
#define CONFIG_LIBSYSCALL_FILES_MAX 32
#endif
#define FD_FIRST        3
#define K_AT_EMPTY_PATH 0x1000 /* the kernel's (musl shows it with _GNU_SOURCE only) */
#define ROOT_INO        1      /* the made-up root's, when the archive lists none */

struct file {
    int fd; /* 0: free */
    int flags;
    struct cpiofs_entry e;
    uint64_t pos;  /* files: offset; directories: cpiofs_readdir's cursor */
    size_t dirpos; /* directories: entries already returned */
};

static struct {
    struct cpiofs fs;
    int mounted; /* 1: fs is the tree; -1: no initrd or a bad one */
    struct file files[CONFIG_LIBSYSCALL_FILES_MAX];
} fsys;

static const struct syscall_fd_ops file_ops;

/* At the first file call: before it no descriptor of ours exists, so the
 * console area need not know us earlier. */
static void tree_mount(void)
{
    const void *rd;
    size_t len;

    syscall_fd_ops_set(&file_ops);
    fsys.mounted = -1;
    if (plat_initrd(&rd, &len))
        return;
    if (cpiofs_mount(&fsys.fs, rd, len)) {
        syscall_say("nfos: the initrd is not a usable cpio archive: %s at byte %zu; no files\n",
                    fsys.fs.err, fsys.fs.err_off);
        return;
    }
    fsys.mounted = 1;
}

static struct file *file_get(long fd);

#if CONFIG_PLAT_LINUXU
/* A descriptor-based call on a descriptor that is not ours: the host's. */
#define FILE_HOST(n, fd, a2, a3, a4)                                \
    do {                                                            \
        if (!file_get(fd))                                          \
            return syscall_host((n), (fd), (a2), (a3), (a4), 0, 0); \
    } while (0)
/* A path the tree does not hold (or no tree, or a host dirfd): the host's. */
#define PATH_HOST(r, n, a1, a2, a3, a4)                             \
    do {                                                            \
        if (fsys.mounted != 1 || (r) == -ENOENT || (r) == -EBADF)   \
            return syscall_host((n), (a1), (a2), (a3), (a4), 0, 0); \
    } while (0)
#else
#define FILE_HOST(n, fd, a2, a3, a4)    ((void)0)
#define PATH_HOST(r, n, a1, a2, a3, a4) ((void)0)
#endif

static struct file *file_get(long fd)
{
    int i;

    if (fd < FD_FIRST)
        return NULL;
    for (i = 0; i < CONFIG_LIBSYSCALL_FILES_MAX; i++)
        if (fsys.files[i].fd == fd)
            return &fsys.files[i];
    return NULL;
}

static int file_owns(int fd)
{
    return file_get(fd) != NULL;
}

/* Resolves path from dirfd (AT_FDCWD: the root) into *e. */
static int lookup(long dirfd, const char *path, struct cpiofs_entry *e)
{
    char buf[CPIOFS_PATH_MAX + 2];
    const struct file *d;
    size_t plen;

    if (!fsys.mounted)
        tree_mount();
    if (!path)
        return -EFAULT;
    if (!*path)
        return -ENOENT;
    if (path[0] == '/' || dirfd == AT_FDCWD)
        return cpiofs_lookup(&fsys.fs, path, e);
    d = file_get(dirfd);
    if (!d)
        return -EBADF;
    if ((d->e.mode & CPIOFS_S_IFMT) != CPIOFS_S_IFDIR)
        return -ENOTDIR;
    plen = strlen(path);
    if (d->e.namelen + 1 + plen > CPIOFS_PATH_MAX)
        return -ENAMETOOLONG;
    memcpy(buf, d->e.name, d->e.namelen);
    buf[d->e.namelen] = '/';
    memcpy(buf + d->e.namelen + 1, path, plen + 1);
    return cpiofs_lookup(&fsys.fs, buf, e);
}

#if CONFIG_PLAT_LINUXU
/* Whether path's parent is a directory the archive lists (the made-up
 * root is not one, listed or not): creating there is the tree's business (-EROFS), not
 * the host's. */
static int in_tree_dir(long dirfd, const char *path)
{
    char buf[CPIOFS_PATH_MAX + 1];
    struct cpiofs_entry d;
    size_t n = strlen(path);

    while (n && path[n - 1] == '/')
        n--;
    while (n && path[n - 1] != '/')
        n--;
    if (n > CPIOFS_PATH_MAX)
        return 0;
    memcpy(buf, path, n);
    buf[n] = '\0';
    if (!n)
        memcpy(buf, ".", 2);
    return !lookup(dirfd, buf, &d) && d.namelen && (d.mode & CPIOFS_S_IFMT) == CPIOFS_S_IFDIR;
}
#endif

static void stat_fill(const struct cpiofs_entry *e, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = 1;
    st->st_ino = e->ino ? e->ino : ROOT_INO;
    st->st_mode = e->mode;
    st->st_nlink = e->nlink;
    st->st_uid = e->uid;
    st->st_gid = e->gid;
    st->st_size = (off_t)e->size;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((e->size + 511) / 512);
    st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = (time_t)e->mtime;
}

/* What a descriptor of the console (0-2) looks like to fstat. */
static void stat_console(struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR | 0620;
    st->st_nlink = 1;
    st->st_rdev = 0x0500; /* 5:0, /dev/tty's */
    st->st_blksize = 1024;
}

static long sys_openat(long dirfd, long path, long flags, long mode, long a5, long a6)
{
    struct cpiofs_entry e;
    struct file *f = NULL;
    long fd = 0;
    int i, r;

    r = lookup(dirfd, (const char *)path, &e);
#if CONFIG_PLAT_LINUXU
    if (r == -ENOENT && (flags & O_CREAT) && in_tree_dir(dirfd, (const char *)path))
        return -EROFS;
#endif
    PATH_HOST(r, 257, dirfd, path, flags, mode);
    /* O_TMPFILE holds O_DIRECTORY's bit: only all of it asks for a file. */
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
        (flags & O_TMPFILE) == O_TMPFILE)
        return r && !(flags & O_CREAT) ? r : -EROFS;
    if (r)
        return r;
    if ((e.mode & CPIOFS_S_IFMT) == CPIOFS_S_IFLNK)
        return -ELOOP;
    if ((flags & O_DIRECTORY) && (e.mode & CPIOFS_S_IFMT) != CPIOFS_S_IFDIR)
        return -ENOTDIR;
    for (i = 0; i < CONFIG_LIBSYSCALL_FILES_MAX && !f; i++)
        if (!fsys.files[i].fd)
            f = &fsys.files[i];
    if (!f)
        return -EMFILE;
#if CONFIG_PLAT_LINUXU
    fd = syscall_host(257, AT_FDCWD, (long)"/dev/null", O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0)
        return fd;
#else
    fd = FD_FIRST + (f - fsys.files);
#endif
    memset(f, 0, sizeof(*f));
    f->fd = (int)fd;
    f->flags = (int)flags;
    f->e = e;
    return fd;
}

static long sys_open(long path, long flags, long mode, long a4, long a5, long a6)
{
    return sys_openat(AT_FDCWD, path, flags, mode, 0, 0);
}

static long file_read(int fd, void *buf, size_t len)
{
    struct file *f = file_get(fd);
    size_t n;

    if (!f)
        return -EBADF;
    if ((f->e.mode & CPIOFS_S_IFMT) == CPIOFS_S_IFDIR)
        return -EISDIR;
    n = cpiofs_read(&f->e, f->pos, buf, len);
    f->pos += n;
    return (long)n;
}

/* Every file here is open read-only: writing to one is -EBADF (Linux's
 * answer for a descriptor not open for writing). */
static long file_write(int fd, const void *buf, size_t len)
{
    return -EBADF;
}

static long file_close(int fd)
{
    struct file *f = file_get(fd);

    if (!f)
        return -EBADF;
#if CONFIG_PLAT_LINUXU
    syscall_host(3, fd, 0, 0, 0, 0, 0);
#endif
    f->fd = 0;
    return 0;
}

static long file_ioctl(int fd, unsigned long req, long arg)
{
    return file_get(fd) ? -ENOTTY : -EBADF;
}

static const struct syscall_fd_ops file_ops = {
    .read = file_read,
    .write = file_write,
    .close = file_close,
    .ioctl = file_ioctl,
    .owns = file_owns,
};

static long sys_pread64(long fd, long buf, long len, long off, long a5, long a6)
{
    struct file *f = file_get(fd);

    FILE_HOST(17, fd, buf, len, off);
    if (!f)
        return fd >= 0 && fd < FD_FIRST ? -ESPIPE : -EBADF;
    if (len < 0 || off < 0)
        return -EINVAL;
    if ((f->e.mode & CPIOFS_S_IFMT) == CPIOFS_S_IFDIR)
        return -EISDIR;
    return (long)cpiofs_read(&f->e, (uint64_t)off, (void *)buf, (size_t)len);
}

static long sys_lseek(long fd, long off, long whence, long a4, long a5, long a6)
{
    struct file *f = file_get(fd);
    long base;

    FILE_HOST(8, fd, off, whence, 0);
    if (!f)
        return fd >= 0 && fd < FD_FIRST ? -ESPIPE : -EBADF;
    if ((f->e.mode & CPIOFS_S_IFMT) == CPIOFS_S_IFDIR) {
        if (whence != SEEK_SET || off != 0)
            return -EINVAL; /* rewinddir only: cursors are not offsets */
        f->pos = f->dirpos = 0;
        return 0;
    }
    base = whence == SEEK_SET   ? 0
           : whence == SEEK_CUR ? (long)f->pos
           : whence == SEEK_END ? (long)f->e.size
                                : -1;
    if (base < 0 || (off > 0 && base > LONG_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + off);
    return (long)f->pos;
}

static long sys_fstat(long fd, long st, long a3, long a4, long a5, long a6)
{
    struct file *f = file_get(fd);

    FILE_HOST(5, fd, st, 0, 0);
    if (fd >= 0 && fd < FD_FIRST) {
        stat_console((struct stat *)st);
        return 0;
    }
    if (!f)
        return -EBADF;
    stat_fill(&f->e, (struct stat *)st);
    return 0;
}

static long sys_newfstatat(long dirfd, long path, long st, long flags, long a5, long a6)
{
    struct cpiofs_entry e;
    int r;

    if ((flags & K_AT_EMPTY_PATH) && path && !*(const char *)path)
        return sys_fstat(dirfd, st, 0, 0, 0, 0);
    r = lookup(dirfd, (const char *)path, &e);
    PATH_HOST(r, 262, dirfd, path, st, flags);
    if (r)
        return r;
    stat_fill(&e, (struct stat *)st);
    return 0;
}

static long sys_stat(long path, long st, long a3, long a4, long a5, long a6)
{
    return sys_newfstatat(AT_FDCWD, path, st, 0, 0, 0);
}

static long sys_faccessat(long dirfd, long path, long mode, long a4, long a5, long a6)
{
    struct cpiofs_entry e;
    int r = lookup(dirfd, (const char *)path, &e);

    PATH_HOST(r, 269, dirfd, path, mode, 0);
    if (r)
        return r;
    if (mode & W_OK)
        return -EROFS;
    if ((mode & X_OK) && !(e.mode & 0111))
        return -EACCES;
    return 0;
}

static long sys_lstat(long path, long st, long a3, long a4, long a5, long a6)
{
    return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW, 0, 0);
}

static long sys_access(long path, long mode, long a3, long a4, long a5, long a6)
{
    return sys_faccessat(AT_FDCWD, path, mode, 0, 0, 0);
}

/* struct linux_dirent64, the kernel's (and musl's struct dirent's) layout. */
struct k_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

static long sys_getdents64(long fd, long buf, long len, long a4, long a5, long a6)
{
    struct file *f = file_get(fd);
    struct cpiofs_entry c;
    size_t done = 0, cur, rec;
    struct k_dirent64 *d;
    int r;

    FILE_HOST(217, fd, buf, len, 0);
    if (!f)
        return -EBADF;
    if ((f->e.mode & CPIOFS_S_IFMT) != CPIOFS_S_IFDIR)
        return -ENOTDIR;
    for (;;) {
        cur = (size_t)f->pos;
        r = cpiofs_readdir(&fsys.fs, &f->e, &cur, &c);
        if (r <= 0)
            return r < 0 ? r : (long)done;
        rec = (offsetof(struct k_dirent64, d_name) + c.namelen + 1 + 7) & ~(size_t)7;
        if (done + rec > (size_t)len)
            return done ? (long)done : -EINVAL;
        d = (struct k_dirent64 *)(buf + done);
        d->d_ino = c.ino;
        d->d_off = (int64_t)++f->dirpos;
        d->d_reclen = (uint16_t)rec;
        d->d_type = (uint8_t)((c.mode & CPIOFS_S_IFMT) >> 12); /* DT_* = S_IF* >> 12 */
        memcpy(d->d_name, c.name, c.namelen);
        d->d_name[c.namelen] = '\0';
        done += rec;
        f->pos = cur;
    }
}

static long sys_fcntl(long fd, long cmd, long arg, long a4, long a5, long a6)
{
    struct file *f = file_get(fd);

    FILE_HOST(72, fd, cmd, arg, 0);
    if (!f && !(fd >= 0 && fd < FD_FIRST))
        return -EBADF;
    switch (cmd) {
    case F_GETFD:
        return f && (f->flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
    case F_SETFD:
        if (f)
            f->flags = (int)((f->flags & ~O_CLOEXEC) | (arg & FD_CLOEXEC ? O_CLOEXEC : 0));
        return 0;
    case F_GETFL:
        return f ? (f->flags & ~O_CLOEXEC) : O_RDWR;
    case F_SETFL:
        return 0; /* O_NONBLOCK, O_APPEND: nothing here blocks or appends */
    default:
        return -EINVAL;
    }
}

/* Every call that would change the tree. */
static long sys_rofs(long a1, long a2, long a3, long a4, long a5, long a6)
{
    return -EROFS;
}

static long sys_ftruncate(long fd, long len, long a3, long a4, long a5, long a6)
{
    FILE_HOST(77, fd, len, 0, 0);
    return file_get(fd) ? -EINVAL : -EBADF; /* opened read-only: EINVAL, as Linux */
}

SYSCALL_DEFINE(2, open, sys_open, 0);
SYSCALL_DEFINE(257, openat, sys_openat, 0);
SYSCALL_DEFINE(17, pread64, sys_pread64, 0);
SYSCALL_DEFINE(8, lseek, sys_lseek, 0);
SYSCALL_DEFINE(5, fstat, sys_fstat, 0);
SYSCALL_DEFINE(4, stat, sys_stat, 0);
SYSCALL_DEFINE(6, lstat, sys_lstat, 0);
SYSCALL_DEFINE(262, newfstatat, sys_newfstatat, 0);
SYSCALL_DEFINE(217, getdents64, sys_getdents64, 0);
SYSCALL_DEFINE(21, access, sys_access, 0);
SYSCALL_DEFINE(269, faccessat, sys_faccessat, 0);
SYSCALL_DEFINE(439, faccessat2, sys_faccessat, 0);
SYSCALL_DEFINE(72, fcntl, sys_fcntl, 0);
SYSCALL_DEFINE(77, ftruncate, sys_ftruncate, 0);
SYSCALL_DEFINE(76, truncate, sys_rofs, 0);
SYSCALL_DEFINE(85, creat, sys_rofs, 0);
SYSCALL_DEFINE(83, mkdir, sys_rofs, 0);
SYSCALL_DEFINE(258, mkdirat, sys_rofs, 0);
SYSCALL_DEFINE(84, rmdir, sys_rofs, 0);
SYSCALL_DEFINE(87, unlink, sys_rofs, 0);
SYSCALL_DEFINE(263, unlinkat, sys_rofs, 0);
SYSCALL_DEFINE(82, rename, sys_rofs, 0);
SYSCALL_DEFINE(264, renameat, sys_rofs, 0);
SYSCALL_DEFINE(316, renameat2, sys_rofs, 0);
SYSCALL_DEFINE(86, link, sys_rofs, 0);
SYSCALL_DEFINE(265, linkat, sys_rofs, 0);
SYSCALL_DEFINE(88, symlink, sys_rofs, 0);
SYSCALL_DEFINE(266, symlinkat, sys_rofs, 0);
SYSCALL_DEFINE(90, chmod, sys_rofs, 0);
SYSCALL_DEFINE(268, fchmodat, sys_rofs, 0);
SYSCALL_DEFINE(92, chown, sys_rofs, 0);
SYSCALL_DEFINE(260, fchownat, sys_rofs, 0);
SYSCALL_DEFINE(133, mknod, sys_rofs, 0);
SYSCALL_DEFINE(259, mknodat, sys_rofs, 0);
