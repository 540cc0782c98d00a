/* What the virtio-net unit tests give the driver in place of the OS: no
 * parameters, a clock that moves 1 ms per reading (fake_ns: a bounded
 * wait runs out quickly), a TSC said to run at 1 kHz (a stalled tx ring's
 * millisecond passes between two bursts), and the heap as the host's. */
#ifndef VIRTIO_NET_TESTS_HOST_FAKES_H
#define VIRTIO_NET_TESTS_HOST_FAKES_H

#include <stdint.h>

extern uint64_t fake_ns;

#endif
