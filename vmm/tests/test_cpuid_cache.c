/* nfvm's CPUID cache (cpuid_cache.c) without /dev/kvm: a table written is
 * read back whole; a missing, foreign, shared-writable, linked, truncated,
 * padded or oversized file is a miss (KVM is then asked); the folder comes
 * from NFVM_CPUID_CACHE, "off" meaning none; the key names the boot. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cpuid_cache.h"

#define MAX 16

static struct {
    struct kvm_cpuid2 h;
    struct kvm_cpuid_entry2 e[MAX];
} in, out;
static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/nfvm-cpuid-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    in.h.nent = 5;
    for (unsigned i = 0; i < in.h.nent; i++)
        in.e[i] = (struct kvm_cpuid_entry2){ .function = i, .eax = 0x1000 + i, .edx = ~i };
    memset(&out, 0, sizeof(out));
}

static void teardown(void)
{
    char cmd[96];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static char *file(const char *key)
{
    static char p[128];

    snprintf(p, sizeof(p), "%s/%s", dir, key);
    return p;
}

TestSuite(cpuid_cache, .init = setup, .fini = teardown);

Test(cpuid_cache, round_trip)
{
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), -1, "nothing stored yet");
    cr_assert_eq(nfvm_cpuid_cache_store(dir, "k", &in.h), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), 0);
    cr_assert_eq(out.h.nent, 5);
    cr_assert_eq(memcmp(out.e, in.e, 5 * sizeof(in.e[0])), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "other", &out.h, MAX), -1, "another key");
}

Test(cpuid_cache, folder_made_private)
{
    char sub[96];
    struct stat st;

    snprintf(sub, sizeof(sub), "%s/sub", dir);
    cr_assert_eq(nfvm_cpuid_cache_store(sub, "k", &in.h), 0);
    cr_assert_eq(stat(sub, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
}

Test(cpuid_cache, more_entries_than_room)
{
    cr_assert_eq(nfvm_cpuid_cache_store(dir, "k", &in.h), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, 4), -1);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, 5), 0);
}

Test(cpuid_cache, writable_by_others_refused)
{
    cr_assert_eq(nfvm_cpuid_cache_store(dir, "k", &in.h), 0);
    cr_assert_eq(chmod(file("k"), 0622), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), -1);
    cr_assert_eq(chmod(file("k"), 0644), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), 0);
}

Test(cpuid_cache, symlink_refused)
{
    char target[128];

    cr_assert_eq(nfvm_cpuid_cache_store(dir, "k", &in.h), 0);
    snprintf(target, sizeof(target), "%s", file("k"));
    cr_assert_eq(symlink(target, file("link")), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "link", &out.h, MAX), -1);
}

/* The stored file cut short, grown by a byte, with a bad magic or a zero
 * count: each a miss, never a short table. */
Test(cpuid_cache, malformed_refused)
{
    struct stat st;
    int fd;

    cr_assert_eq(nfvm_cpuid_cache_store(dir, "k", &in.h), 0);
    cr_assert_eq(stat(file("k"), &st), 0);
    cr_assert_eq(truncate(file("k"), st.st_size - 1), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), -1, "truncated");
    cr_assert_eq(truncate(file("k"), st.st_size + 1), 0);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), -1, "padded");
    cr_assert_eq(truncate(file("k"), st.st_size), 0);
    fd = open(file("k"), O_WRONLY);
    cr_assert_eq(pwrite(fd, "X", 1, 0), 1);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), -1, "bad magic");
    cr_assert_eq(pwrite(fd, "N", 1, 0), 1);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), 0, "restored");
    cr_assert_eq(pwrite(fd, "\0\0\0\0", 4, 8), 4);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "k", &out.h, MAX), -1, "zero entries");
    close(fd);
    fd = open(file("empty"), O_CREAT | O_WRONLY, 0600);
    close(fd);
    cr_assert_eq(nfvm_cpuid_cache_load(dir, "empty", &out.h, MAX), -1, "empty file");
}

Test(cpuid_cache, folder_from_environment)
{
    char buf[128];

    setenv("NFVM_CPUID_CACHE", "off", 1);
    cr_assert_null(nfvm_cpuid_cache_dir(buf, sizeof(buf)));
    setenv("NFVM_CPUID_CACHE", "", 1);
    cr_assert_null(nfvm_cpuid_cache_dir(buf, sizeof(buf)));
    setenv("NFVM_CPUID_CACHE", dir, 1);
    cr_assert_str_eq(nfvm_cpuid_cache_dir(buf, sizeof(buf)), dir);
    cr_assert_null(nfvm_cpuid_cache_dir(buf, 4), "does not fit");
    unsetenv("NFVM_CPUID_CACHE");
    if (geteuid() == 0)
        cr_assert_str_eq(nfvm_cpuid_cache_dir(buf, sizeof(buf)), "/run/nfvm");
}

/* The key holds this boot's id, and changes with the device file. */
Test(cpuid_cache, key_names_boot_and_device)
{
    char boot[64] = "", k1[160], k2[160];
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    int fd1 = open("/dev/null", O_RDONLY), fd2 = open(dir, O_RDONLY);

    cr_assert_not_null(f);
    cr_assert(fgets(boot, sizeof(boot), f));
    fclose(f);
    boot[strcspn(boot, "\n")] = 0;
    cr_assert_eq(nfvm_cpuid_cache_key(fd1, k1, sizeof(k1)), 0);
    cr_assert_eq(nfvm_cpuid_cache_key(fd2, k2, sizeof(k2)), 0);
    cr_assert(strstr(k1, boot), "%s", k1);
    cr_assert_str_neq(k1, k2);
    cr_assert_eq(nfvm_cpuid_cache_key(fd1, k1, 16), -1, "does not fit");
    close(fd1);
    close(fd2);
}
