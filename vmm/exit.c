/* The exit handler: what the guest's KVM exits mean. A plain function over
 * a struct kvm_run, so that unit tests drive it with synthetic exits and no
 * /dev/kvm. nfvm serves COM1 (output; input from its stdin, console.c),
 * the exit port, the virtio-mmio devices' registers (vnet.c), and answers
 * "nothing there" (all ones) where nfos looks for PCI: the 0xcf8 ports and
 * reads in the MMIO hole (microvm's ECAM), the idle port and the vCPUs'
 * wait and wake ports (idle.c), the console's buffer port. Every vCPU
 * thread runs it at once: the console is under vm->lock, the devices under
 * their own.
 * Anything else, any other port or
 * MMIO write, a shutdown
 * (triple fault) or an exit it does not know ends the guest with a message
 * and a status of its own (nfvm.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "layout.h"
#include "nfvm.h"
#include "vnet.h"

#define COM1_REGS    8
#define PCI_PORTS    0xcf8 /* 0xcf8..0xcff: type 1 config access */
#define PCI_NR_PORTS 8

/* "vcpu N: " when the guest has several, so that a message names the one
 * that failed; "" with one, as before SMP. */
static const char *vcpu(const struct nfvm *vm, unsigned cpu, char buf[24])
{
    buf[0] = 0;
    if (vm->nr_cpus > 1)
        snprintf(buf, 24, "vcpu %u: ", cpu);
    return buf;
}

/* A port nfvm does not serve, or an exit it cannot trust: the guest ends. */
static int bad_port(const struct nfvm *vm, unsigned cpu, const struct kvm_run *run, const char *why)
{
    char b[24];

    fprintf(stderr, "nfvm: %sguest %s port %#x (size %u, count %u): %s\n", vcpu(vm, cpu, b),
            run->io.direction == KVM_EXIT_IO_OUT ? "wrote" : "read", run->io.port, run->io.size,
            run->io.count, why);
    return NFVM_STATUS_BAD_GUEST;
}

/* A 4-byte port's value; -1 (after ending the guest) for another width. */
static int64_t out32(const struct nfvm *vm, unsigned cpu, const struct kvm_run *run,
                     const uint8_t *data, const char *what)
{
    uint32_t v;

    if (run->io.size != 4 || run->io.count != 1) {
        bad_port(vm, cpu, run, what);
        return -1;
    }
    memcpy(&v, data, 4);
    return v;
}

/* NFVM_PORT_CONSOLE_BUF: the record at gpa names the bytes to print. */
static int console_buf(struct nfvm *vm, unsigned cpu, const struct kvm_run *run, uint32_t gpa)
{
    const struct nfvm_console_buf *rec;
    struct nfvm_console_buf r;
    const void *bytes;

    if (gpa % 8 || !(rec = nfvm_gpa(&vm->mem, gpa, sizeof(r))))
        return bad_port(vm, cpu, run, "the console record is not 8-byte aligned guest RAM");
    memcpy(&r, rec, sizeof(r)); /* read once: another vCPU may write it */
    if (r.reserved)
        return bad_port(vm, cpu, run, "the console record's reserved word is not 0");
    if (!(bytes = nfvm_gpa(&vm->mem, r.addr, r.len)))
        return bad_port(vm, cpu, run, "the console record names bytes outside guest RAM");
    pthread_mutex_lock(&vm->lock);
    nfvm_console_put(&vm->con, bytes, r.len);
    pthread_mutex_unlock(&vm->lock);
    return NFVM_RUNNING;
}

static int io_out(struct nfvm *vm, unsigned cpu, const struct kvm_run *run, const uint8_t *data)
{
    uint16_t port = run->io.port;
    int64_t v;

    if (port == NFVM_PORT_CONSOLE && run->io.size == 1) {
        pthread_mutex_lock(&vm->lock);
        nfvm_console_put(&vm->con, data, run->io.count);
        pthread_mutex_unlock(&vm->lock);
        return NFVM_RUNNING;
    }
    if (port > NFVM_PORT_CONSOLE && port < NFVM_PORT_CONSOLE + COM1_REGS) {
        /* UART set-up: held for reading back, nothing to set up on a pipe */
        pthread_mutex_lock(&vm->lock);
        for (uint32_t i = 0; i < run->io.count; i++)
            nfvm_com1_write(&vm->con, port - NFVM_PORT_CONSOLE, data[i * run->io.size]);
        pthread_mutex_unlock(&vm->lock);
        return NFVM_RUNNING;
    }
    if (port >= PCI_PORTS && port < PCI_PORTS + PCI_NR_PORTS)
        return NFVM_RUNNING; /* no host bridge to address */
    if (port == NFVM_PORT_IDLE) {
        if ((v = out32(vm, cpu, run, data, "the idle port takes one 4-byte write")) < 0)
            return NFVM_STATUS_BAD_GUEST;
        return nfvm_idle(vm, cpu, (uint32_t)v);
    }
    if (port == NFVM_PORT_CPU_WAIT) {
        if ((v = out32(vm, cpu, run, data, "the wait port takes one 4-byte write")) < 0)
            return NFVM_STATUS_BAD_GUEST;
        nfvm_cpu_wait(vm, cpu, (uint32_t)v);
        return NFVM_RUNNING;
    }
    if (port == NFVM_PORT_CONSOLE_BUF) {
        if ((v = out32(vm, cpu, run, data, "the console port takes one 4-byte write")) < 0)
            return NFVM_STATUS_BAD_GUEST;
        return console_buf(vm, cpu, run, (uint32_t)v);
    }
    if (port == NFVM_PORT_CPU_WAKE) {
        if ((v = out32(vm, cpu, run, data, "the wake port takes one 4-byte write")) < 0)
            return NFVM_STATUS_BAD_GUEST;
        return nfvm_cpu_wake(vm, cpu, (uint32_t)v);
    }
    if (port == NFVM_PORT_EXIT) {
        uint32_t x = 0;

        memcpy(&x, data, run->io.size <= 4 ? run->io.size : 4);
        pthread_mutex_lock(&vm->lock);
        nfvm_console_flush(&vm->con);
        vm->guest_exited = 1;
        pthread_mutex_unlock(&vm->lock);
        return (int)(x & 0x7f);
    }
    return bad_port(vm, cpu, run, "no device there");
}

static int io_in(struct nfvm *vm, unsigned cpu, struct kvm_run *run, uint8_t *data)
{
    uint16_t port = run->io.port;

    if (port >= NFVM_PORT_CONSOLE && port < NFVM_PORT_CONSOLE + COM1_REGS) {
        unsigned off = port - NFVM_PORT_CONSOLE;

        /* A wider access reads the registers after it too, as on the bus. */
        pthread_mutex_lock(&vm->lock);
        for (uint32_t i = 0; i < run->io.count; i++)
            for (unsigned b = 0; b < run->io.size; b++)
                data[i * run->io.size + b] =
                    off + b < COM1_REGS ? nfvm_com1_read(&vm->con, off + b) : 0xff;
        pthread_mutex_unlock(&vm->lock);
        return NFVM_RUNNING;
    }
    if (port >= PCI_PORTS && port < PCI_PORTS + PCI_NR_PORTS) {
        memset(data, 0xff, (size_t)run->io.size * run->io.count);
        return NFVM_RUNNING;
    }
    return bad_port(vm, cpu, run, "no device there");
}

static int io(struct nfvm *vm, unsigned cpu, struct kvm_run *run, size_t run_size)
{
    uint64_t len = (uint64_t)run->io.size * run->io.count;

    /* KVM's own buffer, but nothing is read or written past the mapping. */
    if (run->io.size != 1 && run->io.size != 2 && run->io.size != 4)
        return bad_port(vm, cpu, run, "not a port access width");
    if (run->io.data_offset > run_size || len > run_size - run->io.data_offset)
        return bad_port(vm, cpu, run, "data beyond the exit buffer");
    if (run->io.direction == KVM_EXIT_IO_OUT)
        return io_out(vm, cpu, run, (const uint8_t *)run + run->io.data_offset);
    return io_in(vm, cpu, run, (uint8_t *)run + run->io.data_offset);
}

static int mmio(struct nfvm *vm, unsigned cpu, struct kvm_run *run)
{
    char b[24];
    uint64_t a = run->mmio.phys_addr, i = (a - NFVM_MMIO_BASE) / NFVM_MMIO_SIZE;

    if (a >= NFVM_MMIO_BASE && i < vm->nr_net && run->mmio.len <= 8 &&
        nfvm_vnet_mmio(vm->net[i], a - vm->net[i]->base, run->mmio.data, run->mmio.len,
                       run->mmio.is_write) == 0)
        return NFVM_RUNNING;
    if (!run->mmio.is_write && a >= NFVM_MMIO_HOLE && a < NFVM_HIGH_BASE && run->mmio.len <= 8) {
        memset(run->mmio.data, 0xff, run->mmio.len); /* nothing there, as on a bus */
        return NFVM_RUNNING;
    }
    fprintf(stderr, "nfvm: %sguest %s MMIO at %#" PRIx64 " (%u bytes): no such register there\n",
            vcpu(vm, cpu, b), run->mmio.is_write ? "wrote" : "read", (uint64_t)a, run->mmio.len);
    return NFVM_STATUS_BAD_GUEST;
}

int nfvm_exit_handle(struct nfvm *vm, unsigned cpu, struct kvm_run *run, size_t run_size)
{
    char b[24];

    __atomic_fetch_add(&vm->exits, 1, __ATOMIC_RELAXED);
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        return io(vm, cpu, run, run_size);
    case KVM_EXIT_MMIO:
        return mmio(vm, cpu, run);
    case KVM_EXIT_SHUTDOWN:
        pthread_mutex_lock(&vm->lock);
        nfvm_console_flush(&vm->con);
        pthread_mutex_unlock(&vm->lock);
        fprintf(stderr, "nfvm: %sthe guest shut down without an exit status (triple fault)\n",
                vcpu(vm, cpu, b));
        return NFVM_STATUS_SHUTDOWN;
    case KVM_EXIT_HLT:
        fprintf(stderr, "nfvm: %sthe guest halted with interrupts off: it can never resume\n",
                vcpu(vm, cpu, b));
        return NFVM_STATUS_BAD_GUEST;
    case KVM_EXIT_FAIL_ENTRY:
        fprintf(stderr, "nfvm: %sKVM could not enter the guest (hardware reason %#llx)\n",
                vcpu(vm, cpu, b),
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return NFVM_STATUS_KVM;
    case KVM_EXIT_INTERNAL_ERROR:
        fprintf(stderr, "nfvm: %sKVM internal error, suberror %u\n", vcpu(vm, cpu, b),
                run->internal.suberror);
        return NFVM_STATUS_KVM;
    default:
        fprintf(stderr, "nfvm: %sunexpected KVM exit %u\n", vcpu(vm, cpu, b), run->exit_reason);
        return NFVM_STATUS_BAD_GUEST;
    }
}
