/* The command line: splitting into words, OS parameters, the app's argv.
 * Every nfos.* key is known here and its value checked, so a typo stops the
 * boot with a clear line instead of being ignored. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <nfos/core.h>
#include "core_priv.h"

#define CORE_MAX_PARAMS 64

enum param_kind { PARAM_NUM, PARAM_SIZE, PARAM_TEXT /* its reader checks it */ };

static const struct {
    const char *key;
    enum param_kind kind;
    const char *help;
} known[] = {
    { "nfos.boottrace", PARAM_NUM, "1: print boot-stage timestamps" },
    { "nfos.verbose", PARAM_NUM, "N: boot messages (devices, memory)" },
    { "nfos.tsc_khz", PARAM_NUM, "kHz: TSC frequency, skips detection" },
    { "nfos.mem", PARAM_SIZE, "SIZE: linuxu memory (K/M/G suffix)" },
    { "nfos.stats", PARAM_NUM, "N: network apps print counters every N seconds" },
    { "nfos.idle_us", PARAM_NUM, "N: network apps yield the CPU after N us idle (50; 0: never)" },
    { "nfos.stdin", PARAM_TEXT, "TEXT: what a musl app reads from stdin on kvm" },
    { "nfos.cpus", PARAM_NUM, "N: lcores (lib/lcore), default: every CPU (linuxu: 1)" },
    { "nfos.cpu_pin", PARAM_TEXT, "C0,C1,...: linuxu pins lcore i to host CPU Ci" },
    { "nfos.exitline", PARAM_NUM, "1: kvm prints the exit status on the console" },
    { "nfos.initrd", PARAM_TEXT, "PATH: linuxu only: the initrd (a cpio archive) to map" },
};

static struct {
    const char *key[CORE_MAX_PARAMS];
    const char *val[CORE_MAX_PARAMS];
    int nr;
} params;

int core_cmdline_split(char *s, char **argv, int max)
{
    int argc = 0;

    for (;;) {
        char *out;

        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            return argc;
        if (argc == max)
            return CORE_CMDLINE_E2BIG;
        argv[argc++] = out = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
            if (*s == '"') {
                s++;
                while (*s && *s != '"')
                    *out++ = *s++;
                if (!*s)
                    return CORE_CMDLINE_EQUOTE;
                s++;
            } else {
                *out++ = *s++;
            }
        }
        if (*s)
            s++;
        *out = '\0';
    }
}

static int parse_u64(const char *s, uint64_t *v, int sized)
{
    uint64_t n = 0;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    if (sized && *s) {
        unsigned shift = *s == 'K' || *s == 'k'   ? 10
                         : *s == 'M' || *s == 'm' ? 20
                         : *s == 'G' || *s == 'g' ? 30
                                                  : 0;
        if (!shift || s[1] || n > (UINT64_MAX >> shift))
            return -EINVAL;
        n <<= shift;
        s++;
    }
    if (*s)
        return -EINVAL;
    *v = n;
    return 0;
}

/* Checks one nfos.* parameter; prints why it is refused. */
static int check_nfos_param(const char *key, const char *val)
{
    uint64_t v;
    size_t i;

    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(key, known[i].key))
            continue;
        if (known[i].kind != PARAM_TEXT &&
            parse_u64(*val ? val : "1", &v, known[i].kind == PARAM_SIZE)) {
            core_err("bad value '%s' for %s (%s)", val, key, known[i].help);
            return -EINVAL;
        }
        return 0;
    }
    core_err("unknown OS parameter '%s'; known:", key);
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        core_err("  %s=%s", known[i].key, known[i].help);
    return -EINVAL;
}

int core_params_parse(int argc, char **argv, int *app_argc, char **app_argv, int app_max)
{
    int i, n = *app_argc;

    for (i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');

        if (!strcmp(argv[i], "--")) {
            for (i++; i < argc; i++) {
                if (n == app_max)
                    goto err_many;
                app_argv[n++] = argv[i];
            }
            break;
        }
        if (!eq && strncmp(argv[i], "nfos.", 5)) {
            if (n == app_max)
                goto err_many;
            app_argv[n++] = argv[i];
            continue;
        }
        if (params.nr == CORE_MAX_PARAMS) {
            core_err("more than %d OS parameters", CORE_MAX_PARAMS);
            return -E2BIG;
        }
        if (eq)
            *eq = '\0';
        params.key[params.nr] = argv[i];
        params.val[params.nr] = eq ? eq + 1 : "";
        if (!strncmp(argv[i], "nfos.", 5) && check_nfos_param(argv[i], params.val[params.nr]))
            return -EINVAL;
        params.nr++;
    }
    app_argv[n] = NULL;
    *app_argc = n;
    return 0;

err_many:
    core_err("more than %d app arguments", app_max);
    return -E2BIG;
}

const char *core_param(const char *key)
{
    int i;

    /* The last occurrence wins, as on Linux. */
    for (i = params.nr - 1; i >= 0; i--)
        if (!strcmp(params.key[i], key))
            return params.val[i];
    return NULL;
}

int core_param_u64(const char *key, uint64_t *value)
{
    const char *v = core_param(key);

    if (!v)
        return -ENOENT;
    return parse_u64(*v ? v : "1", value, 1);
}

unsigned core_verbose(void)
{
    uint64_t v = 0;

    core_param_u64("nfos.verbose", &v);
    return (unsigned)v;
}
