/* KVM's supported CPUID table kept between runs. KVM_GET_SUPPORTED_CPUID
 * runs a host CPUID per leaf; on a nested host each traps to the outer
 * hypervisor: ~0.45 ms here, a fifth of exec -> guest main. The table
 * stays the same until the host reboots or KVM's module is loaded again
 * (which makes a new /dev/kvm), so the file is named after both: the
 * kernel's boot_id and /dev/kvm's inode and change time. A file is taken
 * only when it is a regular file of ours that nobody else may write, of
 * the exact size its header says; anything else is a miss and KVM is
 * asked. Files are written whole and renamed into place. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cpuid_cache.h"

#define CACHE_MAGIC "NFVMCPU1"

struct cache_head {
    char magic[8];
    uint32_t nent;
    uint32_t reserved;
};

const char *nfvm_cpuid_cache_dir(char *buf, size_t len)
{
    const char *env = getenv("NFVM_CPUID_CACHE"), *xdg = getenv("XDG_RUNTIME_DIR");
    int n;

    if (env)
        n = !strcmp(env, "off") || !*env ? -1 : snprintf(buf, len, "%s", env);
    else if (geteuid() == 0)
        n = snprintf(buf, len, "/run/nfvm");
    else if (xdg && *xdg)
        n = snprintf(buf, len, "%s/nfvm", xdg);
    else
        n = -1;
    return n < 0 || (size_t)n >= len ? NULL : buf;
}

int nfvm_cpuid_cache_key(int kvm_fd, char *key, size_t len)
{
    char boot[64] = "";
    struct stat st;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    size_t n;
    int r;

    if (!f)
        return -1;
    n = fread(boot, 1, sizeof(boot) - 1, f);
    fclose(f);
    boot[n] = 0;
    boot[strcspn(boot, "\n")] = 0;
    if (strlen(boot) < 8 || strchr(boot, '/') || fstat(kvm_fd, &st) < 0)
        return -1;
    r = snprintf(key, len, "cpuid-%s-%llx-%lld.%09ld", boot, (unsigned long long)st.st_ino,
                 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    return r < 0 || (size_t)r >= len ? -1 : 0;
}

static int path_of(char *path, size_t len, const char *dir, const char *key)
{
    int n = snprintf(path, len, "%s/%s", dir, key);

    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int nfvm_cpuid_cache_load(const char *dir, const char *key, struct kvm_cpuid2 *c, uint32_t max)
{
    char path[512];
    struct cache_head h;
    struct stat st;
    size_t body;
    int fd, rc = -1;

    if (path_of(path, sizeof(path), dir, key) < 0)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        goto out;
    if (read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h.magic, CACHE_MAGIC, 8) ||
        !h.nent || h.nent > max)
        goto out;
    body = (size_t)h.nent * sizeof(c->entries[0]);
    if ((size_t)st.st_size != sizeof(h) + body || read(fd, c->entries, body) != (ssize_t)body)
        goto out;
    c->nent = h.nent;
    rc = 0;
out:
    close(fd);
    return rc;
}

int nfvm_cpuid_cache_store(const char *dir, const char *key, const struct kvm_cpuid2 *c)
{
    struct cache_head h = { .magic = CACHE_MAGIC, .nent = c->nent };
    size_t body = (size_t)c->nent * sizeof(c->entries[0]);
    char path[512], tmp[512];
    int fd, ok;

    if (path_of(path, sizeof(path), dir, key) < 0 ||
        snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir) >= (int)sizeof(tmp))
        return -1;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
         write(fd, c->entries, body) == (ssize_t)body;
    ok = !close(fd) && ok && !rename(tmp, path);
    if (!ok)
        unlink(tmp);
    return ok ? 0 : -1;
}
