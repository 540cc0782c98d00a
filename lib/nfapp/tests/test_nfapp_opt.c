/* The apps' option parser: every kind of value with what it takes and what
 * it refuses (the destination untouched then), and nfapp_args_parse's
 * walk, --help text and error lines, compared whole. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nfos/net.h>
#include <nfos/nfapp_opt.h>

/* One value through one row: the parser's result. */
static int parse1(const struct nfapp_opt_kind *kind, void *dst, uint64_t min, uint64_t max,
                  const char *s)
{
    struct nfapp_opt o = { "--x", "X", kind, dst, min, max, "help" };

    return kind->parse(&o, s);
}

static void count_ok(const char *s, uint64_t want)
{
    uint64_t v = 12345;

    cr_assert_eq(parse1(&nfapp_opt_count, &v, 0, UINT64_MAX, s), 0, "%s", s);
    cr_assert_eq(v, want, "%s: %llu", s, (unsigned long long)v);
}

static void count_bad(const char *s, uint64_t min, uint64_t max, int err)
{
    uint64_t v = 12345;

    cr_assert_eq(parse1(&nfapp_opt_count, &v, min, max, s), err, "%s", s ? s : "NULL");
    cr_assert_eq(v, 12345, "%s: touched", s ? s : "NULL");
}

Test(count, values)
{
    count_ok("0", 0);
    count_ok("500", 500);
    count_ok("007", 7);
    count_ok("500K", 500000);
    count_ok("500k", 500000);
    count_ok("2M", 2000000);
    count_ok("2m", 2000000);
    count_ok("3G", 3000000000ull);
    count_ok("3g", 3000000000ull);
    count_ok("18446744073709551615", UINT64_MAX);
    count_ok("18446744073709551K", 18446744073709551000ull);
}

Test(count, malformed)
{
    const char *bad[] = {
        NULL, "",     "x",   "-1",  "+1",  " 1",  "1 ",   "1KK", "1T",    "1.5",
        "K",  "0x10", "1e3", "1,0", "1K ", "1\n", "1\t2", "1 K", "1 000", "1_000"
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        count_bad(bad[i], 0, UINT64_MAX, -EINVAL);
}

Test(count, out_of_range)
{
    count_bad("18446744073709551616", 0, UINT64_MAX, -ERANGE);
    count_bad("99999999999999999999999", 0, UINT64_MAX, -ERANGE);
    count_bad("18446744073709552K", 0, UINT64_MAX, -ERANGE);
    count_bad("18446744073709553M", 0, UINT64_MAX, -ERANGE);
    count_bad("18446744074G", 0, UINT64_MAX, -ERANGE);
    count_bad("0", 1, 64, -ERANGE);
    count_bad("65", 1, 64, -ERANGE);
    count_bad("1K", 1, 64, -ERANGE);
}

Test(count, range_bounds_inclusive)
{
    uint64_t v = 0;

    cr_assert_eq(parse1(&nfapp_opt_count, &v, 1, 64, "1"), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(parse1(&nfapp_opt_count, &v, 1, 64, "64"), 0);
    cr_assert_eq(v, 64);
    cr_assert_eq(parse1(&nfapp_opt_count, &v, 50, 1514, "1K"), 0);
    cr_assert_eq(v, 1000);
}

/* Sizes and 16-bit numbers: each case's text, range, result and value. */
static const struct {
    const struct nfapp_opt_kind *kind;
    const char *s;
    uint64_t min, max;
    int err;
    uint64_t want;
} ints[] = {
    { &nfapp_opt_size, "1K", 1, SIZE_MAX, 0, 1024 },
    { &nfapp_opt_size, "16m", 1, SIZE_MAX, 0, 16u << 20 },
    { &nfapp_opt_size, "2G", 1, SIZE_MAX, 0, (uint64_t)2 << 30 },
    { &nfapp_opt_size, "4097", 1, SIZE_MAX, 0, 4097 },
    { &nfapp_opt_size, "0", 1, SIZE_MAX, -ERANGE, 0 },
    { &nfapp_opt_size, "17179869184G", 1, SIZE_MAX, -ERANGE, 0 },
    { &nfapp_opt_size, "1025K", 1, 1 << 20, -ERANGE, 0 },
    { &nfapp_opt_size, "1.5M", 1, SIZE_MAX, -EINVAL, 0 },
    { &nfapp_opt_size, "1MB", 1, SIZE_MAX, -EINVAL, 0 },
    { &nfapp_opt_size, "-1", 1, SIZE_MAX, -EINVAL, 0 },
    { &nfapp_opt_size, NULL, 1, SIZE_MAX, -EINVAL, 0 },
    { &nfapp_opt_u16, "0", 0, UINT16_MAX, 0, 0 },
    { &nfapp_opt_u16, "65535", 0, UINT16_MAX, 0, 65535 },
    { &nfapp_opt_u16, "11211", 1, UINT16_MAX, 0, 11211 },
    { &nfapp_opt_u16, "65536", 0, UINT16_MAX, -ERANGE, 0 },
    { &nfapp_opt_u16, "65536", 0, UINT64_MAX, -ERANGE, 0 },
    { &nfapp_opt_u16, "99999999999999999999999", 0, UINT16_MAX, -ERANGE, 0 },
    { &nfapp_opt_u16, "0", 1, UINT16_MAX, -ERANGE, 0 },
    { &nfapp_opt_u16, "8", 0, 7, -ERANGE, 0 },
    { &nfapp_opt_u16, "1K", 0, UINT16_MAX, -EINVAL, 0 },
    { &nfapp_opt_u16, "", 0, UINT16_MAX, -EINVAL, 0 },
    { &nfapp_opt_u16, "-1", 0, UINT16_MAX, -EINVAL, 0 },
    { &nfapp_opt_u16, "80x", 0, UINT16_MAX, -EINVAL, 0 },
    { &nfapp_opt_u16, NULL, 0, UINT16_MAX, -EINVAL, 0 },
};

Test(size_u16, values_and_errors)
{
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        const char *s = ints[i].s ? ints[i].s : "NULL";
        size_t size = 7;
        uint16_t u16 = 7;
        bool is_size = ints[i].kind == &nfapp_opt_size;
        int err = parse1(ints[i].kind, is_size ? (void *)&size : (void *)&u16, ints[i].min,
                         ints[i].max, ints[i].s);
        uint64_t got = is_size ? size : u16;

        cr_assert_eq(err, ints[i].err, "%s: %d", s, err);
        cr_assert_eq(got, err ? 7 : ints[i].want, "%s: %llu", s, (unsigned long long)got);
    }
}

static void seconds_ok(const char *s, double want)
{
    double v = -1;

    cr_assert_eq(parse1(&nfapp_opt_seconds, &v, 0, 0, s), 0, "%s", s);
    cr_assert_float_eq(v, want, 1e-12, "%s: %f", s, v);
}

Test(seconds, values)
{
    seconds_ok("0", 0);
    seconds_ok("2", 2);
    seconds_ok("0.25", 0.25);
    seconds_ok(".5", 0.5);
    seconds_ok("5.", 5);
    seconds_ok("999999999", 999999999);
    seconds_ok("1.000000001", 1.000000001);
}

Test(seconds, malformed)
{
    const char *bad[] = { NULL,    "",    ".",  "-1",   "+1",  "1e3",
                          "1.2.3", "1s",  " 1", "1 ",   "1,5", "1000000000",
                          "0x1",   "inf", "1K", "1.5x", "nan", "1.0000000001" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = -1;

        cr_assert_eq(parse1(&nfapp_opt_seconds, &v, 0, 0, bad[i]), -EINVAL, "%s",
                     bad[i] ? bad[i] : "NULL");
        cr_assert_eq(v, -1, "%s: touched", bad[i]);
    }
}

Test(flag, sets_true)
{
    bool b = false;

    cr_assert_eq(parse1(&nfapp_opt_flag, &b, 0, 0, NULL), 0);
    cr_assert(b);
}

Test(choice, words_of_the_arg)
{
    static const char *const words[] = { "rx-queue", "tx-queue", "stopped" };
    static const char *const bad[] = { "", "rx", "rx-queue|", "queue", "stoppedx", "|" };
    struct nfapp_opt o = { "--misuse", "rx-queue|tx-queue|stopped", &nfapp_opt_choice, NULL, 0, 0,
                           "help" };
    const char *v;
    unsigned i;

    o.dst = &v;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        v = NULL;
        cr_assert_eq(o.kind->parse(&o, words[i]), 0, "%s", words[i]);
        cr_assert_str_eq(v, words[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = NULL;
        cr_assert_eq(o.kind->parse(&o, bad[i]), -EINVAL, "'%s'", bad[i]);
        cr_assert_null(v, "'%s': touched", bad[i]);
    }
}

Test(mac, values_and_errors)
{
    uint8_t m[6] = { 1, 2, 3, 4, 5, 6 }, want[6] = { 0x02, 0, 0, 0, 0xab, 0x01 };
    const char *bad[] = { NULL, "", "02:00", "02:00:00:00:ab:01:02", "02-00-00-00-ab-01", "zz" };

    cr_assert_eq(parse1(&nfapp_opt_mac, m, 0, 0, "02:00:00:00:AB:01"), 0);
    cr_assert_arr_eq(m, want, 6);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse1(&nfapp_opt_mac, m, 0, 0, bad[i]), -EINVAL, "%s", bad[i]);
        cr_assert_arr_eq(m, want, 6, "%s: touched", bad[i]);
    }
}

Test(ipv4, values_and_errors)
{
    uint32_t a = 7;
    const char *bad[] = { NULL, "", "10.0.0", "10.0.0.256", "10.0.0.2/24", "10.0.0.02", "x" };

    cr_assert_eq(parse1(&nfapp_opt_ipv4, &a, 0, 0, "10.0.0.2"), 0);
    cr_assert_eq(a, NET_IPV4(10, 0, 0, 2));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(parse1(&nfapp_opt_ipv4, &a, 0, 0, bad[i]), -EINVAL, "%s", bad[i]);
        cr_assert_eq(a, NET_IPV4(10, 0, 0, 2), "%s: touched", bad[i]);
    }
}

/* --- nfapp_args_parse -------------------------------------------------- */

static struct {
    bool swap;
    uint64_t count, burst;
    double seconds;
    uint16_t port;
    size_t mem;
    uint8_t mac[6];
    uint32_t ip;
} v;

static const struct nfapp_opt opts[] = {
    NFAPP_OPT_FLAG("--swap", v.swap, "swap the MACs"),
    NFAPP_OPT_COUNT("--count", "PKTS", v.count, 0, UINT64_MAX, "stop after PKTS"),
    NFAPP_OPT_SECONDS("--time", "SECONDS", v.seconds, "stop after SECONDS"),
    NFAPP_OPT_COUNT("--burst", "N", v.burst, 1, 64, "frames per burst"),
    NFAPP_OPT_U16("--port", "N", v.port, 1, UINT16_MAX, "UDP port"),
    NFAPP_OPT_SIZE("--mem", "SIZE", v.mem, 1, SIZE_MAX, "memory"),
    NFAPP_OPT_MAC("--dst-mac", "MAC", v.mac, "destination MAC"),
    NFAPP_OPT_IPV4("--dst-ip", "ADDR", v.ip, "destination address"),
    NFAPP_OPT_END,
};

#define ARGS(...)    ((char *[]){ "app", __VA_ARGS__, NULL })
#define NARGS(...)   ((int)(sizeof((char *[]){ "app", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(...)   nfapp_args_parse("app", NULL, opts, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))
#define HINT         " (app --help lists the options)\n"
#define WHAT_COUNT   "expected a whole number (K/M/G: x1000)\n"
#define WHAT_SECONDS "expected seconds, as 2 or 0.5\n"

static void redirect(void)
{
    memset(&v, 0, sizeof(v));
    v.burst = 32;
    cr_redirect_stdout();
    cr_redirect_stderr();
}

TestSuite(args, .init = redirect);

Test(args, none)
{
    char *argv[] = { "app", NULL };

    cr_assert_eq(nfapp_args_parse("app", NULL, opts, 1, argv), NFAPP_RUN);
    cr_assert_eq(v.burst, 32, "defaults stay");
    fflush(stdout);
    fflush(stderr);
    cr_assert_stdout_eq_str("");
    cr_assert_stderr_eq_str("");
}

Test(args, every_kind)
{
    uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };

    cr_assert_eq(PARSE("--swap", "--count", "500K", "--time", "1.5", "--burst", "64", "--port", "9",
                       "--mem", "2M", "--dst-mac", "02:00:00:00:00:09", "--dst-ip", "192.168.1.2"),
                 NFAPP_RUN);
    cr_assert(v.swap);
    cr_assert_eq(v.count, 500000);
    cr_assert_float_eq(v.seconds, 1.5, 1e-12);
    cr_assert_eq(v.burst, 64);
    cr_assert_eq(v.port, 9);
    cr_assert_eq(v.mem, 2u << 20);
    cr_assert_arr_eq(v.mac, mac, 6);
    cr_assert_eq(v.ip, NET_IPV4(192, 168, 1, 2));
    fflush(stderr);
    cr_assert_stderr_eq_str("");
}

Test(args, the_last_of_a_repeat_wins)
{
    cr_assert_eq(PARSE("--count", "1", "--count", "2"), NFAPP_RUN);
    cr_assert_eq(v.count, 2);
}

Test(args, a_flag_takes_no_value)
{
    cr_assert_eq(PARSE("--swap", "--count", "3"), NFAPP_RUN);
    cr_assert(v.swap);
    cr_assert_eq(v.count, 3);
}

/* Every error path: the arguments (at most three) and the line they give. */
static const struct {
    const char *argv[3];
    const char *line;
} errors[] = {
    { { "--frobnicate" }, "app: unknown argument '--frobnicate'" HINT },
    { { "--count", "1", "extra" }, "app: unknown argument 'extra'" HINT },
    { { "--count=5" }, "app: unknown argument '--count=5'" HINT },
    { { "-x" }, "app: unknown argument '-x'" HINT },
    { { "--swap", "--count" }, "app: bad value '(none)' for --count: " WHAT_COUNT },
    { { "--time" }, "app: bad value '(none)' for --time: " WHAT_SECONDS },
    { { "--dst-ip" }, "app: bad value '(none)' for --dst-ip: expected an IPv4 address a.b.c.d\n" },
    { { "--count", "x" }, "app: bad value 'x' for --count: " WHAT_COUNT },
    { { "--count", "--swap" }, "app: bad value '--swap' for --count: " WHAT_COUNT },
    { { "--time", "1s" }, "app: bad value '1s' for --time: " WHAT_SECONDS },
    { { "--burst", "65" }, "app: bad value '65' for --burst: expected 1..64\n" },
    { { "--burst", "0" }, "app: bad value '0' for --burst: expected 1..64\n" },
    { { "--port", "0" }, "app: bad value '0' for --port: expected 1..65535\n" },
    { { "--port", "65536" }, "app: bad value '65536' for --port: expected 1..65535\n" },
    { { "--count", "99999999999999999999" },
      "app: bad value '99999999999999999999' for --count: expected 0..18446744073709551615\n" },
    { { "--mem", "1MB" },
      "app: bad value '1MB' for --mem: expected a size in bytes (K/M/G: x1024)\n" },
    { { "--dst-mac", "02:00" },
      "app: bad value '02:00' for --dst-mac: expected a MAC address aa:bb:cc:dd:ee:ff\n" },
    { { "--dst-ip", "10.0.0.300" },
      "app: bad value '10.0.0.300' for --dst-ip: expected an IPv4 address a.b.c.d\n" },
};

Test(args, every_error_line)
{
    char want[4096] = "";

    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        char *argv[5] = { "app" };
        int argc = 1;

        for (size_t k = 0; k < 3 && errors[i].argv[k]; k++)
            argv[argc++] = (char *)errors[i].argv[k];
        cr_assert_eq(nfapp_args_parse("app", NULL, opts, argc, argv), 2, "%s", errors[i].line);
        strcat(want, errors[i].line);
    }
    cr_assert_eq(v.burst, 32, "a refused value is not stored");
    cr_assert_eq(v.port, 0, "a refused value is not stored");
    fflush(stdout);
    fflush(stderr);
    cr_assert_stdout_eq_str("");
    cr_assert_stderr_eq_str(want);
}

Test(args, the_first_error_wins)
{
    cr_assert_eq(PARSE("--burst", "0", "--count", "5", "--frobnicate"), 2);
    cr_assert_eq(v.count, 0, "nothing after the error is parsed");
    fflush(stderr);
    cr_assert_stderr_eq_str("app: bad value '0' for --burst: expected 1..64\n");
}

Test(args, help_after_an_error_is_not_reached)
{
    cr_assert_eq(PARSE("--nope", "--help"), 2);
    fflush(stdout);
    cr_assert_stdout_eq_str("");
}

#define HELP                                                                       \
    "usage: app [--swap] [--count PKTS] [--time SECONDS] [--burst N] [--port N]\n" \
    "           [--mem SIZE] [--dst-mac MAC] [--dst-ip ADDR]\n"                    \
    "  About this app.\n"                                                          \
    "  --swap          swap the MACs\n"                                            \
    "  --count PKTS    stop after PKTS\n"                                          \
    "  --time SECONDS  stop after SECONDS\n"                                       \
    "  --burst N       frames per burst\n"                                         \
    "  --port N        UDP port\n"                                                 \
    "  --mem SIZE      memory\n"                                                   \
    "  --dst-mac MAC   destination MAC\n"                                          \
    "  --dst-ip ADDR   destination address\n"                                      \
    "  --help          prints this text\n"

Test(args, help)
{
    char *argv[] = { "app", "--count", "7", "--help", "--frobnicate", NULL };

    cr_assert_eq(nfapp_args_parse("app", "  About this app.\n", opts, 5, argv), 0);
    fflush(stdout);
    fflush(stderr);
    cr_assert_stdout_eq_str(HELP);
    cr_assert_stderr_eq_str("");
}

Test(args, short_help)
{
    char *argv[] = { "app", "-h", NULL };
    const struct nfapp_opt none[] = { NFAPP_OPT_END };

    cr_assert_eq(nfapp_args_parse("app", NULL, none, 2, argv), 0);
    fflush(stdout);
    cr_assert_stdout_eq_str("usage: app\n"
                            "  --help  prints this text\n");
}
