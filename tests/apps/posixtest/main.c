/* posixtest: the POSIX surface an unmodified program expects from musl in an
 * nfos image, checked on kvm and linuxu alike. TAP output (one "ok N - what"
 * or "not ok N - what" line per check, then "1..N"); exits 0 only when every
 * check passed. Our own code, built against musl (lib/musl). */
#define _GNU_SOURCE
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <nfos/syscall.h>
#include "posixtest.h"

static int nr_checks, nr_failed;

void check(int ok, const char *what)
{
    nr_checks++;
    if (!ok)
        nr_failed++;
    printf("%sok %d - %s\n", ok ? "" : "not ", nr_checks, what);
}

/* A small deterministic generator: the same sequence on every platform. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void test_printf_scanf(void)
{
    char buf[128], word[16], set[16];
    int a = 0, n = 0;
    double d = 0;
    unsigned x = 0;

    snprintf(buf, sizeof(buf), "%d|%5s|%-4x|%08.3f|%e|%g|%lld|%zu|%c%%", -42, "ab", 255, 3.14159,
             12345.678, 0.0001, -9007199254740993LL, (size_t)7, 'z');
    check(!strcmp(buf, "-42|   ab|ff  |0003.142|1.234568e+04|0.0001|-9007199254740993|7|z%"),
          "snprintf formats ints, strings, floats");
    check(snprintf(NULL, 0, "%s-%d", "abcdef", 12345) == 12, "snprintf(NULL, 0) counts");
    check(sscanf("  17 2.5e3 0x1F word [abc]rest", "%d %lf %x %15s [%15[abc]]%n", &a, &d, &x, word,
                 set, &n) == 5 &&
              a == 17 && d == 2500.0 && x == 31 && !strcmp(word, "word") && !strcmp(set, "abc") &&
              n == 26,
          "sscanf parses %d %lf %x %s %[ and %n");
}

/* Random malloc/realloc/free with content checks; afterwards the memory
 * the shim maps must be back near where it started (no leak). */
static void test_malloc(void)
{
    enum { SLOTS = 256, ROUNDS = 20000 };
    static unsigned char *p[SLOTS];
    static size_t len[SLOTS];
    struct syscall_mem_stats before, after;
    int i, bad = 0;

    syscall_mem_stats(&before);
    for (i = 0; i < ROUNDS; i++) {
        int s = (int)(rnd() % SLOTS);
        size_t want = rnd() % 4 == 0 ? rnd() % (256 * 1024) : rnd() % 512;

        if (p[s]) {
            size_t k;

            for (k = 0; k < len[s]; k++)
                bad |= p[s][k] != (unsigned char)(s + k);
        }
        if (p[s] && rnd() % 2) {
            free(p[s]);
            p[s] = NULL;
            continue;
        }
        p[s] = p[s] ? realloc(p[s], want + 1) : malloc(want + 1);
        if (!p[s]) {
            bad = 1;
            break;
        }
        len[s] = want + 1;
        memset(p[s], 0, len[s]);
        for (size_t k = 0; k < len[s]; k++)
            p[s][k] = (unsigned char)(s + k);
    }
    for (i = 0; i < SLOTS; i++) {
        free(p[i]);
        p[i] = NULL;
    }
    syscall_mem_stats(&after);
    check(!bad, "malloc/realloc/free keep contents (20000 operations)");
    check(after.nr_mmap > before.nr_mmap && after.nr_munmap > before.nr_munmap,
          "large blocks come from and return to mmap/munmap");
    printf("# mapped before %zu after %zu bytes, %llu mmaps, %llu munmaps\n", before.mapped_bytes,
           after.mapped_bytes, (unsigned long long)(after.nr_mmap - before.nr_mmap),
           (unsigned long long)(after.nr_munmap - before.nr_munmap));
    check(after.mapped_bytes <= before.mapped_bytes + (512 << 10),
          "no leak: mapped memory back within 512 KiB of the start");
}

static int all_zero(const unsigned char *p, size_t len)
{
    size_t i;

    for (i = 0; i < len && !p[i]; i++)
        ;
    return i == len;
}

/* New mappings read as zero even where the heap had used the memory (the
 * heap skips clearing only what it never handed out), and so does a
 * MAP_FIXED over memory that was accessible, even a reservation's part. */
static void test_mmap_zero(void)
{
    const size_t len = 1 << 20, res = 64 << 10;
    unsigned char *a, *b, *r;
    int ok;

    a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 0xff, len);
    munmap(a, len);
    b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(b != MAP_FAILED && all_zero(b, len), "mmap over memory used before reads as zero");

    r = mmap(NULL, res, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ok =
        mmap(r, res, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == r &&
        all_zero(r, res);
    memset(r, 0xee, res);
    ok =
        ok &&
        mmap(r, res, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == r &&
        all_zero(r, res);
    check(ok, "MAP_FIXED into a reservation reads as zero, again once written");
    munmap(r, res);

    r = mmap(NULL, res, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(r, res, PROT_READ | PROT_WRITE);
    memset(r, 0xdd, res);
    ok =
        mmap(r, res, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == r &&
        all_zero(r, res);
    check(ok, "MAP_FIXED over a reservation made writable reads as zero");
    munmap(r, res);
    memset(b, 0xcc, len); /* used again for whatever comes next */
    munmap(b, len);
}

static __thread int tls_data = 42; /* .tdata */
/* .tbss, larger than musl's built-in room: the main thread's TLS is mapped */
static __thread char tls_bss[8192];

static void *tls_thread(void *arg)
{
    int ok = tls_data == 42 && tls_bss[0] == 0 && tls_bss[8191] == 0;

    tls_data = (int)(intptr_t)arg;
    tls_bss[0] = 'x';
    tls_bss[8191] = (char)(intptr_t)arg;
    sched_yield();
    ok = ok && tls_data == (int)(intptr_t)arg && tls_bss[0] == 'x' &&
         tls_bss[8191] == (char)(intptr_t)arg;
    return (void *)(intptr_t)ok;
}

static void test_tls(void)
{
    pthread_t t[3];
    void *r;
    int i, ok = 1;

    tls_data = 7;
    for (i = 0; i < 3; i++)
        ok &= !pthread_create(&t[i], NULL, tls_thread, (void *)(intptr_t)(100 + i));
    for (i = 0; i < 3; i++) {
        ok &= !pthread_join(t[i], &r);
        ok &= r == (void *)1;
    }
    check(ok && tls_data == 7 && tls_bss[0] == 0 && tls_bss[8191] == 0,
          "__thread: each thread has its own copy (8 KiB of it)");
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_time(void)
{
    struct timespec req = { 0, 20 * 1000 * 1000 };
    uint64_t last = mono_ns(), now, t0;
    int i, ok = 1;

    for (i = 0; i < 1000; i++) {
        now = mono_ns();
        ok &= now >= last;
        last = now;
    }
    check(ok, "clock_gettime(CLOCK_MONOTONIC) never goes back");
    t0 = mono_ns();
    ok = nanosleep(&req, NULL) == 0;
    now = mono_ns() - t0;
    printf("# nanosleep(20 ms) took %llu us\n", (unsigned long long)(now / 1000));
    check(ok && now >= 20000000ULL && now < 20000000ULL + 100000000ULL,
          "nanosleep(20 ms) sleeps at least 20 ms and less than 120 ms");
    check(time(NULL) >= 0, "time() answers");

    clock_gettime(CLOCK_REALTIME, &req);
    req.tv_nsec += 10 * 1000 * 1000;
    if (req.tv_nsec >= 1000000000) {
        req.tv_sec++;
        req.tv_nsec -= 1000000000;
    }
    t0 = mono_ns();
    ok = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &req, NULL) == 0;
    now = mono_ns() - t0;
    check(ok && now >= 9000000ULL && now < 110000000ULL,
          "clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME) wakes about 10 ms later");
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_qsort(void)
{
    static int v[5000];
    const char *w[] = { "pear", "apple", "fig", "banana", "cherry" };
    int i, ok = 1;

    for (i = 0; i < 5000; i++)
        v[i] = (int)(rnd() % 100000) - 50000;
    qsort(v, 5000, sizeof(v[0]), cmp_int);
    for (i = 1; i < 5000; i++)
        ok &= v[i - 1] <= v[i];
    qsort(w, 5, sizeof(w[0]), cmp_str);
    check(ok && !strcmp(w[0], "apple") && !strcmp(w[4], "pear"), "qsort sorts ints and strings");
}

static void test_regex(void)
{
    regex_t re;
    regmatch_t m[3];
    int ok;

    ok = !regcomp(&re, "([a-z]+)@([a-z]+)\\.org", REG_EXTENDED);
    ok = ok && !regexec(&re, "mail: alice@example.org!", 3, m, 0) && m[0].rm_so == 6 &&
         m[1].rm_eo == 11 && m[2].rm_so == 12 && m[2].rm_eo == 19;
    ok = ok && regexec(&re, "nobody at example.org", 0, NULL, 0) == REG_NOMATCH;
    regfree(&re);
    check(ok, "regcomp/regexec: groups, offsets, no match");
    check(regcomp(&re, "a(b", REG_EXTENDED) != 0, "regcomp rejects a bad pattern");
}

static void test_getopt(void)
{
    static const struct option opts[] = { { "count", required_argument, NULL, 'c' },
                                          { "verbose", no_argument, NULL, 'v' },
                                          { NULL, 0, NULL, 0 } };
    char *argv[] = { "prog", "-v", "--count=5", "-c", "7", "file", NULL };
    int c, verbose = 0, sum = 0, idx;

    optind = 1;
    while ((c = getopt_long(6, argv, "vc:", opts, &idx)) != -1) {
        if (c == 'v')
            verbose++;
        else if (c == 'c')
            sum += atoi(optarg);
    }
    check(verbose == 1 && sum == 12 && optind == 5 && !strcmp(argv[optind], "file"),
          "getopt_long: short, long=arg, separate arg, operands");
}

static void test_strtod(void)
{
    double v[] = { 0.1, 1.0 / 3, 1e308, 5e-324, DBL_MAX, -2.5e-10, 123456789.125 };
    char buf[64], *end;
    size_t i;
    int ok = 1;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        snprintf(buf, sizeof(buf), "%.17g", v[i]);
        ok &= strtod(buf, &end) == v[i] && *end == 0;
        snprintf(buf, sizeof(buf), "%a", v[i]);
        ok &= strtod(buf, &end) == v[i] && *end == 0;
    }
    for (i = 0; i < 1000; i++) {
        uint64_t bits = ((uint64_t)rnd() << 32 | rnd()) & ~(0x7ffULL << 52);
        double d;

        bits |= (uint64_t)(rnd() % 2046 + 1) << 52;
        memcpy(&d, &bits, sizeof(d));
        snprintf(buf, sizeof(buf), "%.17g", d);
        ok &= strtod(buf, NULL) == d;
    }
    check(ok, "strtod(printf(\"%.17g\" and \"%a\")) round-trips 1007 doubles");
}

static jmp_buf jb;

static void jump_deep(int depth);
/* Called through a pointer, so the compiler does not flag the recursion
 * (it ends in longjmp) as endless. */
static void (*volatile jump_next)(int) = jump_deep;

static void jump_deep(int depth)
{
    if (depth > 0)
        jump_next(depth - 1);
    longjmp(jb, 17);
}

static void test_setjmp(void)
{
    volatile int before = 1;
    int r = setjmp(jb);

    if (r == 0) {
        before = 2;
        jump_deep(10);
    }
    check(r == 17 && before == 2, "setjmp/longjmp from 10 calls deep");
}

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int counter, queue[8], head, tail, done;
    long sum;
} sh = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *adder(void *arg)
{
    int i;

    for (i = 0; i < 1000; i++) {
        pthread_mutex_lock(&sh.lock);
        int c = sh.counter;
        if (i % 100 == 0)
            sched_yield(); /* let the others find the lock taken */
        sh.counter = c + 1;
        pthread_mutex_unlock(&sh.lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    pthread_mutex_lock(&sh.lock);
    for (;;) {
        while (sh.head == sh.tail && !sh.done)
            pthread_cond_wait(&sh.cond, &sh.lock);
        if (sh.head == sh.tail)
            break;
        sh.sum += sh.queue[sh.head++ % 8];
        pthread_cond_broadcast(&sh.cond);
    }
    pthread_mutex_unlock(&sh.lock);
    return NULL;
}

static uint64_t slept[2][2]; /* each sleeper's start and end */

static void *sleeper(void *arg)
{
    struct timespec req = { 0, 50 * 1000 * 1000 };
    uint64_t *t = slept[(intptr_t)arg];
    int ok;

    t[0] = mono_ns();
    ok = nanosleep(&req, NULL) == 0;
    t[1] = mono_ns();
    return (void *)(intptr_t)ok;
}

/* Two threads sleeping 50 ms each sleep at the same time: nanosleep
 * switches to the other thread (or each has its own lcore). Checked by
 * their intervals overlapping, not by the total, which a loaded host
 * stretches. */
static void test_sleepers(void)
{
    pthread_t t[2];
    void *r[2] = { NULL, NULL };
    uint64_t t0 = mono_ns(), took;
    int ok;

    ok = !pthread_create(&t[0], NULL, sleeper, (void *)0) &&
         !pthread_create(&t[1], NULL, sleeper, (void *)1);
    ok = ok && !pthread_join(t[0], &r[0]) && !pthread_join(t[1], &r[1]);
    took = mono_ns() - t0;
    printf("# two 50 ms sleepers took %llu us\n", (unsigned long long)(took / 1000));
    check(ok && r[0] == (void *)1 && r[1] == (void *)1 &&
              slept[0][1] - slept[0][0] >= 50000000ULL &&
              slept[1][1] - slept[1][0] >= 50000000ULL && slept[0][0] < slept[1][1] &&
              slept[1][0] < slept[0][1],
          "threads sleep at the same time (nanosleep switches threads)");
}

static void *cancellee(void *arg)
{
    struct timespec req = { 0, 1000 * 1000 };

    for (;;)
        nanosleep(&req, NULL); /* a cancellation point */
    return NULL;
}

static void on_usr1(int sig)
{
}

/* pthread_cancel works at cancellation points; raise() of a signal with a
 * handler returns (kvm records it, linuxu's host delivers it). */
static void test_cancel_and_raise(void)
{
    pthread_t t;
    void *r = NULL;
    int ok;

    ok = !pthread_create(&t, NULL, cancellee, NULL);
    sched_yield();
    ok = ok && !pthread_cancel(t) && !pthread_join(t, &r);
    check(ok && r == PTHREAD_CANCELED, "pthread_cancel ends a thread at a cancellation point");
    signal(SIGUSR1, on_usr1);
    check(raise(SIGUSR1) == 0, "raise() of a handled signal returns");
}

static void test_pthreads(void)
{
    pthread_t t[4], c;
    struct timespec ts;
    int i, ok = 1;

    for (i = 0; i < 4; i++)
        ok &= !pthread_create(&t[i], NULL, adder, NULL);
    for (i = 0; i < 4; i++)
        ok &= !pthread_join(t[i], NULL);
    check(ok && sh.counter == 4000, "pthread_create/join and a mutex: 4 x 1000 increments");

    ok = !pthread_create(&c, NULL, consumer, NULL);
    pthread_mutex_lock(&sh.lock);
    for (i = 1; i <= 100; i++) {
        while (sh.tail - sh.head == 8)
            pthread_cond_wait(&sh.cond, &sh.lock);
        sh.queue[sh.tail++ % 8] = i;
        pthread_cond_broadcast(&sh.cond);
    }
    sh.done = 1;
    pthread_cond_broadcast(&sh.cond);
    pthread_mutex_unlock(&sh.lock);
    ok &= !pthread_join(c, NULL);
    check(ok && sh.sum == 5050, "condition variable: producer/consumer passes 100 items");

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 5 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&sh.lock);
    i = pthread_cond_timedwait(&sh.cond, &sh.lock, &ts);
    pthread_mutex_unlock(&sh.lock);
    check(i == ETIMEDOUT, "pthread_cond_timedwait times out alone");
    check(sysconf(_SC_NPROCESSORS_ONLN) >= 1, "sysconf(_SC_NPROCESSORS_ONLN)");
    test_sleepers();
    test_cancel_and_raise();
}

/* Whatever stdin holds (kvm: nfos.stdin=TEXT; linuxu: the host's), shown
 * for the integration test. */
static void show_stdin(void)
{
    char buf[256];
    size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);

    buf[n] = 0;
    printf("# stdin: %zu bytes: %s\n", n, buf);
    check(feof(stdin) && !ferror(stdin), "stdin reads to its end");
}

static void test_misc(void)
{
    struct utsname u;
    long r1, r2;
    int e1, e2;

    check(uname(&u) == 0 && !strcmp(u.machine, "x86_64"), "uname");
    check(getpid() > 0, "getpid");
    /* SYS_acct: nfos has none. The console names it once (the test reads
     * the console), both calls fail with ENOSYS. */
    errno = 0;
    r1 = syscall(SYS_acct, "/x");
    e1 = errno;
    errno = 0;
    r2 = syscall(SYS_acct, "/x");
    e2 = errno;
    check(r1 == -1 && e1 == ENOSYS && r2 == -1 && e2 == ENOSYS,
          "an unknown system call fails with ENOSYS");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && !strcmp(argv[1], "deadlock")) {
        smp_deadlock();
        return 1;
    }
    printf("# posixtest: musl in an nfos image\n");
    test_printf_scanf();
    test_malloc();
    test_mmap_zero();
    test_tls();
    test_time();
    test_qsort();
    test_regex();
    test_getopt();
    test_strtod();
    test_setjmp();
    test_pthreads();
    test_smp();
    test_misc();
    show_stdin();
    printf("1..%d\n", nr_checks);
    printf("# posixtest: %d passed, %d failed\n", nr_checks - nr_failed, nr_failed);
    return nr_failed ? 1 : 0;
}
