/* nfvm's idle port driven by synthetic exits, no /dev/kvm: ARM then SLEEP
 * until a frame reached the receive queue or the timer ran out, the stop
 * eventfd, and every malformed or hopeless request ending the guest. The
 * "frame" is the vnet's wake-up as its I/O thread gives it (the ring side
 * is test_vnet.c's idle test); two idle vCPUs armed on one device both
 * wake. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "layout.h"
#include "testvm.h"
#include "vnet.h"

#define MIB (1ULL << 20)
#define REC 0x200000ULL /* the guest's struct nfvm_idle */

static struct nfvm vm;
static struct kvm_run *run;
static struct nfvm_vnet *net[2];

static void setup(void)
{
    testvm_open(&vm, 2);
    for (int c = 0; c < 2; c++)
        vm.idle_fd[c] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    cr_assert_eq(nfvm_mem_create(&vm.mem, 4 * MIB), 0);
    for (int i = 0; i < 2; i++) {
        net[i] = calloc(1, sizeof(*net[i]));
        cr_assert_eq(nfvm_vnet_init(net[i], &vm.mem, NFVM_MMIO_BASE + i * NFVM_MMIO_SIZE, NULL,
                                    (unsigned)i, 1),
                     0);
        net[i]->idle_fd = vm.idle_fd;
        vm.net[vm.nr_net++] = net[i];
    }
    run = calloc(1, TESTVM_RUN_SIZE);
}

static void teardown(void)
{
    for (int i = 0; i < 2; i++) {
        close(net[i]->wake);
        free(net[i]);
    }
    close(vm.idle_fd[0]);
    close(vm.idle_fd[1]);
    testvm_close(&vm);
    nfvm_mem_destroy(&vm.mem);
    free(run);
}

static struct nfvm_idle *rec(void)
{
    return (struct nfvm_idle *)(vm.mem.host + REC);
}

/* One outl(NFVM_PORT_IDLE, gpa) exit of vCPU cpu. */
static int idle_out_cpu(unsigned cpu, uint32_t gpa, uint8_t size)
{
    return testvm_out(&vm, run, cpu, NFVM_PORT_IDLE, gpa, size);
}

static int idle_out(uint32_t gpa, uint8_t size)
{
    return idle_out_cpu(0, gpa, size);
}

static int idle_cpu(unsigned cpu, uint32_t op, uint32_t devices, uint64_t timeout_ns)
{
    *rec() = (struct nfvm_idle){ .op = op, .devices = devices, .timeout_ns = timeout_ns };
    return idle_out_cpu(cpu, (uint32_t)REC, 4);
}

static int idle(uint32_t op, uint32_t devices, uint64_t timeout_ns)
{
    return idle_cpu(0, op, devices, timeout_ns);
}

static uint64_t ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* What the I/O thread does when a frame lands while armed. */
static void frame_lands(struct nfvm_vnet *n)
{
    cr_assert(n->armed, "armed by ARM");
    nfvm_vnet_idle_wake(n);
    cr_assert_eq(n->armed, 0, "one-shot");
}

TestSuite(idle, .init = setup, .fini = teardown);

Test(idle, the_timer_ends_a_sleep)
{
    struct timespec t0;

    cr_assert_eq(idle(NFVM_IDLE_ARM, NFVM_IDLE_ALL, 0), NFVM_RUNNING);
    cr_assert(net[0]->armed == 1 && net[1]->armed == 1, "vCPU 0 on both");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, NFVM_IDLE_ALL, 20000000), NFVM_RUNNING);
    cr_assert_geq(ms_since(&t0), 19);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_TIMER);
    cr_assert_geq(rec()->slept_ns, 19000000);
    cr_assert_eq(vm.idle.arms, 1);
    cr_assert_eq(vm.idle.sleeps, 1);
    cr_assert_eq(vm.idle.woken_timer, 1);
}

Test(idle, a_frame_after_arm_ends_the_sleep_at_once)
{
    struct timespec t0;

    cr_assert_eq(idle(NFVM_IDLE_ARM, 1u << 1, 0), NFVM_RUNNING);
    cr_assert_not(net[0]->armed, "only the devices named");
    frame_lands(net[1]); /* between the guest's last poll and its SLEEP */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, 1u << 1, 0), NFVM_RUNNING, "no timer: the frame ends it");
    cr_assert_lt(ms_since(&t0), 1000);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV);
    cr_assert_eq(vm.idle.woken_dev, 1);
}

Test(idle, a_wake_up_from_before_the_arm_is_forgotten)
{
    uint64_t one = 1;

    cr_assert_eq(write(vm.idle_fd[0], &one, 8), 8); /* a frame the guest has seen */
    cr_assert_eq(idle(NFVM_IDLE_ARM, 1, 0), NFVM_RUNNING);
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, 1, 5000000), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_TIMER);
}

static void *land_later(void *arg)
{
    struct timespec d = { 0, 30000000 };

    nanosleep(&d, NULL);
    frame_lands(arg);
    return NULL;
}

Test(idle, a_frame_from_the_io_thread_wakes_a_sleep)
{
    struct timespec t0;
    pthread_t t;

    cr_assert_eq(idle(NFVM_IDLE_ARM, NFVM_IDLE_ALL, 0), NFVM_RUNNING);
    cr_assert_eq(pthread_create(&t, NULL, land_later, net[0]), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, NFVM_IDLE_ALL, 10000000000ULL), NFVM_RUNNING);
    pthread_join(t, NULL);
    cr_assert_lt(ms_since(&t0), 5000, "woken by the frame, not the 10 s timer");
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV);
}

/* Two idle lcores armed on one device: the frame wakes both, whichever
 * sleeps first, and the second to sleep does not miss it. */
Test(idle, a_frame_wakes_every_vcpu_armed)
{
    cr_assert_eq(idle_cpu(0, NFVM_IDLE_ARM, 1, 0), NFVM_RUNNING);
    cr_assert_eq(idle_cpu(1, NFVM_IDLE_ARM, 1, 0), NFVM_RUNNING);
    cr_assert_eq(net[0]->armed, 3);
    frame_lands(net[0]);
    cr_assert_eq(idle_cpu(0, NFVM_IDLE_SLEEP, 1, 5000000000ULL), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV);
    cr_assert_eq(idle_cpu(0, NFVM_IDLE_ARM, 1, 0), NFVM_RUNNING, "vCPU 0 again: no frame");
    cr_assert_eq(idle_cpu(1, NFVM_IDLE_SLEEP, 1, 5000000000ULL), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV, "vCPU 1 got its wake-up too");
    cr_assert_eq(idle_cpu(0, NFVM_IDLE_SLEEP, 1, 5000000), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_TIMER, "nothing new for vCPU 0");
    cr_assert_eq(vm.idle.woken_dev, 2);
}

/* vhost-user: the backend signals one call eventfd; the vCPU whose sleep
 * reads it wakes the other armed vCPU, which is not asleep yet. */
Test(idle, a_vhost_call_read_by_one_wakes_the_other)
{
    struct nfvm_vhost v = { .running = 0 };
    uint64_t one = 1;

    net[0]->vhost = &v;
    cr_assert_eq(idle_cpu(0, NFVM_IDLE_ARM, 1, 0), NFVM_RUNNING);
    cr_assert_eq(idle_cpu(1, NFVM_IDLE_ARM, 1, 0), NFVM_RUNNING);
    cr_assert_eq(write(net[0]->wake, &one, 8), 8); /* the backend's call */
    cr_assert_eq(idle_cpu(0, NFVM_IDLE_SLEEP, 1, 5000000000ULL), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV);
    cr_assert_eq(idle_cpu(1, NFVM_IDLE_SLEEP, 1, 5000000000ULL), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV, "forwarded by vCPU 0");
    net[0]->vhost = NULL;
}

/* NFVM_IDLE_CONSOLE: a guest waiting for console input sleeps until
 * stdin has a byte (at once when one waits), or its timer. */
static void *type_later(void *arg)
{
    struct timespec d = { 0, 30000000 };

    nanosleep(&d, NULL);
    (void)!write(*(int *)arg, "x", 1);
    return NULL;
}

Test(idle, a_console_sleep_ends_when_stdin_has_a_byte)
{
    struct timespec t0;
    pthread_t t;
    int p[2];

    cr_assert_eq(pipe(p), 0);
    vm.con.input = 1;
    vm.con.in_fd = p[0];
    cr_assert_eq(idle(NFVM_IDLE_CONSOLE, 0, 5000000), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_TIMER, "nothing typed: the timer");
    cr_assert_eq(pthread_create(&t, NULL, type_later, &p[1]), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(idle(NFVM_IDLE_CONSOLE, 0, 0), NFVM_RUNNING, "no timer: the byte ends it");
    pthread_join(t, NULL);
    cr_assert_lt(ms_since(&t0), 5000);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV);
    cr_assert_eq(nfvm_com1_read(&vm.con, 0), 'x');
    close(p[1]);
    cr_assert_eq(idle(NFVM_IDLE_CONSOLE, 0, 0), NFVM_RUNNING, "the end wakes too");
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_DEV);
    cr_assert(nfvm_console_rx_ready(&vm.con));
    cr_assert_eq(idle(NFVM_IDLE_CONSOLE, 0, 0), NFVM_RUNNING, "the ^D waits: at once");
    cr_assert_eq(nfvm_com1_read(&vm.con, 0), 0x04);
    cr_assert_eq(vm.idle.sleeps, 4);
    close(vm.stop_fd);
    vm.stop_fd = -1;
    cr_assert_eq(idle(NFVM_IDLE_CONSOLE, 0, 0), NFVM_STATUS_BAD_GUEST,
                 "input ended, no stop, no timer: it could never end");
    close(p[0]);
}

Test(idle, a_stop_signal_ends_a_sleep)
{
    uint64_t one = 1;

    vm.stop_signal = 15;
    cr_assert_eq(write(vm.stop_fd, &one, 8), 8); /* as on_stop does */
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, NFVM_IDLE_ALL, 0), NFVM_RUNNING);
    cr_assert_eq(rec()->woken, NFVM_IDLE_WOKE_TIMER);
}

Test(idle, hopeless_or_malformed_requests_end_the_guest)
{
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, 0, 0), NFVM_STATUS_BAD_GUEST, "nothing could wake it");
    vm.nr_net = 0;
    cr_assert_eq(idle(NFVM_IDLE_SLEEP, NFVM_IDLE_ALL, 0), NFVM_STATUS_BAD_GUEST,
                 "no device to wake it");
    vm.nr_net = 2;
    cr_assert_eq(idle(7, NFVM_IDLE_ALL, 0), NFVM_STATUS_BAD_GUEST, "unknown op");
    cr_assert_eq(idle_out((uint32_t)(4 * MIB - 8), 4), NFVM_STATUS_BAD_GUEST, "runs past RAM");
    cr_assert_eq(idle_out(0xfffffff8u, 4), NFVM_STATUS_BAD_GUEST, "outside RAM");
    cr_assert_eq(idle_out((uint32_t)REC + 4, 4), NFVM_STATUS_BAD_GUEST, "misaligned");
    *rec() = (struct nfvm_idle){ .op = NFVM_IDLE_ARM, .devices = NFVM_IDLE_ALL };
    cr_assert_eq(idle_out((uint32_t)REC, 1), NFVM_STATUS_BAD_GUEST, "not one 4-byte write");
    cr_assert_eq(vm.idle.sleeps, 0);
}
