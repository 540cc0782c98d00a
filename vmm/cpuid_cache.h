/* KVM's supported CPUID table kept between runs (cpuid_cache.c). */
#ifndef NFVM_CPUID_CACHE_H
#define NFVM_CPUID_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* The cache's folder into buf: $NFVM_CPUID_CACHE ("off" or empty: none),
 * else /run/nfvm for root, else $XDG_RUNTIME_DIR/nfvm; NULL for none. */
const char *nfvm_cpuid_cache_dir(char *buf, size_t len);
/* The file name for this host's boot and this /dev/kvm (kvm_fd open on
 * it) into key. 0, or -1 when either cannot be told (then no cache). */
int nfvm_cpuid_cache_key(int kvm_fd, char *key, size_t len);
/* c->entries (room for max) and c->nent from dir/key. 0, or -1 on a miss:
 * no file, not a regular file of ours, writable by others, or malformed. */
int nfvm_cpuid_cache_load(const char *dir, const char *key, struct kvm_cpuid2 *c, uint32_t max);
/* Writes c's entries to dir/key (dir made 0700 if missing), whole then
 * renamed into place. 0 or -1. */
int nfvm_cpuid_cache_store(const char *dir, const char *key, const struct kvm_cpuid2 *c);

#endif /* NFVM_CPUID_CACHE_H */
