/* A minimal TAP producer for in-image tests (tests/apps/selftest). */
#ifndef NFOS_TESTS_TAP_H
#define NFOS_TESTS_TAP_H

#include <stdio.h>

struct tap {
    int n;
    int failed;
};
extern struct tap tap;

/* One TAP line: "ok N - name" or "not ok N - name". Returns cond. */
#define TAP_OK(cond, ...)                                        \
    ({                                                           \
        int _c = !!(cond);                                       \
        tap.n++;                                                 \
        if (!_c)                                                 \
            tap.failed++;                                        \
        printf("%sok %d - ", _c ? "" : "not ", tap.n);           \
        printf(__VA_ARGS__);                                     \
        printf("\n");                                            \
        if (!_c)                                                 \
            printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
        _c;                                                      \
    })

#define TAP_DIAG(...)        \
    do {                     \
        printf("# ");        \
        printf(__VA_ARGS__); \
        printf("\n");        \
    } while (0)

/* The test groups, one file each. */
void selftest_alloc(void);
void selftest_pool(void);
void selftest_clock(void);
void selftest_memmap(void);
void selftest_printf(void);
void selftest_libc(void);
void selftest_cpu(void);
/* smptest's (tests/apps/smptest). */
void selftest_lcore(void);
void selftest_pool_cache(void);

#endif /* NFOS_TESTS_TAP_H */
