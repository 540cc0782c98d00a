/* nfvm's exit handler driven by synthetic KVM exits, no /dev/kvm: the
 * console, the exit port, and every way a guest can be ended by nfvm. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nfvm.h"
#include "testvm.h"

#define RUN_SIZE TESTVM_RUN_SIZE

static struct nfvm vm;
static struct kvm_run *run;
static int rd; /* the read end of the console's pipe */

static void setup(void)
{
    int p[2];

    cr_assert_eq(pipe(p), 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    memset(&vm, 0, sizeof(vm));
    vm.con.fd = p[1];
    vm.stop_fd = -1;
    rd = p[0];
    run = calloc(1, RUN_SIZE);
}

static void teardown(void)
{
    close(rd);
    if (vm.con.fd >= 0)
        close(vm.con.fd);
    free(run);
}

/* A port exit whose data sits at the usual offset. */
static uint8_t *port(uint8_t dir, uint16_t p, uint8_t size, uint32_t count)
{
    return testvm_port(run, dir, p, size, count);
}

static int out_str(const char *s)
{
    memcpy(port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE, 1, strlen(s)), s, strlen(s));
    return nfvm_exit_handle(&vm, 0, run, RUN_SIZE);
}

static int out_exit(uint32_t v)
{
    return testvm_out(&vm, run, 0, NFVM_PORT_EXIT, v, 4);
}

static size_t drain(char *buf, size_t cap)
{
    ssize_t n = read(rd, buf, cap);

    return n > 0 ? (size_t)n : 0;
}

TestSuite(exit, .init = setup, .fini = teardown);

Test(exit, console_waits_for_the_end_of_a_line)
{
    char buf[64] = { 0 };

    cr_assert_eq(out_str("Hel"), NFVM_RUNNING);
    cr_assert_eq(out_str("lo"), NFVM_RUNNING);
    cr_assert_eq(drain(buf, sizeof(buf)), 0, "nothing before the newline");
    cr_assert_eq(out_str("!\nnext"), NFVM_RUNNING);
    cr_assert_eq(drain(buf, sizeof(buf)), 11);
    cr_assert_str_eq(buf, "Hello!\nnext");
}

Test(exit, exit_port_gives_the_guest_status_and_flushes)
{
    char buf[64] = { 0 };

    out_str("partial");
    cr_assert_eq(out_exit(42), 42);
    cr_assert(vm.guest_exited);
    cr_assert_eq(drain(buf, sizeof(buf)), 7);
    cr_assert_str_eq(buf, "partial");
}

Test(exit, exit_status_keeps_seven_bits)
{
    cr_assert_eq(out_exit(0x1ff), 0x7f);
    cr_assert_eq(out_exit(0), 0);
}

Test(exit, exit_port_of_any_width)
{
    uint8_t *d = port(KVM_EXIT_IO_OUT, NFVM_PORT_EXIT, 1, 1);

    d[0] = 5;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), 5);
}

Test(exit, a_long_line_goes_out_whole)
{
    static char big[3 * NFVM_CONSOLE_LINE + 100], got[sizeof(big)];
    size_t n = 0, k;

    memset(big, 'x', sizeof(big));
    /* In exits of at most 1000 bytes, as a guest's rep outsb would come. */
    for (size_t off = 0; off < sizeof(big); off += 1000) {
        k = sizeof(big) - off < 1000 ? sizeof(big) - off : 1000;
        memcpy(port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE, 1, k), big + off, k);
        cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    }
    n = drain(got, sizeof(got));
    cr_assert_eq(n, 3 * NFVM_CONSOLE_LINE, "full buffers go out, the rest waits");
    nfvm_console_flush(&vm.con);
    n += drain(got + n, sizeof(got) - n);
    cr_assert_eq(n, sizeof(big));
    cr_assert_eq(memcmp(got, big, sizeof(big)), 0);
}

Test(exit, a_closed_console_counts_what_it_lost)
{
    close(rd);
    rd = open("/dev/null", O_RDONLY);
    close(vm.con.fd);
    vm.con.fd = -1;
    cr_assert_eq(out_str("lost\n"), NFVM_RUNNING);
    cr_assert_eq(vm.con.lost, 5);
}

Test(exit, uart_status_says_ready)
{
    uint8_t *d = port(KVM_EXIT_IO_IN, NFVM_PORT_CONSOLE + 5, 1, 1);

    d[0] = 0;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    cr_assert_eq(d[0], 0x60);
    port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE + 3, 1, 1)[0] = 0x03; /* LCR */
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
}

/* One byte read from COM1's register off. */
static uint8_t com1_in(unsigned off)
{
    uint8_t *d = port(KVM_EXIT_IO_IN, (uint16_t)(NFVM_PORT_CONSOLE + off), 1, 1);

    d[0] = 0xcc;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    return d[0];
}

static void com1_out(unsigned off, uint8_t v)
{
    port(KVM_EXIT_IO_OUT, (uint16_t)(NFVM_PORT_CONSOLE + off), 1, 1)[0] = v;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
}

/* The guest's probe (plat/kvm/serial_in.c): a scratch register that holds
 * means a UART with a receiver; IER and LCR read back, IIR says no
 * interrupt (nfvm raises none). */
Test(exit, uart_registers_hold_what_the_guest_wrote)
{
    com1_out(7, 0xa5);
    cr_assert_eq(com1_in(7), 0xa5);
    com1_out(1, 0x01);
    cr_assert_eq(com1_in(1), 0x01);
    com1_out(3, 0x03);
    cr_assert_eq(com1_in(3), 0x03);
    cr_assert_eq(com1_in(2), 0x01);
    cr_assert_eq(com1_in(5), 0x60, "no input: never data ready");
}

/* stdin feeds the receiver: LSR's data ready while a byte waits, RBR
 * gives them in order (a rep insb too), then one ^D after the end. */
Test(exit, stdin_feeds_the_receiver_then_one_eof)
{
    int p[2];
    uint8_t *d;

    cr_assert_eq(pipe(p), 0);
    vm.con.input = 1;
    vm.con.in_fd = p[0];
    cr_assert_eq(com1_in(5), 0x60, "nothing yet");
    cr_assert_eq(com1_in(0), 0, "RBR with nothing there");
    cr_assert_eq(write(p[1], "hey", 3), 3);
    cr_assert_eq(com1_in(5), 0x61, "data ready");
    cr_assert_eq(com1_in(0), 'h');
    d = port(KVM_EXIT_IO_IN, NFVM_PORT_CONSOLE, 1, 2);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    cr_assert_eq(memcmp(d, "ey", 2), 0, "rep insb");
    cr_assert_eq(com1_in(5), 0x60);
    close(p[1]);
    cr_assert_eq(com1_in(5), 0x61, "the end reads as a byte");
    cr_assert_eq(com1_in(0), 0x04, "^D");
    cr_assert_eq(com1_in(5), 0x60, "once");
    cr_assert_eq(vm.con.in_fd, -1);
    cr_assert_eq(vm.con.rx_bytes, 4);
    close(p[0]);
}

Test(exit, wild_ports_end_the_guest)
{
    port(KVM_EXIT_IO_OUT, 0x80, 1, 1);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    port(KVM_EXIT_IO_IN, 0x61, 1, 1);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    cr_assert_not(vm.guest_exited);
}

Test(exit, no_pci_answers_all_ones)
{
    uint32_t v = 0x80000000;

    memcpy(port(KVM_EXIT_IO_OUT, 0xcf8, 4, 1), &v, 4);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    memset(port(KVM_EXIT_IO_IN, 0xcfc, 4, 1), 0, 4);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    memcpy(&v, (uint8_t *)run + 1024, 4);
    cr_assert_eq(v, 0xffffffff);
    run->exit_reason = KVM_EXIT_MMIO;
    run->mmio.phys_addr = 0xe0000000; /* microvm's ECAM */
    run->mmio.len = 4;
    run->mmio.is_write = 0;
    memset(run->mmio.data, 0, 8);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_RUNNING);
    cr_assert_eq(run->mmio.data[0], 0xff);
    run->mmio.is_write = 1;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST, "writes are not");
}

Test(exit, malformed_port_exits_are_refused)
{
    port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE, 3, 1);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE, 1, RUN_SIZE);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST,
                 "data past the kvm_run mapping");
    port(KVM_EXIT_IO_IN, NFVM_PORT_CONSOLE + 5, 4, 0x40000000);
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE, 1, 1);
    run->io.data_offset = 0xffffffffffffull;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
}

Test(exit, other_exits_have_their_own_status)
{
    char buf[16] = { 0 };

    out_str("bye");
    run->exit_reason = KVM_EXIT_SHUTDOWN;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_SHUTDOWN);
    cr_assert_eq(drain(buf, sizeof(buf)), 3, "the console is flushed first");
    run->exit_reason = KVM_EXIT_MMIO;
    run->mmio.phys_addr = 0x40000000; /* not in the MMIO hole */
    run->mmio.len = 4;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    run->exit_reason = KVM_EXIT_HLT;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    run->exit_reason = KVM_EXIT_FAIL_ENTRY;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_KVM);
    run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_KVM);
    run->exit_reason = 9999;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST);
    cr_assert_eq(vm.exits, 7);
}

/* NFVM_PORT_CONSOLE_BUF: the record at REC names bytes at TEXT. */
#define CB_REC  0x1000
#define CB_TEXT 0x2000

static int console_buf_out(uint64_t addr, uint32_t len, uint32_t reserved, uint32_t rec_gpa)
{
    struct nfvm_console_buf r = { .addr = addr, .len = len, .reserved = reserved };

    memcpy(vm.mem.host + CB_REC, &r, sizeof(r));
    return testvm_out(&vm, run, 0, NFVM_PORT_CONSOLE_BUF, rec_gpa, 4);
}

Test(exit, console_buffer_port_prints_the_named_bytes)
{
    char buf[64] = { 0 };

    cr_assert_eq(nfvm_mem_create(&vm.mem, 2 << 20), 0);
    memcpy(vm.mem.host + CB_TEXT, "Hello from nfos!\n", 17);
    cr_assert_eq(console_buf_out(CB_TEXT, 17, 0, CB_REC), NFVM_RUNNING);
    cr_assert_eq(console_buf_out(CB_TEXT, 0, 0, CB_REC), NFVM_RUNNING, "an empty write is fine");
    cr_assert_eq(drain(buf, sizeof(buf)), 17);
    cr_assert_str_eq(buf, "Hello from nfos!\n");
    nfvm_mem_destroy(&vm.mem);
}

Test(exit, console_buffer_port_refuses_what_is_not_guest_ram)
{
    uint8_t *d;

    cr_assert_eq(nfvm_mem_create(&vm.mem, 2 << 20), 0);
    cr_assert_eq(console_buf_out(CB_TEXT, 4, 0, CB_REC + 4), NFVM_STATUS_BAD_GUEST, "unaligned");
    cr_assert_eq(console_buf_out(CB_TEXT, 4, 0, (2 << 20) - 8), NFVM_STATUS_BAD_GUEST,
                 "a record running past RAM");
    cr_assert_eq(console_buf_out((2 << 20) - 2, 4, 0, CB_REC), NFVM_STATUS_BAD_GUEST,
                 "bytes running past RAM");
    cr_assert_eq(console_buf_out(UINT64_MAX - 1, 4, 0, CB_REC), NFVM_STATUS_BAD_GUEST,
                 "an address that wraps");
    cr_assert_eq(console_buf_out(CB_TEXT, 4, 1, CB_REC), NFVM_STATUS_BAD_GUEST, "reserved set");
    d = port(KVM_EXIT_IO_OUT, NFVM_PORT_CONSOLE_BUF, 1, 1);
    d[0] = 0;
    cr_assert_eq(nfvm_exit_handle(&vm, 0, run, RUN_SIZE), NFVM_STATUS_BAD_GUEST, "a byte write");
    nfvm_mem_destroy(&vm.mem);
}
