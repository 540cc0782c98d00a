/* lib/kvtable internals: where the two large blocks (the items' arena and
 * the index) come from, one file per kind of platform memory. */
#ifndef NFOS_KVTABLE_PRIV_H
#define NFOS_KVTABLE_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* len bytes, 64-byte aligned, or NULL. Slow path (kvtable_init). */
void *kvtable_mem_alloc(size_t len);
/* p from kvtable_mem_alloc(len), or NULL. */
void kvtable_mem_free(void *p, size_t len);

/* 16 random bytes into key; returns where they came from ("rdseed",
 * "rdrand", "getrandom"), or, when the platform has no random source, fills
 * key from the clock, prints one line saying so and returns "tsc". */
const char *kvtable_seed_random(uint8_t key[16]);

/* SipHash-c-d of p[0 .. n) under key k (kvtable_hash is c = 1, d = 3 under
 * the boot's key); for the tests' reference vectors. */
uint64_t kvtable_siphash(const uint8_t k[16], const void *p, size_t n, unsigned c, unsigned d);

#endif /* NFOS_KVTABLE_PRIV_H */
