/* libFuzzer harness for cpiofs (make fuzz): the input is an archive, in a
 * buffer of its exact size. A refused one must say why and leave an empty
 * tree; a mounted one is walked whole: every directory listed (children
 * inside the archive, each found again by its full path), every file read
 * in pieces (the bytes are the entry's own, inside the input), and a few
 * paths from the input's first bytes looked up. ASan catches any read
 * outside the input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/cpiofs.h>

#include "fuzz_check.h"

static const uint8_t *in0, *in1;

static void inside(const void *p, uint64_t len)
{
    const uint8_t *b = p;

    CHECK(len == 0 || (b >= in0 && b <= in1 && len <= (uint64_t)(in1 - b)),
          "entry bytes outside the input");
}

static void walk(const struct cpiofs *fs, const struct cpiofs_entry *dir, int depth)
{
    struct cpiofs_entry c, again;
    size_t cur = 0;
    char path[CPIOFS_PATH_MAX + 1];
    uint8_t buf[64];
    int r, n = 0;

    while ((r = cpiofs_readdir(fs, dir, &cur, &c)) == 1) {
        CHECK(++n <= (int)fs->nr_entries, "more children than entries");
        inside(c.name, c.namelen);
        inside(c.data, c.size);
        CHECK(c.namelen && !memchr(c.name, '/', c.namelen), "child name has a '/'");
        CHECK(dir->namelen + 1 + c.namelen <= CPIOFS_PATH_MAX, "path too long");
        memcpy(path, dir->name, dir->namelen);
        path[dir->namelen] = '/';
        memcpy(path + dir->namelen + 1, c.name, c.namelen);
        path[dir->namelen + 1 + c.namelen] = '\0';
        CHECK(cpiofs_lookup(fs, path, &again) == 0 && again.off == c.off,
              "child %s not found again", path);
        for (uint64_t off = 0; off < c.size; off += sizeof(buf)) {
            size_t k = cpiofs_read(&again, off, buf, sizeof(buf));

            CHECK(k && !memcmp(buf, c.data + off, k), "read differs");
        }
        if ((c.mode & CPIOFS_S_IFMT) == CPIOFS_S_IFDIR && depth < 8)
            walk(fs, &again, depth + 1);
    }
    CHECK(r == 0, "readdir of a directory: %d", r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *a = malloc(size ? size : 1);
    struct cpiofs fs;
    struct cpiofs_entry root, e;
    char path[32];

    memcpy(a, data, size);
    in0 = a;
    in1 = a + size;
    if (cpiofs_mount(&fs, a, size) < 0) {
        CHECK(fs.err && fs.err_off <= size && !fs.nr_entries, "refusal without a reason");
        CHECK(cpiofs_lookup(&fs, "/", &root) == 0, "no root in an empty tree");
    } else {
        CHECK(fs.len <= size, "tree longer than the input");
        CHECK(cpiofs_lookup(&fs, "/", &root) == 0, "no root");
        walk(&fs, &root, 0);
        memcpy(path, data, size < sizeof(path) - 1 ? size : sizeof(path) - 1);
        path[size < sizeof(path) - 1 ? size : sizeof(path) - 1] = '\0';
        if (cpiofs_lookup(&fs, path, &e) == 0)
            inside(e.data, e.size);
    }
    free(a);
    return 0;
}
