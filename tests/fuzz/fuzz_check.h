/* CHECK for libFuzzer harnesses (mk/fuzz.mk puts this folder on their
 * include path): a property that fails prints where and why, then aborts,
 * which libFuzzer reports as a crash with the input that caused it. */
#ifndef NFOS_FUZZ_CHECK_H
#define NFOS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                               \
    do {                                                               \
        if (!(cond)) {                                                 \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                              \
            fputc('\n', stderr);                                       \
            abort();                                                   \
        }                                                              \
    } while (0)

#endif /* NFOS_FUZZ_CHECK_H */
