/* What the host unit tests give the code under test in place of the OS
 * (tests/host/fakes.c; a test program lists that file in its sources and
 * -I$(NFOS_ROOT)/tests/host, lib/core/include and lib/alloc/include in its
 * flags): lib/core's parameters over a table the test fills, its verbosity,
 * lib/alloc over the host's heap, and a platform clock that moves 1 ms per
 * reading with a TSC said to run at 1 kHz. Criterion runs each test in its
 * own process, so what a test sets here starts afresh in the next. Not for
 * what a test must count or check the calls to: it fakes those itself. */
#ifndef NFOS_TESTS_HOST_FAKES_H
#define NFOS_TESTS_HOST_FAKES_H

#include <stdbool.h>
#include <stdint.h>

/* core_param(key) answers value (NULL: as if absent) from now on; at most
 * FAKE_PARAMS_MAX keys, a test that sets more aborts. */
#define FAKE_PARAMS_MAX 8
void fake_param_set(const char *key, const char *value);

/* core_verbose()'s answer: 0 unless a test sets it. */
extern unsigned fake_core_verbose;

/* While set, alloc_memalign fails with -ENOMEM. */
extern bool fake_alloc_fail;
/* While set, alloc_memalign fills what it gives with 0xa5, so a test sees
 * whether the code zeroes what it relies on being zero. */
extern bool fake_alloc_poison;

/* plat_time_ns()'s clock: each reading adds 1 ms first, so a bounded wait
 * runs out after as many readings as it has milliseconds. plat_tsc_hz()
 * says 1000: a millisecond the code counts in TSC cycles (virtio-net's
 * stalled tx ring) is one cycle, passed by the next reading. */
extern uint64_t fake_ns;

#endif /* NFOS_TESTS_HOST_FAKES_H */
