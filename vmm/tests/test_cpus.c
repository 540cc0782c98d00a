/* nfvm's SMP without /dev/kvm: where the APs' blocks go and what the boot
 * info says of them, the hostile counts and tables refused, each AP's
 * entry state, and the vCPUs' wait and wake ports driven by synthetic
 * exits (a wake-up is never lost, a stop ends every wait, a wild vCPU
 * index ends the guest and the message names the vCPU). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "layout.h"
#include "nfvm.h"
#include "testvm.h"

#define MIB (1ULL << 20)

static struct nfvm_mem mem;
static struct nfvm_image img;
static struct nfvm_cpus cpus;
static char err[256];

/* An image as the loader leaves it: 64 KiB at 1 MiB, its tables inside. */
static void setup(void)
{
    cr_assert_eq(nfvm_mem_create(&mem, 8 * MIB), 0);
    memset(&img, 0, sizeof(img));
    img.has_note = 1;
    img.end = MIB + 0x10000 + 0x123; /* not page-aligned: the blocks are */
    img.note = testvm_note();
    img.note.cpus_max = 64;
    img.note.ap_entry = MIB + 8;
    memset(&cpus, 0, sizeof(cpus));
}

static void teardown(void)
{
    nfvm_mem_destroy(&mem);
}

TestSuite(cpus, .init = setup, .fini = teardown);

Test(cpus, places_blocks_above_the_image)
{
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 3, &cpus, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cpus.n, 3);
    cr_assert_eq(cpus.block[0], 0, "vCPU 0 runs on the note's stacks");
    cr_assert_eq(cpus.block[1], MIB + 0x11000);
    cr_assert_eq(cpus.block[2], cpus.block[1] + NFVM_CPU_BLOCK_SIZE);
    cr_assert_eq(img.cpus_end, cpus.block[2] + NFVM_CPU_BLOCK_SIZE);
}

Test(cpus, hostile_counts_refused)
{
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 0, &cpus, err, sizeof(err)), -1, "N = 0");
    cr_assert(strstr(err, "expected 1 to 64"), "%s", err);
    cr_assert_eq(nfvm_cpus_place(&mem, &img, NFVM_CPUS_MAX + 1, &cpus, err, sizeof(err)), -1);
    cr_assert(strstr(err, "expected 1 to 64"), "%s", err);
    img.note.cpus_max = 4;
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 5, &cpus, err, sizeof(err)), -1);
    cr_assert(strstr(err, "the image runs at most 4 CPUs"), "%s", err);
    img.note.ap_entry = 0;
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 2, &cpus, err, sizeof(err)), -1);
    cr_assert(strstr(err, "no AP entry"), "%s", err);
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 1, &cpus, err, sizeof(err)), 0, "one CPU needs none");
    cr_assert_eq(img.cpus_end, 0);
}

Test(cpus, too_many_for_the_ram_refused)
{
    /* An image up to 7 MiB leaves 1 MiB: room for 12 blocks of 84 KiB. */
    img.end = 7 * MIB;
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 64, &cpus, err, sizeof(err)), -1);
    cr_assert(strstr(err, "give --mem more"), "%s", err);
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 14, &cpus, err, sizeof(err)), -1);
    cr_assert_eq(nfvm_cpus_place(&mem, &img, 13, &cpus, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(img.cpus_end, 7 * MIB + 12 * NFVM_CPU_BLOCK_SIZE);
}

Test(cpus, hostile_tables_refused)
{
    cpus.n = 3;
    cpus.block[1] = 2 * MIB;
    cpus.block[2] = 2 * MIB + NFVM_CPU_BLOCK_SIZE - 0x1000; /* one page shared */
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cr_assert(strstr(err, "the blocks of CPUs 1 and 2 overlap"), "%s", err);
    cpus.block[2] = 2 * MIB; /* the very same block */
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cpus.block[2] = 2 * MIB + NFVM_CPU_BLOCK_SIZE;
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 2 * MIB + 0x20000, 10, err, sizeof(err)), -1);
    cr_assert(strstr(err, "overlaps the initrd"), "%s", err);
    cpus.block[1] = MIB; /* on the image */
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cpus.block[1] = 2 * MIB + 8; /* not a page */
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cpus.block[1] = 8 * MIB - 0x1000; /* runs past RAM */
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cpus.block[1] = ~0ULL & ~0xfffULL; /* wraps */
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cpus.n = 0;
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1, "N = 0");
    cpus.n = NFVM_CPUS_MAX + 1;
    cr_assert_eq(nfvm_cpus_check(&mem, &img, &cpus, 0, 0, err, sizeof(err)), -1);
}

Test(cpus, above_the_boot_map_refused)
{
    struct nfvm_mem big;

    cr_assert_eq(nfvm_mem_create(&big, NFVM_CPU_BLOCKS_LIMIT + 4 * MIB), 0);
    cpus.n = 2;
    cpus.block[1] = NFVM_CPU_BLOCKS_LIMIT - 0x1000; /* in RAM, past 1 GiB at its end */
    cr_assert_eq(nfvm_cpus_check(&big, &img, &cpus, 0, 0, err, sizeof(err)), -1);
    cpus.block[1] = NFVM_CPU_BLOCKS_LIMIT - NFVM_CPU_BLOCK_SIZE;
    cr_assert_eq(nfvm_cpus_check(&big, &img, &cpus, 0, 0, err, sizeof(err)), 0, "%s", err);
    nfvm_mem_destroy(&big);
}

/* The boot info names every block; each block's head and TSS are set; the
 * memory map leaves the blocks out; the initrd goes above them. */
Test(cpus, boot_info_names_every_block)
{
    static const char rd[] = "an initrd";
    struct nfvm_boot_args a = { .cmdline = "x", .cpus = &cpus };
    struct nfvm_memmap_entry me[2];
    struct nfvm_boot_info bi;
    struct nfvm_cpu head;
    uint64_t table[3], rsp0;
    uint8_t *tss;

    cr_assert_eq(nfvm_cpus_place(&mem, &img, 3, &cpus, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(nfvm_initrd_place(&mem, &img, rd, sizeof(rd), &a.initrd, err, sizeof(err)), 0);
    a.initrd_size = sizeof(rd);
    cr_assert(a.initrd >= img.cpus_end);
    cr_assert_eq(nfvm_boot_write(&mem, &img, NFVM_BOOT_DIRECT, &a, err, sizeof(err)), 0, "%s", err);
    memcpy(&bi, mem.host + NFVM_BOOTINFO_GPA, sizeof(bi));
    cr_assert_eq(bi.abi_version, 3);
    cr_assert_eq(bi.cpus, 3);
    memcpy(table, mem.host + bi.cpu_table, sizeof(table));
    cr_assert_eq(table[0], 0);
    for (unsigned i = 1; i < 3; i++) {
        cr_assert_eq(table[i], cpus.block[i]);
        memcpy(&head, mem.host + table[i], sizeof(head));
        cr_assert_eq(head.id, i);
        cr_assert_eq(head.stack3_top, table[i] + NFVM_CPU_STACK3_TOP);
        cr_assert_eq(head.tss, table[i] + NFVM_CPU_TSS_OFF);
        tss = mem.host + head.tss;
        memcpy(&rsp0, tss + NFVM_TSS_RSP0_OFF, 8);
        cr_assert_eq(rsp0, head.stack0_top);
        cr_assert_eq(tss[NFVM_TSS_IOMAP_OFF], NFVM_TSS_HEAD_SIZE);
        cr_assert_eq(tss[NFVM_TSS_SIZE - 1], 0xff);
    }
    cr_assert_eq(bi.memmap_entries, 2);
    memcpy(me, mem.host + bi.memmap, sizeof(me));
    cr_assert_eq(me[0].addr + me[0].size, cpus.block[1], "RAM ends at the first block");
    cr_assert_eq(me[1].addr, img.cpus_end, "and starts again after the last");
    cr_assert_eq(me[1].addr + me[1].size, 8 * MIB);
}

Test(cpus, boot_write_refuses_what_the_image_cannot_run)
{
    struct nfvm_boot_args a = { .cmdline = "", .cpus = &cpus };

    cr_assert_eq(nfvm_cpus_place(&mem, &img, 2, &cpus, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(nfvm_boot_write(&mem, &img, NFVM_BOOT_PVH, &a, err, sizeof(err)), -1);
    cr_assert(strstr(err, "needs the direct entry"), "%s", err);
    img.note.cpus_max = 1;
    cr_assert_eq(nfvm_boot_write(&mem, &img, NFVM_BOOT_DIRECT, &a, err, sizeof(err)), -1);
    img.note.cpus_max = 2;
    img.note.ap_entry = 9 * MIB; /* outside RAM */
    cr_assert_eq(nfvm_boot_write(&mem, &img, NFVM_BOOT_DIRECT, &a, err, sizeof(err)), -1);
    cr_assert(strstr(err, "AP entry"), "%s", err);
}

Test(cpus, ap_entry_state)
{
    struct nfvm_cpu_features f = { .fsgsbase = 1 };
    struct kvm_sregs s = { 0 };
    struct kvm_regs r;
    uint64_t xcr0, b;

    cr_assert_eq(nfvm_cpus_place(&mem, &img, 2, &cpus, err, sizeof(err)), 0, "%s", err);
    b = cpus.block[1];
    nfvm_boot_cpu(&img, NFVM_BOOT_DIRECT, &f, b, &s, &r, &xcr0);
    cr_assert_eq(r.rip, img.note.ap_entry);
    cr_assert_eq(r.rdi, b);
    cr_assert_eq(r.rsp, b + NFVM_CPU_STACK3_TOP - 8);
    cr_assert_eq(s.gs.base, b);
    cr_assert_eq(s.tr.base, b + NFVM_CPU_TSS_OFF);
    cr_assert_eq(s.cs.dpl, 3);
    cr_assert_eq(s.cr3, img.note.pml4, "the same map as vCPU 0");
    cr_assert_eq(r.rflags & 0x3000, 0x3000, "IOPL 3");
}

/* --- the wait and wake ports ----------------------------------------- */

static struct nfvm vm;
static struct kvm_run *run;

static void vm_setup(void)
{
    testvm_open(&vm, 2);
    for (int i = 0; i < 2; i++)
        vm.cpu_wake[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    run = calloc(1, TESTVM_RUN_SIZE);
}

static void vm_teardown(void)
{
    close(vm.cpu_wake[0]);
    close(vm.cpu_wake[1]);
    testvm_close(&vm);
    free(run);
}

static int out(unsigned cpu, uint16_t port, uint32_t v, uint8_t size)
{
    return testvm_out(&vm, run, cpu, port, v, size);
}

TestSuite(ports, .init = vm_setup, .fini = vm_teardown, .timeout = 30);

Test(ports, a_wake_before_the_wait_is_not_lost)
{
    cr_assert_eq(out(0, NFVM_PORT_CPU_WAKE, 1, 4), NFVM_RUNNING);
    /* No limit: only the pending wake-up can end this wait. */
    cr_assert_eq(out(1, NFVM_PORT_CPU_WAIT, 0, 4), NFVM_RUNNING);
    cr_assert_eq(vm.idle.cpu_wakes, 1);
    cr_assert_eq(vm.idle.cpu_waits, 1);
    cr_assert_eq(out(1, NFVM_PORT_CPU_WAIT, 1000, 4), NFVM_RUNNING, "then the timer ends one");
}

static void *waker(void *arg)
{
    (void)arg;
    usleep(20000);
    out(1, NFVM_PORT_CPU_WAKE, 0, 4);
    return NULL;
}

Test(ports, another_vcpu_wakes_a_waiting_one)
{
    struct kvm_run *mine = calloc(1, TESTVM_RUN_SIZE);
    pthread_t t;

    cr_assert_eq(pthread_create(&t, NULL, waker, NULL), 0);
    cr_assert_eq(testvm_out(&vm, mine, 0, NFVM_PORT_CPU_WAIT, 0, 4), NFVM_RUNNING); /* no limit */
    pthread_join(t, NULL);
    cr_assert_eq(vm.idle.cpu_wakes, 1);
    free(mine);
}

Test(ports, a_stop_ends_a_wait)
{
    uint64_t one = 1;

    cr_assert_eq(write(vm.stop_fd, &one, 8), 8); /* as a stopping vCPU does */
    cr_assert_eq(out(0, NFVM_PORT_CPU_WAIT, 0, 4), NFVM_RUNNING);
}

Test(ports, wild_wakes_end_the_guest_naming_the_vcpu)
{
    int p[2], saved = dup(2);
    char buf[512] = "";
    ssize_t n;

    cr_assert_eq(pipe(p), 0);
    dup2(p[1], 2);
    cr_assert_eq(out(1, NFVM_PORT_CPU_WAKE, 2, 4), NFVM_STATUS_BAD_GUEST, "no vCPU 2");
    cr_assert_eq(out(1, NFVM_PORT_CPU_WAKE, 0xffffffff, 4), NFVM_STATUS_BAD_GUEST);
    cr_assert_eq(out(1, NFVM_PORT_CPU_WAIT, 0, 2), NFVM_STATUS_BAD_GUEST, "a 2-byte write");
    cr_assert_eq(out(1, 0x1234, 0, 4), NFVM_STATUS_BAD_GUEST);
    dup2(saved, 2);
    close(saved);
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    cr_assert(n > 0);
    cr_assert(strstr(buf, "nfvm: vcpu 1: guest woke vCPU 2 of 2: no such vCPU"), "%s", buf);
    cr_assert(strstr(buf, "nfvm: vcpu 1: guest wrote port 0xf9 (size 2"), "%s", buf);
    cr_assert(strstr(buf, "nfvm: vcpu 1: guest wrote port 0x1234"), "%s", buf);
}
