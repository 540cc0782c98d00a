/* lib/syscall on the host: the table's dispatch and -ENOSYS report, and the
 * cooperative scheduler under musl's uses (clone, futex wait/wake, the
 * clear-tid join, timed waits, deadlock). Platform calls are fakes; time
 * advances 1 ms per read. */
#include <criterion/criterion.h>
#include <setjmp.h>
#include <string.h>
#include <nfos/syscall.h>

#include "fakes.h"

#define FUTEX_WAIT           0
#define FUTEX_WAKE           1
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000

int nfos_clone(int (*func)(void *), void *stack, int flags, void *arg, int *ptid, void *tls,
               int *ctid);

static char console[4096];
static size_t console_len;
static jmp_buf exit_jb;
static int exit_status = -1;

void plat_console_write(const char *buf, size_t len)
{
    if (console_len + len < sizeof(console)) {
        memcpy(console + console_len, buf, len);
        console_len += len;
    }
}

_Noreturn void plat_exit(int status)
{
    exit_status = status;
    longjmp(exit_jb, 1);
}

static long sc(long n, long a1, long a2, long a3, long a4)
{
    return nfos_syscall6(n, a1, a2, a3, a4, 0, 0);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(syscall, unknown_is_enosys_named_once)
{
    cr_assert_eq(sc(163, 0, 0, 0, 0), -38);
    cr_assert_eq(sc(163, 0, 0, 0, 0), -38);
    cr_assert_eq(sc(100000, 0, 0, 0, 0), -38);
    cr_assert_eq(count(console, "system call acct (163) is not implemented"), 1, "%s", console);
    cr_assert_eq(count(console, "(100000)"), 1, "%s", console);
}

Test(syscall, dispatch_by_number)
{
    unsigned char mask[16];

    memset(mask, 0xff, sizeof(mask));
    cr_assert_eq(sc(204 /* sched_getaffinity */, 0, sizeof(mask), (long)mask, 0), 8);
    cr_assert_eq(mask[0], 1);
    cr_assert_eq(mask[1], 0);
    cr_assert_eq(sc(204, 0, 3, (long)mask, 0), -22); /* EINVAL */
    cr_assert_eq(sc(186 /* gettid */, 0, 0, 0, 0), 1);
    cr_assert_eq(console_len, 0);
}

static volatile int word;
static int order[8], n_order;

static int worker(void *arg)
{
    order[n_order++] = (int)(long)arg;
    while (!word)
        sc(202, (long)&word, FUTEX_WAIT, 0, 0);
    order[n_order++] = 10 + (int)(long)arg;
    sc(60 /* exit */, 0, 0, 0, 0);
    return 0;
}

static void join(int *ctid)
{
    int v;

    while ((v = *(volatile int *)ctid))
        sc(202, (long)ctid, FUTEX_WAIT, v, 0);
}

Test(syscall, threads_futex_and_join)
{
    static char stack[2][65536];
    static int ctid[2];
    int i, tid;

    for (i = 0; i < 2; i++) {
        tid = nfos_clone(worker, stack[i] + sizeof(stack[i]),
                         CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID, (void *)(long)(i + 1), NULL,
                         NULL, &ctid[i]);
        cr_assert_eq(tid, 2 + i);
        cr_assert_eq(ctid[i], tid);
    }
    cr_assert_eq(n_order, 0, "a new thread runs only when the creator lets it");
    cr_assert_eq(sc(24 /* sched_yield */, 0, 0, 0, 0), 0);
    cr_assert_eq(n_order, 2);
    cr_assert(order[0] == 1 && order[1] == 2);
    cr_assert_eq(sc(202, (long)&word, FUTEX_WAIT, 1, 0), -11, "value differs: EAGAIN");
    word = 1;
    cr_assert_eq(sc(202, (long)&word, FUTEX_WAKE, 1, 0), 1, "one of two waiters woken");
    join(&ctid[0]);
    cr_assert_eq(order[2], 11);
    cr_assert_eq(ctid[0], 0, "exit clears the tid word");
    cr_assert_eq(sc(202, (long)&word, FUTEX_WAKE, 100, 0), 1);
    join(&ctid[1]);
    cr_assert_eq(n_order, 4);
    cr_assert_eq(order[3], 12);
}

Test(syscall, timed_wait_alone_times_out)
{
    struct {
        long s, ns;
    } ts = { 0, 5000000 };
    uint64_t t0 = fake_ns;

    cr_assert_eq(sc(202, (long)&word, FUTEX_WAIT, 0, (long)&ts), -110); /* ETIMEDOUT */
    cr_assert_geq(fake_ns - t0, 5000000);
}

Test(syscall, wait_nobody_can_end_is_a_reported_deadlock)
{
    if (!setjmp(exit_jb))
        sc(202, (long)&word, FUTEX_WAIT, 0, 0);
    cr_assert_eq(exit_status, 126);
    cr_assert(strstr(console, "deadlock"), "%s", console);
}

Test(syscall, exit_group_is_the_image_status)
{
    if (!setjmp(exit_jb))
        sc(231, 7, 0, 0, 0);
    cr_assert_eq(exit_status, 7);
}
