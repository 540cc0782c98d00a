/* string.c against glibc: every size and alignment around the word and
 * rep-movsb thresholds, overlapping memmove both ways, and the str* edge
 * cases. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fakes.h"
#include "nolibc_test.h"

#define BIG 700 /* beyond NOLIBC_BULK_MIN (256) with room for offsets */

static unsigned char src[BIG + 64], dst[BIG + 64], ref[BIG + 64];

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 131 + seed * 7 + 1);
}

Test(string, memcpy_sizes_and_alignments)
{
    fill_pattern(src, sizeof(src), 1);
    for (size_t n = 0; n <= BIG; n += n < 80 ? 1 : 37)
        for (size_t so = 0; so < 8; so++)
            for (size_t d_o = 0; d_o < 8; d_o++) {
                memset(dst, 0xee, sizeof(dst));
                memset(ref, 0xee, sizeof(ref));
                memcpy(ref + d_o, src + so, n);
                cr_assert_eq(nolibc_memcpy(dst + d_o, src + so, n), dst + d_o);
                cr_assert(!memcmp(dst, ref, sizeof(dst)), "n=%zu so=%zu do=%zu", n, so, d_o);
            }
}

Test(string, memmove_overlaps)
{
    for (size_t n = 0; n <= BIG - 40; n += n < 70 ? 1 : 29)
        for (int shift = -20; shift <= 20; shift++) {
            size_t s_off = 24, d_off = (size_t)(24 + shift);

            fill_pattern(dst, sizeof(dst), (unsigned)n);
            memcpy(ref, dst, sizeof(ref));
            memmove(ref + d_off, ref + s_off, n);
            cr_assert_eq(nolibc_memmove(dst + d_off, dst + s_off, n), dst + d_off);
            cr_assert(!memcmp(dst, ref, sizeof(dst)), "n=%zu shift=%d", n, shift);
        }
}

Test(string, memset_sizes)
{
    for (size_t n = 0; n <= BIG; n += n < 80 ? 1 : 41)
        for (size_t off = 0; off < 8; off++) {
            memset(dst, 0x11, sizeof(dst));
            memset(ref, 0x11, sizeof(ref));
            memset(ref + off, 0xab, n);
            cr_assert_eq(nolibc_memset(dst + off, 0x3ab, n), dst + off); /* c as a byte */
            cr_assert(!memcmp(dst, ref, sizeof(dst)), "n=%zu off=%zu", n, off);
        }
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

Test(string, memcmp_sign_at_every_position)
{
    unsigned char a[80], b[80];

    fill_pattern(a, sizeof(a), 3);
    memcpy(b, a, sizeof(b));
    cr_assert_eq(nolibc_memcmp(a, b, sizeof(a)), 0);
    cr_assert_eq(nolibc_memcmp(a, b, 0), 0);
    for (size_t i = 0; i < sizeof(a); i++) {
        for (int d = -1; d <= 1; d += 2) {
            memcpy(b, a, sizeof(b));
            b[i] = (unsigned char)(a[i] + d);
            /* Bytes compare as unsigned: 0x80 > 0x7f. */
            cr_assert_eq(sign(nolibc_memcmp(a, b, sizeof(a))), sign(memcmp(a, b, sizeof(a))),
                         "i=%zu", i);
            cr_assert_eq(nolibc_memcmp(a, b, i), 0);
        }
    }
    cr_assert_gt(nolibc_memcmp("\x80", "\x7f", 1), 0);
}

Test(string, memchr)
{
    const char s[] = "abc\0def";

    cr_assert_eq(nolibc_memchr(s, 'd', sizeof(s)), s + 4);
    cr_assert_eq(nolibc_memchr(s, 0, sizeof(s)), s + 3);
    cr_assert_eq(nolibc_memchr(s, 'd', 4), NULL);
    cr_assert_eq(nolibc_memchr(s, 'a' + 256, 3), s); /* c as unsigned char */
}

Test(string, strlen_every_alignment)
{
    static char buf[200];

    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len < 150; len++) {
            memset(buf, 'x', sizeof(buf));
            buf[off + len] = '\0';
            cr_assert_eq(nolibc_strlen(buf + off), len, "off=%zu len=%zu", off, len);
            cr_assert_eq(nolibc_strnlen(buf + off, len / 2), len / 2);
            cr_assert_eq(nolibc_strnlen(buf + off, len + 5), len);
        }
    /* High bytes must not look like terminators. */
    cr_assert_eq(nolibc_strlen("\x80\x81\xff\x01\x7f\xfe\x80\x80\x80"), 9);
}

Test(string, strlen_near_a_heap_end)
{
    /* ASan would catch a read past the allocation that is not in the
     * aligned word holding the NUL. */
    for (size_t len = 0; len < 40; len++) {
        char *p = malloc(len + 1);

        memset(p, 'y', len);
        p[len] = '\0';
        cr_assert_eq(nolibc_strlen(p), len);
        free(p);
    }
}

Test(string, compare_functions)
{
    const char *words[] = { "", "a", "ab", "abc", "abd", "b", "B", "\x80", "aBc", "ABC" };
    size_t n = sizeof(words) / sizeof(words[0]);

    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const char *a = words[i], *b = words[j];

            cr_assert_eq(sign(nolibc_strcmp(a, b)), sign(strcmp(a, b)), "%s %s", a, b);
            cr_assert_eq(sign(nolibc_strcasecmp(a, b)), sign(strcasecmp(a, b)));
            for (size_t k = 0; k < 5; k++) {
                cr_assert_eq(sign(nolibc_strncmp(a, b, k)), sign(strncmp(a, b, k)));
                cr_assert_eq(sign(nolibc_strncasecmp(a, b, k)), sign(strncasecmp(a, b, k)));
            }
        }
}

Test(string, copy_and_concatenate)
{
    char buf[32];

    memset(buf, 'z', sizeof(buf));
    cr_assert_eq(nolibc_strcpy(buf, "hello"), buf);
    cr_assert_str_eq(buf, "hello");

    /* strncpy pads with NULs to n and does not terminate a long source. */
    memset(buf, 'z', sizeof(buf));
    nolibc_strncpy(buf, "hi", 6);
    cr_assert(!memcmp(buf, "hi\0\0\0\0z", 7));
    memset(buf, 'z', sizeof(buf));
    nolibc_strncpy(buf, "hello", 3);
    cr_assert(!memcmp(buf, "helz", 4));

    nolibc_strcpy(buf, "ab");
    cr_assert_eq(nolibc_strcat(buf, "cd"), buf);
    cr_assert_str_eq(buf, "abcd");
    nolibc_strncat(buf, "efgh", 2);
    cr_assert_str_eq(buf, "abcdef");
    nolibc_strncat(buf, "", 5);
    nolibc_strncat(buf, "xy", 10);
    cr_assert_str_eq(buf, "abcdefxy");
}

Test(string, search_functions)
{
    const char *s = "a,b;;c,d";

    cr_assert_eq(nolibc_strchr(s, ';'), s + 3);
    cr_assert_eq(nolibc_strchr(s, '\0'), s + 8);
    cr_assert_eq(nolibc_strchr(s, 'q'), NULL);
    cr_assert_eq(nolibc_strrchr(s, ','), s + 6);
    cr_assert_eq(nolibc_strrchr(s, '\0'), s + 8);
    cr_assert_eq(nolibc_strrchr(s, 'q'), NULL);
    cr_assert_eq(nolibc_strstr(s, ""), s);
    cr_assert_eq(nolibc_strstr(s, ";;c"), s + 3);
    cr_assert_eq(nolibc_strstr(s, "d"), s + 7);
    cr_assert_eq(nolibc_strstr(s, "d,"), NULL);
    cr_assert_eq(nolibc_strstr("aaab", "aab"), strstr("aaab", "aab"));
    cr_assert_eq(nolibc_strspn(s, "a,b"), 3);
    cr_assert_eq(nolibc_strspn(s, ""), 0);
    cr_assert_eq(nolibc_strcspn(s, ";"), 3);
    cr_assert_eq(nolibc_strcspn(s, ""), 8);
    cr_assert_eq(nolibc_strspn("\xff\x80x", "\x80\xff"), 2);
}

Test(string, strtok_r)
{
    char buf[] = ",,one,two;;three,";
    char *save = NULL;
    const char *want[] = { "one", "two", "three" };
    char *tok;
    size_t i = 0;

    for (tok = nolibc_strtok_r(buf, ",;", &save); tok; tok = nolibc_strtok_r(NULL, ",;", &save))
        cr_assert_str_eq(tok, want[i++]);
    cr_assert_eq(i, 3);
    cr_assert_eq(nolibc_strtok_r(NULL, ",;", &save), NULL);

    char empty[] = ";;;";
    cr_assert_eq(nolibc_strtok_r(empty, ";", &save), NULL);

    /* Two tokenizers at once: the state is only in save. */
    char a[] = "1 2", b[] = "x y";
    char *sa, *sb;
    cr_assert_str_eq(nolibc_strtok_r(a, " ", &sa), "1");
    cr_assert_str_eq(nolibc_strtok_r(b, " ", &sb), "x");
    cr_assert_str_eq(nolibc_strtok_r(NULL, " ", &sa), "2");
    cr_assert_str_eq(nolibc_strtok_r(NULL, " ", &sb), "y");
}

Test(string, strdup_strndup)
{
    char *d = nolibc_strdup("copy me");

    cr_assert_str_eq(d, "copy me");
    free(d);
    d = nolibc_strndup("copy me", 4);
    cr_assert_str_eq(d, "copy");
    free(d);
    d = nolibc_strndup("ab", 10);
    cr_assert_str_eq(d, "ab");
    free(d);

    fake_alloc_fail = 1;
    nolibc_errno = 0;
    cr_assert_null(nolibc_strdup("x"));
    cr_assert_eq(nolibc_errno, ENOMEM);
    fake_alloc_fail = 0;
}
