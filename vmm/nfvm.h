/* nfvm's internals shared between its files: guest memory and its one
 * bounds-checked accessor, the image loader, the boot set-up, the console
 * and the exit handler. Nothing here calls /dev/kvm except kvm.c's part. */
#ifndef NFVM_H
#define NFVM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <nfos/plat/nfvm_abi.h>

/* nfvm's exit status: the guest's (0..127) when it wrote one, else: */
#define NFVM_STATUS_USAGE     2   /* a bad nfvm command line; no guest ran */
#define NFVM_STATUS_TIMEOUT   124 /* --timeout: as ./nfos run --timeout */
#define NFVM_STATUS_SHUTDOWN  125 /* triple fault: as ./nfos run reports QEMU's */
#define NFVM_STATUS_BAD_GUEST 200 /* a port, MMIO or exit nfvm does not serve */
#define NFVM_STATUS_KVM       201 /* KVM failed to run the guest */
#define NFVM_STATUS_SETUP     202 /* bad image, or a KVM call failed at start */
#define NFVM_RUNNING          (-1)

/* --- guest memory (mem.c) --- */

/* RAM is one memfd: [0, low) at host[0], [4 GiB, 4 GiB + high) at host[low]. */
struct nfvm_mem {
    uint8_t *host;
    uint64_t low, high;
    int fd;
};

int nfvm_mem_create(struct nfvm_mem *m, uint64_t size);
void nfvm_mem_destroy(struct nfvm_mem *m);
/* The host address of guest [gpa, gpa + len), or NULL unless that range
 * lies wholly in guest RAM. Every guest address nfvm touches goes here. */
void *nfvm_gpa(const struct nfvm_mem *m, uint64_t gpa, uint64_t len);

/* --- the image (elf.c) --- */

struct nfvm_image {
    uint64_t pvh_entry;    /* 0: no PVH note */
    int has_note;          /* an nfvm note was found (of any ABI version) */
    struct nfvm_note note; /* as much as the note held, the rest 0 */
    uint64_t end;          /* highest PT_LOAD end */
    uint64_t cpus_end;     /* nfvm_cpus_place: the APs' blocks end here, 0: none */
};

/* Formats the reason for a failed load or set-up into err; returns -1. */
int nfvm_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Loads an ELF64 x86-64 image held in [file, file + size) into guest RAM.
 * 0, or -1 with the reason in err. */
int nfvm_elf_load(struct nfvm_mem *m, const uint8_t *file, size_t size, struct nfvm_image *img,
                  char *err, size_t errlen);

/* --- SMP layout (cpus.c) --- */

/* Where each vCPU's block lies: block[0] is 0 (vCPU 0 runs on the note's
 * stacks), block[i] AP i's (nfos/plat/nfvm_abi.h). */
struct nfvm_cpus {
    unsigned n;
    uint64_t block[NFVM_CPUS_MAX];
};

/* Places n - 1 AP blocks page-aligned right above the image and records
 * their end in img->cpus_end. 0, or -1 with the reason in err: n is 0 or
 * more than nfvm or the image runs, the image has no AP entry, or the
 * blocks do not fit in RAM below NFVM_CPU_BLOCKS_LIMIT. */
int nfvm_cpus_place(const struct nfvm_mem *m, struct nfvm_image *img, unsigned n,
                    struct nfvm_cpus *c, char *err, size_t errlen);
/* Whether the blocks of c may be announced: each page-aligned, in RAM,
 * above the image, below NFVM_CPU_BLOCKS_LIMIT, clear of the others and of
 * [avoid, avoid + avoid_len) (the initrd). 0, or -1 with the reason. */
int nfvm_cpus_check(const struct nfvm_mem *m, const struct nfvm_image *img,
                    const struct nfvm_cpus *c, uint64_t avoid, uint64_t avoid_len, char *err,
                    size_t errlen);

/* --- boot set-up (boot.c) --- */

enum nfvm_boot_mode { NFVM_BOOT_DIRECT, NFVM_BOOT_PVH };

struct nfvm_cpu_features {
    int fsgsbase, xsave, avx;
};

/* What the boot info tells the guest besides the memory map. */
struct nfvm_boot_args {
    const char *cmdline;
    uint64_t tsc_khz;             /* 0: unknown */
    uint64_t initrd, initrd_size; /* nfvm_initrd_place's, 0: none */
    uint32_t flags;               /* NFVM_BOOT_F_* (direct entry) */
    const struct nfvm_cpus *cpus; /* NULL: one vCPU */
};

/* Writes the memory map, the command line and the boot info for mode;
 * in direct mode also the TSS fields the ABI puts on nfvm, and with
 * several vCPUs the CPU table and each AP's block head and TSS (after
 * nfvm_cpus_check). 0, or -1 with the reason in err (e.g. an image note
 * pointing outside RAM, or of another ABI version). */
int nfvm_boot_write(struct nfvm_mem *m, const struct nfvm_image *img, enum nfvm_boot_mode mode,
                    const struct nfvm_boot_args *a, char *err, size_t errlen);
/* Copies an initrd of size bytes to the top of the RAM below the MMIO
 * hole, page-aligned, above the image; its guest address into *gpa. 0, or
 * -1 with the reason in err (it does not fit). */
int nfvm_initrd_place(struct nfvm_mem *m, const struct nfvm_image *img, const void *data,
                      uint64_t size, uint64_t *gpa, char *err, size_t errlen);
/* The vCPU state at the entry of mode: s is changed in place (start from
 * KVM_GET_SREGS), r is overwritten; *xcr0 is 0 when XCR0 stays as it is.
 * block: 0 for vCPU 0, else the AP's block (direct mode only): it enters
 * the note's ap_entry on that block's stack and TSS. */
void nfvm_boot_cpu(const struct nfvm_image *img, enum nfvm_boot_mode mode,
                   const struct nfvm_cpu_features *f, uint64_t block, struct kvm_sregs *s,
                   struct kvm_regs *r, uint64_t *xcr0);

/* --- console (console.c) --- */

#define NFVM_CONSOLE_LINE 4096

#define NFVM_CONSOLE_RX  256
#define NFVM_CONSOLE_EOF 0x04 /* ^D: what the guest reads after in_fd ended */

/* COM1: output written to fd a line at a time (or when the buffer fills);
 * with input, in_fd (nfvm's stdin) feeds the receiver: LSR's data ready,
 * RBR, and the idle sleep's NFVM_IDLE_CONSOLE. A serial line has no end
 * of file: once in_fd ends the guest reads one ^D, as QEMU's guests get
 * it from tools/console.py. */
struct nfvm_console {
    int fd;
    size_t len;
    uint64_t lost; /* bytes a failed write lost */
    char buf[NFVM_CONSOLE_LINE];
    int input; /* in_fd feeds the receiver (0: no input, unit tests) */
    int in_fd; /* -1 once it ended */
    unsigned rx_off, rx_len;
    uint8_t rx[NFVM_CONSOLE_RX];
    uint8_t ier, lcr, mcr, scr; /* held and read back, nothing more */
    uint64_t rx_bytes;
};

void nfvm_console_put(struct nfvm_console *c, const uint8_t *p, size_t n);
void nfvm_console_flush(struct nfvm_console *c);
/* COM1's register off (1..7; 0 is the data register: RBR) read; writes
 * (off 1..7) held where the guest reads them back (IER, LCR, MCR, SCR).
 * Never blocks: in_fd is read only when poll() says it has bytes. */
uint8_t nfvm_com1_read(struct nfvm_console *c, unsigned off);
void nfvm_com1_write(struct nfvm_console *c, unsigned off, uint8_t v);
/* Whether the receiver has a byte, or in_fd one to give (fills rx). */
int nfvm_console_rx_ready(struct nfvm_console *c);

/* --- exits (exit.c) --- */

#define NFVM_NET_MAX 4

struct nfvm_vnet;

struct nfvm {
    struct nfvm_mem mem;
    struct nfvm_vnet *net[NFVM_NET_MAX]; /* at NFVM_MMIO_BASE + i * NFVM_MMIO_SIZE */
    unsigned nr_net;
    pthread_mutex_t lock; /* the console and the counters, between vCPU threads */
    struct nfvm_console con;
    uint64_t exits;
    unsigned nr_cpus;            /* vCPUs (0 counts as 1: unit tests) */
    int cpu_wake[NFVM_CPUS_MAX]; /* eventfd per vCPU: NFVM_PORT_CPU_WAKE */
    int idle_fd[NFVM_CPUS_MAX];  /* eventfd per vCPU: a device woke its idle sleep */
    volatile int stopping;       /* a vCPU ended the guest: every vCPU stops */
    int guest_exited;            /* the status is the guest's, from the exit port */
    int trace;                   /* --trace: note the time of the first exit */
    volatile int stop_signal;    /* SIGINT/SIGTERM/SIGHUP: end as if killed */
    int stop_fd;                 /* eventfd the signal handler writes (an idle
                                    sleep wakes on it); -1: none */
    double first_exit_ms;        /* CLOCK_MONOTONIC */
    /* vCPU 0's kvm_run, where the stop signal lands: the handler sets its
     * immediate_exit. */
    struct kvm_run *volatile run0;
    struct nfvm_idle_stats {
        uint64_t arms, sleeps, woken_dev, woken_timer, slept_ns;
        uint64_t cpu_waits, cpu_wakes; /* NFVM_PORT_CPU_WAIT / _WAKE */
    } idle;
};

/* Handles one KVM exit of vCPU cpu; run points at a kvm_run of run_size
 * bytes (the vCPU's mapping, or a test's buffer). Returns NFVM_RUNNING to
 * go on, or the status nfvm ends with, after saying why (naming the vCPU)
 * on stderr. No /dev/kvm. That vCPU's thread; any number at once. */
int nfvm_exit_handle(struct nfvm *vm, unsigned cpu, struct kvm_run *run, size_t run_size);

/* --- idle (idle.c) --- */

/* vCPU cpu wrote gpa to NFVM_PORT_IDLE: arms, or sleeps in poll() on its
 * idle_fd (the devices' wake-ups), the timer and vm->stop_fd
 * (nfos/plat/nfvm_abi.h). NFVM_RUNNING, or NFVM_STATUS_BAD_GUEST after
 * saying why. vCPU cpu's thread. */
int nfvm_idle(struct nfvm *vm, unsigned cpu, uint32_t gpa);
/* NFVM_PORT_CPU_WAIT: vCPU cpu sleeps until a WAKE names it, us
 * microseconds passed (0: no limit) or nfvm stops. vCPU thread. */
void nfvm_cpu_wait(struct nfvm *vm, unsigned cpu, uint32_t us);
/* NFVM_PORT_CPU_WAKE from vCPU cpu: wakes vCPU target. NFVM_RUNNING, or
 * NFVM_STATUS_BAD_GUEST after saying why (no such vCPU). */
int nfvm_cpu_wake(struct nfvm *vm, unsigned cpu, uint32_t target);

#endif /* NFVM_H */
