/* lib/cpiofs: a read-only file tree over a cpio archive in memory (the
 * "newc" format of `cpio -o -H newc`, magic 070701 or 070702). Nothing is
 * copied or allocated: entries point into the archive, which must stay
 * mapped and unchanged. cpiofs_mount() checks the whole archive once (every
 * header, name and size inside the buffer, a trailer at the end), so later
 * lookups cannot read out of bounds. Lookup is a linear scan: meant for the
 * few files an interpreter loads, not for thousands.
 *
 * Paths: the root is "" (or "/" or "."); "a/b", "/a/b", "./a//b/" and
 * "a/x/../b" name the same entry ("..", like ".", is resolved by name, no
 * symlink is followed). Directories are the entries with S_IFDIR modes;
 * a parent an archive does not list is not made up. Errors are negative
 * errnos (nfos style); no function blocks; none is thread-safe against
 * cpiofs_mount() on the same struct. */
#ifndef NFOS_CPIOFS_H
#define NFOS_CPIOFS_H

#include <stddef.h>
#include <stdint.h>

/* Longest path (bytes, without the NUL) lookup accepts and an entry may have. */
#define CPIOFS_PATH_MAX 1024

/* File types, the S_IFMT bits of mode (the values of <sys/stat.h>). */
#define CPIOFS_S_IFMT  0170000u
#define CPIOFS_S_IFDIR 0040000u
#define CPIOFS_S_IFREG 0100000u
#define CPIOFS_S_IFLNK 0120000u

struct cpiofs {
    const uint8_t *base; /* the archive */
    size_t len;          /* up to the end of its trailer */
    unsigned nr_entries; /* entries before the trailer */
    /* After a failed mount: what was wrong and at which byte. */
    const char *err;
    size_t err_off;
};

/* One entry, as the archive says (name normalised: no "./", no leading or
 * trailing '/'; the root directory is ""). */
struct cpiofs_entry {
    const char *name; /* not NUL-terminated at namelen: use namelen */
    size_t namelen;
    const uint8_t *data; /* the file's bytes (a symlink's target) */
    uint64_t size;
    uint32_t ino, mode, uid, gid, nlink;
    uint64_t mtime; /* seconds since 1970 */
    size_t off;     /* where its header starts: its identity in this tree */
};

/* Checks archive[0, len) and makes fs a tree over it. Bytes after the
 * trailer are ignored (a boot loader pads an initrd). 0, or -EINVAL with
 * fs->err and fs->err_off saying why (bad magic, a field that is not hex,
 * a name without its NUL, a name or file running past the end, no trailer:
 * a truncated archive). An empty archive (a trailer only) is a valid empty
 * tree. On failure fs is an empty tree, never half a one. */
int cpiofs_mount(struct cpiofs *fs, const void *archive, size_t len);

/* The entry at path: 0 and *e filled, -ENOENT, -ENAMETOOLONG (path or a
 * component over CPIOFS_PATH_MAX). The root always exists (a directory,
 * listed or not). When an archive lists a name twice, the last one wins
 * (as the kernel's initramfs unpacking does). */
int cpiofs_lookup(const struct cpiofs *fs, const char *path, struct cpiofs_entry *e);

/* The directory's children one by one: *cursor starts at 0; returns 1 and
 * fills *child (its name is the last component only: child->name points to
 * it inside the entry's full name), 0 at the end, -ENOTDIR when dir is not
 * a directory. The cursor is an archive offset: keep it between calls. */
int cpiofs_readdir(const struct cpiofs *fs, const struct cpiofs_entry *dir, size_t *cursor,
                   struct cpiofs_entry *child);

/* Reads up to len bytes of e from offset off into buf: the count (0 at or
 * past the end). Never fails. */
size_t cpiofs_read(const struct cpiofs_entry *e, uint64_t off, void *buf, size_t len);

#endif /* NFOS_CPIOFS_H */
