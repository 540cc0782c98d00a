/* cpio "newc" archives as a read-only tree. Every header is checked once,
 * by cpiofs_mount(); afterwards a walk over the archive re-reads headers
 * that are known to be good. No allocation, no copy of file data. */
#include <errno.h>
#include <string.h>
#include <nfos/cpiofs.h>

#define HDR_LEN   110
#define NR_FIELDS 13
#define TRAILER   "TRAILER!!!"

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_SIZE, F_NAMESIZE = 11 };

#define ALIGN4(x) (((x) + 3) & ~(size_t)3)

static int hex8(const uint8_t *p, uint32_t *v)
{
    uint32_t n = 0;
    int i;

    for (i = 0; i < 8; i++) {
        uint8_t c = p[i];

        if (c >= '0' && c <= '9')
            n = n << 4 | (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            n = n << 4 | (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            n = n << 4 | (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *v = n;
    return 0;
}

/* Strips "./" and '/' in front and '/' behind; "." alone is the root. */
static void name_trim(const char **s, size_t *len)
{
    for (;;) {
        if (*len && **s == '/') {
            (*s)++, (*len)--;
        } else if (*len >= 2 && (*s)[0] == '.' && (*s)[1] == '/') {
            *s += 2, *len -= 2;
        } else {
            break;
        }
    }
    if (*len == 1 && **s == '.')
        *len = 0;
    while (*len && (*s)[*len - 1] == '/')
        (*len)--;
}

/* A trimmed name is canonical: no empty, "." or ".." component. */
static int name_canonical(const char *s, size_t len)
{
    size_t i = 0, c;

    while (i < len) {
        for (c = i; c < len && s[c] != '/'; c++)
            ;
        if (c == i || (c - i == 1 && s[i] == '.') || (c - i == 2 && s[i] == '.' && s[i + 1] == '.'))
            return 0;
        i = c + 1;
    }
    return 1;
}

/* Parses the header at off into *e and the offset of the next one into
 * *next. 1 for an entry, 0 for the trailer, -1 with *why when malformed. */
static int entry_parse(const uint8_t *a, size_t len, size_t off, struct cpiofs_entry *e,
                       size_t *next, const char **why)
{
    uint32_t f[NR_FIELDS];
    size_t name_off, data_off;
    const char *name;
    size_t namelen;
    int i;

    if (len - off < HDR_LEN) {
        *why = "truncated header (no trailer)";
        return -1;
    }
    if (memcmp(a + off, "07070", 5) || (a[off + 5] != '1' && a[off + 5] != '2')) {
        *why = "bad magic (not a newc cpio archive)";
        return -1;
    }
    for (i = 0; i < NR_FIELDS; i++) {
        if (hex8(a + off + 6 + 8 * i, &f[i])) {
            *why = "header field is not hexadecimal";
            return -1;
        }
    }
    if (f[F_NAMESIZE] < 1 || f[F_NAMESIZE] > CPIOFS_PATH_MAX + 1) {
        *why = "name size out of range";
        return -1;
    }
    name_off = off + HDR_LEN;
    if (len - name_off < f[F_NAMESIZE]) {
        *why = "truncated name";
        return -1;
    }
    name = (const char *)a + name_off;
    namelen = f[F_NAMESIZE] - 1;
    if (name[namelen] != '\0' || memchr(name, '\0', namelen)) {
        *why = "name not terminated by its NUL";
        return -1;
    }
    data_off = ALIGN4(name_off + f[F_NAMESIZE]);
    if (data_off > len || len - data_off < f[F_SIZE]) {
        *why = "truncated file data";
        return -1;
    }
    *next = data_off + f[F_SIZE];
    *next = *next > len ? len : ALIGN4(*next);
    if (*next > len)
        *next = len;
    if (namelen == sizeof(TRAILER) - 1 && !memcmp(name, TRAILER, namelen))
        return 0;
    name_trim(&name, &namelen);
    if (!name_canonical(name, namelen)) {
        *why = "name with an empty, '.' or '..' component";
        return -1;
    }
    if (!namelen && (f[F_MODE] & CPIOFS_S_IFMT) != CPIOFS_S_IFDIR) {
        *why = "the root entry ('.') is not a directory";
        return -1;
    }
    e->name = name;
    e->namelen = namelen;
    e->data = a + data_off;
    e->size = f[F_SIZE];
    e->ino = f[F_INO];
    e->mode = f[F_MODE];
    e->uid = f[F_UID];
    e->gid = f[F_GID];
    e->nlink = f[F_NLINK];
    e->mtime = f[F_MTIME];
    e->off = off;
    return 1;
}

int cpiofs_mount(struct cpiofs *fs, const void *archive, size_t len)
{
    struct cpiofs_entry e;
    size_t off = 0, next;
    unsigned n = 0;
    int r;

    memset(fs, 0, sizeof(*fs));
    while ((r = entry_parse(archive, len, off, &e, &next, &fs->err)) > 0) {
        off = next;
        n++;
    }
    if (r < 0) {
        fs->err_off = off;
        return -EINVAL;
    }
    fs->base = archive;
    fs->len = next;
    fs->nr_entries = n;
    fs->err = NULL;
    return 0;
}

/* The entry at *off (known good), advancing *off; 0 at the trailer. */
static int entry_next(const struct cpiofs *fs, size_t *off, struct cpiofs_entry *e)
{
    const char *why;
    size_t next;

    if (!fs->base || *off >= fs->len)
        return 0;
    if (entry_parse(fs->base, fs->len, *off, e, &next, &why) <= 0)
        return 0;
    *off = next;
    return 1;
}

/* Canonicalises path into buf: its length, or -ENAMETOOLONG. */
static long path_canon(const char *path, char *buf)
{
    size_t n = 0;

    buf[0] = '\0';
    while (*path) {
        const char *c = path;
        size_t clen;

        while (*path && *path != '/')
            path++;
        clen = (size_t)(path - c);
        if (*path)
            path++;
        if (clen == 0 || (clen == 1 && c[0] == '.'))
            continue;
        if (clen == 2 && c[0] == '.' && c[1] == '.') {
            while (n && buf[n - 1] != '/')
                n--;
            if (n)
                n--;
            continue;
        }
        if (n + !!n + clen > CPIOFS_PATH_MAX)
            return -ENAMETOOLONG;
        if (n)
            buf[n++] = '/';
        memcpy(buf + n, c, clen);
        n += clen;
    }
    return (long)n;
}

static int entry_named(const struct cpiofs *fs, const char *name, size_t len, size_t from,
                       struct cpiofs_entry *found)
{
    struct cpiofs_entry e;
    size_t off = from;
    int hit = 0;

    while (entry_next(fs, &off, &e)) {
        if (e.namelen == len && !memcmp(e.name, name, len)) {
            *found = e;
            hit = 1;
        }
    }
    return hit;
}

int cpiofs_lookup(const struct cpiofs *fs, const char *path, struct cpiofs_entry *e)
{
    char buf[CPIOFS_PATH_MAX];
    long n = path_canon(path, buf);

    if (n < 0)
        return (int)n;
    if (entry_named(fs, buf, (size_t)n, 0, e))
        return 0;
    if (n)
        return -ENOENT;
    memset(e, 0, sizeof(*e));
    e->name = "";
    e->mode = CPIOFS_S_IFDIR | 0555;
    e->nlink = 2;
    e->off = (size_t)-1; /* the made-up root: no header */
    return 0;
}

int cpiofs_readdir(const struct cpiofs *fs, const struct cpiofs_entry *dir, size_t *cursor,
                   struct cpiofs_entry *child)
{
    struct cpiofs_entry e, later;
    size_t plen = dir->namelen + !!dir->namelen;

    if ((dir->mode & CPIOFS_S_IFMT) != CPIOFS_S_IFDIR)
        return -ENOTDIR;
    while (entry_next(fs, cursor, &e)) {
        if (e.namelen <= plen || memcmp(e.name, dir->name, dir->namelen) ||
            (dir->namelen && e.name[dir->namelen] != '/') ||
            memchr(e.name + plen, '/', e.namelen - plen))
            continue;
        /* A name listed again later is that later entry's. */
        if (entry_named(fs, e.name, e.namelen, *cursor, &later))
            continue;
        *child = e;
        child->name += plen;
        child->namelen -= plen;
        return 1;
    }
    return 0;
}

size_t cpiofs_read(const struct cpiofs_entry *e, uint64_t off, void *buf, size_t len)
{
    if (off >= e->size)
        return 0;
    if (len > e->size - off)
        len = (size_t)(e->size - off);
    memcpy(buf, e->data + off, len);
    return len;
}
