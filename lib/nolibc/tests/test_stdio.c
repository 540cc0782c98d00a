/* stdio.c through the recording console: what reaches plat_console_write,
 * in how many writes, and in which order between stdout and stderr. */
#include <criterion/criterion.h>
#include <string.h>

#include "fakes.h"
#include "nolibc_test.h"

static void setup(void)
{
    fake_console_reset();
}

TestSuite(stdio, .init = setup);

Test(stdio, stdout_waits_for_a_newline)
{
    cr_assert_eq(nolibc_printf("abc"), 3);
    cr_assert_eq(nolibc_putchar('d'), 'd');
    cr_assert_eq(nolibc_fputs("ef", nolibc_stdout), 2);
    cr_assert_eq(fake_console.writes, 0);
    /* A call that ends a line flushes everything, in one write. */
    cr_assert_eq(nolibc_printf("%d\n%s", 42, "tail"), 7);
    cr_assert_eq(fake_console.writes, 1);
    cr_assert_str_eq(fake_console.text, "abcdef42\ntail");
    nolibc_putchar('\n');
    cr_assert_eq(fake_console.writes, 2);
    cr_assert_str_eq(fake_console.text, "abcdef42\ntail\n");
}

Test(stdio, fflush_writes_what_is_buffered)
{
    nolibc_printf("partial");
    cr_assert_eq(nolibc_fflush(nolibc_stdout), 0);
    cr_assert_str_eq(fake_console.text, "partial");
    cr_assert_eq(fake_console.writes, 1);
    cr_assert_eq(nolibc_fflush(NULL), 0);
    cr_assert_eq(fake_console.writes, 1); /* nothing left, no empty write */
}

Test(stdio, long_output_goes_out_in_few_writes)
{
    char line[1000];

    memset(line, 'q', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    nolibc_printf("%s\n", line);
    cr_assert_eq(fake_console.len, 1000);
    cr_assert_lt(fake_console.writes, 6);
    cr_assert(!strncmp(fake_console.text, line, 999));
    cr_assert_eq(fake_console.text[999], '\n');

    /* A block bigger than the buffer skips it once the buffer is empty. */
    fake_console_reset();
    nolibc_fwrite(line, 1, 999, nolibc_stdout);
    cr_assert_eq(fake_console.writes, 1);
    cr_assert_eq(fake_console.write_len[0], 999);
}

Test(stdio, many_short_lines_fill_the_buffer_before_writing)
{
    for (int i = 0; i < 100; i++)
        nolibc_printf("%d,", i);
    /* 290 bytes without a newline: a full buffer went out, the rest waits. */
    cr_assert_eq(fake_console.writes, 1);
    nolibc_fflush(nolibc_stdout);
    cr_assert_eq(fake_console.len, 290);
}

Test(stdio, stderr_writes_each_call_at_once)
{
    cr_assert_eq(nolibc_fprintf(nolibc_stderr, "error %d: %s", 5, "bad"), 12);
    cr_assert_eq(fake_console.writes, 1);
    cr_assert_eq(fake_console.write_len[0], 12);
    cr_assert_eq(nolibc_fputc('!', nolibc_stderr), '!');
    cr_assert_eq(fake_console.writes, 2);
    cr_assert_str_eq(fake_console.text, "error 5: bad!");
}

Test(stdio, stderr_does_not_overtake_stdout)
{
    nolibc_printf("out ");
    nolibc_fputs("err\n", nolibc_stderr);
    cr_assert_str_eq(fake_console.text, "out err\n");
    cr_assert_eq(fake_console.writes, 2);
}

Test(stdio, puts_fwrite_return_values)
{
    cr_assert_eq(nolibc_puts("line"), 5);
    cr_assert_str_eq(fake_console.text, "line\n");
    cr_assert_eq(fake_console.writes, 1);
    cr_assert_eq(nolibc_fwrite("abcdef", 2, 3, nolibc_stdout), 3);
    cr_assert_eq(nolibc_fwrite("abcdef", 0, 3, nolibc_stdout), 0);
    cr_assert_eq(nolibc_fwrite("abcdef", 3, 0, nolibc_stdout), 0);
    cr_assert_eq(nolibc_putchar(0x1ff), 0xff);
    nolibc_fflush(NULL);
    cr_assert_eq(fake_console.len, 12);
    cr_assert(!memcmp(fake_console.text, "line\nabcdef\xff", 12));
}

static int call_vprintf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = nolibc_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

static int call_vfprintf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = nolibc_vfprintf(nolibc_stderr, fmt, ap);
    va_end(ap);
    return n;
}

Test(stdio, vprintf_vfprintf)
{
    cr_assert_eq(call_vprintf("%s-%03d\n", "v", 7), 6);
    cr_assert_eq(call_vfprintf("[%x]", 255), 4);
    cr_assert_str_eq(fake_console.text, "v-007\n[ff]");
}

Test(stdio, exit_flushes_stdout)
{
    nolibc_printf("unfinished");
    cr_assert_eq(FAKE_EXIT_STATUS(nolibc_exit(3)), 3);
    cr_assert_str_eq(fake_console.text, "unfinished");
}

Test(stdio, abort_says_so_and_ends_with_127)
{
    nolibc_printf("last words ");
    cr_assert_eq(FAKE_EXIT_STATUS(nolibc_abort()), 127);
    cr_assert_str_eq(fake_console.text, "last words abort()\n");
}

Test(stdio, assert_failure_message)
{
    cr_assert_eq(FAKE_EXIT_STATUS(nolibc___assert_fail("x > 0", "foo.c", 12, "bar")), 127);
    cr_assert_str_eq(fake_console.text, "Assertion failed: x > 0 (foo.c:12: bar)\nabort()\n");
}
