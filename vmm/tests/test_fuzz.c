/* Random exits and random ring contents against nfvm, under the unit
 * tests' ASan/UBSan: whatever a hostile guest writes into its registers,
 * exits and rings, nfvm must answer with a status or carry on, never read
 * or write outside what it owns. Seeded, so a failure repeats. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "layout.h"
#include "vnet.h"

#define RUN_SIZE 4096
#define ROUNDS   20000
#define MIB      (1ULL << 20)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)p)[i] = (uint8_t)rnd();
}

#define CTRLQ  0x240000ULL /* the control queue's rings when rss_command() posts */
#define RSSCMD 0x280000ULL /* its command */

/* An RSS_CONFIG close to what a driver sends (a power-of-two table over
 * pairs 0 and 1, a key), a few of its bytes or its length then garbled,
 * chained (header, data, ack) on the control queue, RSS agreed: both the
 * configurations nfvm takes and those it refuses, each check, get
 * reached. Then the notify that has the vCPU thread answer it. */
static void rss_command(struct nfvm_vnet *n, const struct nfvm_mem *m)
{
    struct nfvm_vq *q = &n->q[4];
    unsigned entries = 1u << (rnd() % 9), key = rnd() % 4 ? 40 : (unsigned)(rnd() % 48);
    uint32_t types = rnd() % 4 ? 7 : (uint32_t)rnd(), len = 8 + 2 * entries + 3 + key;
    uint16_t mask = (uint16_t)(entries - 1), zero = 0, tx = (uint16_t)(1 + rnd() % 2);
    uint8_t *d = m->host + RSSCMD + 16, *desc;

    m->host[RSSCMD] = 4; /* VIRTIO_NET_CTRL_MQ, RSS_CONFIG */
    m->host[RSSCMD + 1] = 1;
    memcpy(d, &types, 4);
    memcpy(d + 4, &mask, 2);
    memcpy(d + 6, &zero, 2);
    for (unsigned i = 0; i < entries; i++)
        d[8 + 2 * i] = (uint8_t)(rnd() % 2), d[9 + 2 * i] = 0;
    memcpy(d + 8 + 2 * entries, &tx, 2);
    d[10 + 2 * entries] = (uint8_t)key;
    fill(d + 11 + 2 * entries, key);
    for (unsigned k = rnd() % 3; k; k--) /* a few bytes garbled, or none */
        d[rnd() % len] = (uint8_t)rnd();
    len = rnd() % 8 ? len : (uint32_t)(rnd() % 1024);
    nfvm_vq_reset(q);
    q->size = 8;
    q->desc_gpa = CTRLQ, q->avail_gpa = CTRLQ + 0x1000, q->used_gpa = CTRLQ + 0x2000;
    desc = m->host + CTRLQ;
    memset(desc, 0, 0x3000);
    for (int i = 0; i < 3; i++) {
        uint64_t addr = i == 0 ? RSSCMD : i == 1 ? RSSCMD + 16 : RSSCMD + 0x1000;
        uint32_t l = i == 0 ? 2 : i == 1 ? len : 1;
        uint16_t flags = i < 2 ? 1 : 2, next = (uint16_t)(i + 1);

        memcpy(desc + 16 * i, &addr, 8);
        memcpy(desc + 16 * i + 8, &l, 4);
        memcpy(desc + 16 * i + 12, &flags, 2);
        memcpy(desc + 16 * i + 14, &next, 2);
    }
    m->host[CTRLQ + 0x1000 + 2] = 1; /* avail.idx 1, ring[0] = chain 0 */
    if (nfvm_vq_enable(q, m) < 0)
        return;
    /* Pairs 0 and 1 ready (rings where the fuzz loop puts them), so that
     * a sound configuration is taken. */
    for (int i = 0; i < 4; i++) {
        if (n->q[i].ready)
            continue;
        n->q[i].size = 8;
        n->q[i].desc_gpa = 0x200000 + 0x10000 * (uint64_t)i;
        n->q[i].avail_gpa = n->q[i].desc_gpa + 0x4000;
        n->q[i].used_gpa = n->q[i].desc_gpa + 0x8000;
        nfvm_vq_enable(&n->q[i], m);
    }
    n->driver_features |= 1ULL << 60;
    nfvm_vnet_mmio(n, 0x050, (uint8_t *)&(uint32_t){ 4 }, 4, true);
}

/* An exit the way a guest could shape it, or KVM never would. */
static void random_exit(struct kvm_run *run)
{
    static const uint32_t reasons[] = {
        KVM_EXIT_IO,  KVM_EXIT_MMIO,       KVM_EXIT_SHUTDOWN,
        KVM_EXIT_HLT, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR
    };
    uint64_t r = rnd();

    fill(run, 512);
    run->exit_reason = r % 8 < 6 ? reasons[r % 6] : (uint32_t)rnd();
    if (run->exit_reason == KVM_EXIT_IO) {
        static const uint16_t ports[] = { 0x3f8, 0x3fd, 0xf4, 0xcf8, 0x3ff,
                                          0x80,  0xf8,  0xf8, 0xf9,  0xfa };

        run->io.port = rnd() % 4 ? ports[rnd() % 10] : (uint16_t)rnd();
        run->io.size = rnd() % 4 ? (uint8_t)(1u << (rnd() % 3)) : (uint8_t)rnd();
        run->io.count = rnd() % 4 ? 1 + rnd() % 64 : (uint32_t)rnd();
        run->io.data_offset = rnd() % 4 ? 1024 + rnd() % 2048 : rnd();
        if (run->io.port == NFVM_PORT_IDLE && rnd() % 2) {
            /* An idle record in the fuzzed page, aligned or not. */
            uint32_t gpa = (uint32_t)(0x200000 + rnd() % 0x20000);

            run->io.size = 4;
            run->io.count = 1;
            run->io.direction = KVM_EXIT_IO_OUT;
            run->io.data_offset = 1024;
            memcpy((uint8_t *)run + 1024, &gpa, 4);
        }
    } else if (run->exit_reason == KVM_EXIT_MMIO) {
        run->mmio.phys_addr = rnd() % 4 ? NFVM_MMIO_BASE + rnd() % 0x200 : rnd();
        run->mmio.len = rnd() % 4 ? 1u << (rnd() % 4) : (uint32_t)rnd();
    }
}

Test(fuzz, random_exits_and_rings)
{
    static struct nfvm vm;
    struct kvm_run *run = calloc(1, RUN_SIZE);
    struct nfvm_vnet *n = calloc(1, sizeof(*n));
    int sv[2], in[2], null = open("/dev/null", O_WRONLY), saved;
    uint8_t frame[1600];

    cr_assert_eq(nfvm_mem_create(&vm.mem, 4 * MIB), 0);
    /* Two queue pairs: MQ's registers and the control queue fuzzed too,
     * RSS offered: its command, and with it in force the steering of the
     * frames below (rss_command). */
    cr_assert_eq(nfvm_vnet_init(n, &vm.mem, NFVM_MMIO_BASE, NULL, 0, 2), 0);
    cr_assert_eq(nfvm_vnet_offer_rss(n), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
    n->tap[0] = sv[0];
    vm.net[0] = n;
    vm.nr_net = 1;
    vm.con.fd = null;
    /* A stop that is always pending: a fuzzed idle sleep or vCPU wait
     * returns at once. Two vCPUs: the wake port has one to name. */
    vm.stop_fd = eventfd(1, EFD_NONBLOCK);
    vm.nr_cpus = 2;
    for (int c = 0; c < 2; c++) {
        vm.cpu_wake[c] = eventfd(0, EFD_NONBLOCK);
        vm.idle_fd[c] = eventfd(0, EFD_NONBLOCK);
    }
    n->idle_fd = vm.idle_fd;
    /* COM1's receiver on a pipe the rounds below write now and then. */
    cr_assert_eq(pipe(in), 0);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    vm.con.input = 1;
    vm.con.in_fd = in[0];
    saved = dup(2); /* every refused exit says so on stderr: not here */
    dup2(null, 2);
    for (int i = 0; i < ROUNDS; i++) {
        int st;

        random_exit(run);
        if (run->exit_reason == KVM_EXIT_IO && run->io.port == NFVM_PORT_IDLE && rnd() % 2) {
            /* Now and then a well-formed request, so every op runs. */
            uint32_t gpa = (uint32_t)(0x200000 + (rnd() % 0x1000) * 8);
            struct nfvm_idle r = { .op = 1 + (uint32_t)(rnd() % 3),
                                   .devices = (uint32_t)rnd(),
                                   .timeout_ns = rnd() % 1000 };

            memcpy(vm.mem.host + gpa, &r, sizeof(r));
            run->io.direction = KVM_EXIT_IO_OUT;
            run->io.data_offset = 1024;
            memcpy((uint8_t *)run + 1024, &gpa, 4);
            run->io.size = 4;
            run->io.count = 1;
        }
        if (run->exit_reason == KVM_EXIT_IO && rnd() % 2 &&
            (run->io.port == NFVM_PORT_CPU_WAIT || run->io.port == NFVM_PORT_CPU_WAKE)) {
            /* A well-formed wait (a stop is pending) or wake (of vCPU 0, 1
             * or 2, which is none). */
            uint32_t v = (uint32_t)(rnd() % 3);

            run->io.direction = KVM_EXIT_IO_OUT;
            run->io.data_offset = 1024;
            memcpy((uint8_t *)run + 1024, &v, 4);
            run->io.size = 4;
            run->io.count = 1;
        }
        st = nfvm_exit_handle(&vm, (unsigned)(i & 1), run, RUN_SIZE);
        cr_assert(st == NFVM_RUNNING || (st >= 0 && st <= 255), "status %d", st);
        if (i % 16 == 0) {
            /* Rings wherever the registers put them, with random contents;
             * now and then a queue pointed at the fuzzed page on purpose. */
            if (rnd() % 4 == 0) {
                for (int q = 0; q < 5; q++) {
                    nfvm_vq_reset(&n->q[q]);
                    n->q[q].size = (uint16_t)(1 + rnd() % NFVM_VQ_SIZE_MAX);
                    n->q[q].desc_gpa = 0x200000 + 0x10000 * q;
                    n->q[q].avail_gpa = n->q[q].desc_gpa + 0x4000;
                    n->q[q].used_gpa = n->q[q].desc_gpa + 0x8000;
                    nfvm_vq_enable(&n->q[q], &vm.mem);
                }
            }
            fill(vm.mem.host + 0x200000, 0x50000);
            fill(frame, sizeof(frame));
            if (rnd() % 2) { /* mostly IPv4, TCP or UDP: what RSS hashes */
                frame[12] = 0x08, frame[13] = 0;
                frame[14] = rnd() % 4 ? 0x45 : frame[14];
                frame[23] = rnd() % 2 ? 6 : 17;
            }
            (void)!write(sv[1], frame, 14 + rnd() % (sizeof(frame) - 14));
            (void)!write(in[1], frame, rnd() % 8);
            nfvm_vnet_poll(n);
            while (read(sv[1], frame, sizeof(frame)) > 0)
                ;
            {
                uint32_t ctrlq = 4; /* QueueNotify of the control queue */

                nfvm_vnet_mmio(n, 0x050, (uint8_t *)&ctrlq, 4, true);
            }
            if (rnd() % 4 == 0)
                rss_command(n, &vm.mem);
        }
    }
    cr_assert(vm.idle.arms && vm.idle.sleeps, "the idle port was reached");
    cr_assert(n->ctrl_cmds + n->q[4].bad, "the control queue was reached");
    cr_assert(n->rss_sets && n->ctrl_errors, "RSS_CONFIG taken and refused");
    cr_assert(n->rx_packets + n->rx_drops, "frames reached the receive rings");
    cr_assert(vm.idle.cpu_waits && vm.idle.cpu_wakes, "the wait and wake ports were reached");
    close(vm.cpu_wake[0]);
    close(vm.cpu_wake[1]);
    close(vm.idle_fd[0]);
    close(vm.idle_fd[1]);
    dup2(saved, 2);
    close(saved);
    close(sv[0]);
    close(sv[1]);
    close(in[0]);
    close(in[1]);
    close(null);
    close(vm.stop_fd);
    close(n->wake);
    free(n);
    free(run);
    nfvm_mem_destroy(&vm.mem);
}
