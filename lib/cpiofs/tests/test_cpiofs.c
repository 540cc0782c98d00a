/* cpiofs: lookup, listing and reads over archives written by cpio_build.h,
 * and every kind of malformed or truncated archive refused with -EINVAL
 * (ASan: each archive is copied to a buffer of its exact size first). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <nfos/cpiofs.h>
#include "cpio_build.h"

static struct cpio_buf cb;
static uint8_t *exact;

/* The archive in a heap buffer of exactly n bytes: a read past it is an
 * ASan error. */
static int mount_n(struct cpiofs *fs, size_t n)
{
    free(exact);
    exact = malloc(n ? n : 1);
    memcpy(exact, cb.b, n);
    return cpiofs_mount(fs, exact, n);
}

static void tree(void)
{
    cb.n = 0;
    cpio_add(&cb, ".", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_add(&cb, "lua", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_add(&cb, "lua/hello.lua", CPIOFS_S_IFREG | 0644, "print('hi')\n", 12);
    cpio_add(&cb, "lua/lib", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_add(&cb, "lua/lib/m.lua", CPIOFS_S_IFREG | 0644, "return 1", 8);
    cpio_add(&cb, "top", CPIOFS_S_IFREG | 0600, "abc", 3);
    cpio_trailer(&cb);
}

static void fini(void)
{
    free(exact);
    exact = NULL;
}

TestSuite(cpiofs, .init = tree, .fini = fini);

Test(cpiofs, lookup_files_and_dirs)
{
    struct cpiofs fs;
    struct cpiofs_entry e;
    char buf[32];

    cr_assert_eq(mount_n(&fs, cb.n), 0);
    cr_assert_eq(fs.nr_entries, 6);
    cr_assert_eq(cpiofs_lookup(&fs, "lua/hello.lua", &e), 0);
    cr_assert_eq(e.size, 12);
    cr_assert_eq(e.mode, CPIOFS_S_IFREG | 0644);
    cr_assert_eq(e.uid, 1000);
    cr_assert_eq(e.mtime, 1700000000u);
    cr_assert_eq(cpiofs_read(&e, 0, buf, sizeof(buf)), 12);
    cr_assert(!memcmp(buf, "print('hi')\n", 12));
    cr_assert_eq(cpiofs_read(&e, 6, buf, 3), 3);
    cr_assert(!memcmp(buf, "'hi", 3));
    cr_assert_eq(cpiofs_read(&e, 12, buf, 3), 0);
    cr_assert_eq(cpiofs_read(&e, 1000, buf, 3), 0);
    cr_assert_eq(cpiofs_lookup(&fs, "lua/lib", &e), 0);
    cr_assert_eq(e.mode & CPIOFS_S_IFMT, CPIOFS_S_IFDIR);
    cr_assert_eq(cpiofs_lookup(&fs, "lua/nope", &e), -ENOENT);
    cr_assert_eq(cpiofs_lookup(&fs, "lu", &e), -ENOENT);
    cr_assert_eq(cpiofs_lookup(&fs, "lua/hello.lua/x", &e), -ENOENT);
}

Test(cpiofs, path_forms_name_the_same_entry)
{
    static const char *const forms[] = { "lua/lib/m.lua", "/lua/lib/m.lua", "./lua//lib/m.lua",
                                         "lua/x/../lib/./m.lua", "/../lua/lib/m.lua/" };
    struct cpiofs fs;
    struct cpiofs_entry e;
    size_t i;

    cr_assert_eq(mount_n(&fs, cb.n), 0);
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        cr_assert_eq(cpiofs_lookup(&fs, forms[i], &e), 0, "%s", forms[i]);
        cr_assert_eq(e.size, 8, "%s", forms[i]);
    }
    for (i = 0; i < 3; i++) {
        cr_assert_eq(cpiofs_lookup(&fs, (const char *[]){ "", "/", "." }[i], &e), 0);
        cr_assert_eq(e.mode & CPIOFS_S_IFMT, CPIOFS_S_IFDIR);
    }
}

static int list(const struct cpiofs *fs, const char *dir, char *out)
{
    struct cpiofs_entry d, c;
    size_t cur = 0;
    int r, n = 0;

    out[0] = '\0';
    cr_assert_eq(cpiofs_lookup(fs, dir, &d), 0);
    while ((r = cpiofs_readdir(fs, &d, &cur, &c)) == 1) {
        strncat(out, c.name, c.namelen);
        strcat(out, " ");
        n++;
    }
    return r < 0 ? r : n;
}

Test(cpiofs, readdir_lists_direct_children_only)
{
    struct cpiofs fs;
    struct cpiofs_entry f;
    char out[256];
    size_t cur = 0;

    cr_assert_eq(mount_n(&fs, cb.n), 0);
    cr_assert_eq(list(&fs, "/", out), 2);
    cr_assert_str_eq(out, "lua top ");
    cr_assert_eq(list(&fs, "lua", out), 2);
    cr_assert_str_eq(out, "hello.lua lib ");
    cr_assert_eq(list(&fs, "lua/lib/", out), 1);
    cr_assert_str_eq(out, "m.lua ");
    cr_assert_eq(cpiofs_lookup(&fs, "top", &f), 0);
    cr_assert_eq(cpiofs_readdir(&fs, &f, &cur, &f), -ENOTDIR);
}

Test(cpiofs, root_without_entry_and_duplicates)
{
    struct cpiofs fs;
    struct cpiofs_entry e;
    char out[256];

    cb.n = 0;
    cpio_add(&cb, "a", CPIOFS_S_IFREG | 0644, "old", 3);
    cpio_add(&cb, "./b/", CPIOFS_S_IFDIR | 0755, "", 0);
    cpio_add(&cb, "a", CPIOFS_S_IFREG | 0644, "newer", 5);
    cpio_trailer(&cb);
    cr_assert_eq(mount_n(&fs, cb.n), 0);
    cr_assert_eq(cpiofs_lookup(&fs, "a", &e), 0);
    cr_assert_eq(e.size, 5);
    cr_assert_eq(cpiofs_lookup(&fs, "b", &e), 0);
    cr_assert_eq(list(&fs, "", out), 2);
    cr_assert_str_eq(out, "b a ");
}

Test(cpiofs, empty_archive_and_padding_after_trailer)
{
    struct cpiofs fs;
    struct cpiofs_entry e;
    char out[16];
    size_t n;

    cb.n = 0;
    cpio_trailer(&cb);
    n = cb.n;
    memset(cb.b + cb.n, 0, 512);
    cr_assert_eq(mount_n(&fs, n + 512), 0);
    cr_assert_eq(fs.nr_entries, 0);
    cr_assert_eq(fs.len, n);
    cr_assert_eq(cpiofs_lookup(&fs, "x", &e), -ENOENT);
    cr_assert_eq(list(&fs, "/", out), 0);
}

/* Every proper prefix of a good archive is refused: no trailer. */
Test(cpiofs, every_truncation_is_refused)
{
    struct cpiofs fs;
    struct cpiofs_entry e;
    size_t n;

    for (n = 0; n < cb.n; n++) {
        cr_assert_eq(mount_n(&fs, n), -EINVAL, "prefix of %zu bytes", n);
        cr_assert_not_null(fs.err);
        cr_assert_leq(fs.err_off, n);
        cr_assert_eq(cpiofs_lookup(&fs, "top", &e), -ENOENT);
    }
    cr_assert_eq(mount_n(&fs, cb.n), 0);
}

static void expect_refused(const char *why)
{
    struct cpiofs fs;

    cr_assert_eq(mount_n(&fs, cb.n), -EINVAL);
    cr_assert_str_eq(fs.err, why);
}

Test(cpiofs, malformed_headers_are_refused)
{
    size_t good = cb.n;

    cb.b[0] = 'x';
    expect_refused("bad magic (not a newc cpio archive)");
    memcpy(cb.b, "070707", 6); /* the old portable format */
    expect_refused("bad magic (not a newc cpio archive)");
    memcpy(cb.b, "070701", 6);
    cb.b[6 + 8 * 6] = 'g'; /* filesize */
    expect_refused("header field is not hexadecimal");
    tree();
    memcpy(cb.b + 6 + 8 * 11, "FFFFFFFF", 8); /* namesize */
    expect_refused("name size out of range");
    memcpy(cb.b + 6 + 8 * 11, "00000000", 8);
    expect_refused("name size out of range");
    tree();
    memcpy(cb.b + 6 + 8 * 6, "FFFFFFF0", 8); /* filesize past the end */
    expect_refused("truncated file data");
    tree();
    memcpy(cb.b + 6 + 8 * 11, "00000001", 8); /* "." without its NUL */
    expect_refused("name not terminated by its NUL");
    cr_assert_eq(cb.n, good);
}

Test(cpiofs, hostile_names_are_refused)
{
    static const char *const bad[] = { "a/../../etc", "a//b", "a/./b", ".." };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cb.n = 0;
        cpio_add(&cb, bad[i], CPIOFS_S_IFREG | 0644, "x", 1);
        cpio_trailer(&cb);
        expect_refused("name with an empty, '.' or '..' component");
    }
    cb.n = 0;
    cpio_add(&cb, "./", CPIOFS_S_IFREG | 0644, "x", 1);
    cpio_trailer(&cb);
    expect_refused("the root entry ('.') is not a directory");
    cb.n = 0;
    cpio_add(&cb, "a\0b", CPIOFS_S_IFREG, "", 0); /* snprintf'd namesize 2: "a\0" */
    memcpy(cb.b + 6 + 8 * 11, "00000004", 8);
    cpio_trailer(&cb);
    expect_refused("name not terminated by its NUL");
}

Test(cpiofs, long_paths)
{
    struct cpiofs fs;
    struct cpiofs_entry e;
    char path[CPIOFS_PATH_MAX + 8];

    cr_assert_eq(mount_n(&fs, cb.n), 0);
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    cr_assert_eq(cpiofs_lookup(&fs, path, &e), -ENAMETOOLONG);
    path[CPIOFS_PATH_MAX] = '\0';
    cr_assert_eq(cpiofs_lookup(&fs, path, &e), -ENOENT);
}
