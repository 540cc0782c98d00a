/* lib/syscall: the Linux system call interface of a musl image, as plain
 * function calls. musl (lib/musl, patched) calls nfos_syscall6() for every
 * system call; the call is looked up by number in a table that each area
 * file fills with SYSCALL_DEFINE (memory, time, console I/O, ids, threads,
 * signals, misc). Every other number returns -ENOSYS and names itself once
 * on the console.
 *
 * Adding an area (e.g. files over the initrd): a new sys_<area>.c with one
 * SYSCALL_DEFINE per call, and one line in lib/syscall/Makefile.uk (or in
 * another library's Makefile.uk: the table is a linker set). A number
 * defined twice is reported at the first system call. */
#ifndef NFOS_SYSCALL_H
#define NFOS_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

/* The one entry point: Linux x86_64 numbering and arguments; returns the
 * result or a negative errno, exactly as the kernel would. Any thread on
 * any lcore; it may switch threads (blocking futex, nanosleep, yield,
 * exit). */
long nfos_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6);

typedef long (*syscall_fn_t)(long a1, long a2, long a3, long a4, long a5, long a6);

struct syscall_entry {
    unsigned nr;      /* Linux x86_64 number (musl's SYS_*) */
    unsigned flags;   /* SYSCALL_F_* */
    const char *name; /* for messages */
    syscall_fn_t fn;
};

/* linuxu: hand the call to the host kernel unchanged instead of fn (the
 * natural meaning there: console, clocks, ids). kvm always calls fn. */
#define SYSCALL_F_HOST 1u
/* With lcores every call runs under one lock (the areas keep global state),
 * except those with this flag: calls that block in the scheduler (futex,
 * sleeps, yield, exit) or touch no shared state (clocks). */
#define SYSCALL_F_NOLOCK 2u

/* Registers fn for system call number nr (an area file, file scope). */
#define SYSCALL_DEFINE(nr_, name_, fn_, flags_)                                                  \
    static const struct syscall_entry __syscall_entry_##name_                                    \
        __attribute__((used, section("nfos_syscalls"), aligned(8))) = { (nr_), (flags_), #name_, \
                                                                        (fn_) }

/* What the memory area has handed out (mmap/munmap/brk), for leak checks. */
struct syscall_mem_stats {
    size_t mapped_bytes; /* anonymous mappings alive now */
    uint64_t nr_mmap, nr_munmap;
    uint64_t nr_partial_munmap; /* part of a mapping: kept, counted here */
    size_t brk_bytes;           /* the break's extent above its base */
};
void syscall_mem_stats(struct syscall_mem_stats *st);

/* The call's name ("openat") or NULL for a number musl does not know. */
const char *syscall_name(long n);

/* File descriptors 3 and up belong to an optional file area (another
 * library): it sets these once, at boot or at its first call. The console
 * (0, 1, 2) stays with the I/O area. NULL members mean -EBADF. */
struct syscall_fd_ops {
    long (*read)(int fd, void *buf, size_t len);
    long (*write)(int fd, const void *buf, size_t len);
    long (*close)(int fd);
    long (*ioctl)(int fd, unsigned long req, long arg);
    /* linuxu: whether fd is the area's (else it is the host's); may be NULL
     * when the area holds none. */
    int (*owns)(int fd);
};
void syscall_fd_ops_set(const struct syscall_fd_ops *ops);

#endif /* NFOS_SYSCALL_H */
