/* lib/core internals. */
#ifndef NFOS_CORE_PRIV_H
#define NFOS_CORE_PRIV_H

/* One "nfos: ..." line on stderr. */
void core_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Splits OS parameters from app arguments. app_argv gets the app's words
 * after the *app_argc already there, NULL-terminated. 0 or -errno (printed). */
int core_params_parse(int argc, char **argv, int *app_argc, char **app_argv, int app_max);

void core_boottrace_print(void);

#endif /* NFOS_CORE_PRIV_H */
