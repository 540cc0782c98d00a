/* nfvm's internals shared between its files: guest memory and its one
 * bounds-checked accessor, the image loader, the boot set-up, the console
 * and the exit handler. Nothing here calls /dev/kvm except kvm.c's part. */
#ifndef NFVM_H
#define NFVM_H

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
    uint64_t pvh_entry; /* 0: no PVH note */
    int has_note;       /* the nfvm direct-entry note was found */
    struct nfvm_note note;
    uint64_t end; /* highest PT_LOAD end */
};

/* Formats the reason for a failed load or set-up into err; returns -1. */
int nfvm_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Loads an ELF64 x86-64 image held in [file, file + size) into guest RAM.
 * 0, or -1 with the reason in err. */
int nfvm_elf_load(struct nfvm_mem *m, const uint8_t *file, size_t size, struct nfvm_image *img,
                  char *err, size_t errlen);

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
};

/* Writes the memory map, the command line and the boot info for mode;
 * in direct mode also the TSS fields the ABI puts on nfvm. 0, or -1 with
 * the reason in err (e.g. an image note pointing outside RAM). */
int nfvm_boot_write(struct nfvm_mem *m, const struct nfvm_image *img, enum nfvm_boot_mode mode,
                    const struct nfvm_boot_args *a, char *err, size_t errlen);
/* Copies an initrd of size bytes to the top of the RAM below the MMIO
 * hole, page-aligned, above the image; its guest address into *gpa. 0, or
 * -1 with the reason in err (it does not fit). */
int nfvm_initrd_place(struct nfvm_mem *m, const struct nfvm_image *img, const void *data,
                      uint64_t size, uint64_t *gpa, char *err, size_t errlen);
/* The vCPU state at the entry of mode: s is changed in place (start from
 * KVM_GET_SREGS), r is overwritten; *xcr0 is 0 when XCR0 stays as it is. */
void nfvm_boot_cpu(const struct nfvm_image *img, enum nfvm_boot_mode mode,
                   const struct nfvm_cpu_features *f, struct kvm_sregs *s, struct kvm_regs *r,
                   uint64_t *xcr0);

/* --- console (console.c) --- */

#define NFVM_CONSOLE_LINE 4096

/* COM1 output, written to fd a line at a time (or when the buffer fills). */
struct nfvm_console {
    int fd;
    size_t len;
    uint64_t lost; /* bytes a failed write lost */
    char buf[NFVM_CONSOLE_LINE];
};

void nfvm_console_put(struct nfvm_console *c, const uint8_t *p, size_t n);
void nfvm_console_flush(struct nfvm_console *c);

/* --- exits (exit.c) --- */

#define NFVM_NET_MAX 4

struct nfvm_vnet;

struct nfvm {
    struct nfvm_mem mem;
    struct nfvm_vnet *net[NFVM_NET_MAX]; /* at NFVM_MMIO_BASE + i * NFVM_MMIO_SIZE */
    unsigned nr_net;
    struct nfvm_console con;
    uint64_t exits;
    int guest_exited;         /* the status is the guest's, from the exit port */
    int trace;                /* --trace: note the time of the first exit */
    volatile int stop_signal; /* SIGINT/SIGTERM/SIGHUP: end as if killed */
    int stop_fd;              /* eventfd the signal handler writes (an idle
                                 sleep wakes on it); -1: none */
    double first_exit_ms;     /* CLOCK_MONOTONIC */
    struct nfvm_idle_stats {
        uint64_t arms, sleeps, woken_dev, woken_timer, slept_ns;
    } idle;
};

/* Handles one KVM exit; run points at a kvm_run of run_size bytes (the
 * vCPU's mapping, or a test's buffer). Returns NFVM_RUNNING to go on, or
 * the status nfvm ends with, after saying why on stderr. No /dev/kvm. */
int nfvm_exit_handle(struct nfvm *vm, struct kvm_run *run, size_t run_size);

/* --- idle (idle.c) --- */

/* The guest wrote gpa to NFVM_PORT_IDLE: arms, or sleeps in poll() on the
 * devices' wake-ups, the timer and vm->stop_fd (nfos/plat/nfvm_abi.h).
 * NFVM_RUNNING, or NFVM_STATUS_BAD_GUEST after saying why. vCPU thread. */
int nfvm_idle(struct nfvm *vm, uint32_t gpa);

#endif /* NFVM_H */
