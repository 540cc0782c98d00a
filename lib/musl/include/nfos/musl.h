/* lib/musl: what nfos itself calls in musl. Apps use musl's own headers. */
#ifndef NFOS_MUSL_H
#define NFOS_MUSL_H

/* kvm only (linuxu: musl's crt1 does it): musl's process start without a
 * process: environment (empty), auxiliary vector (page size, the image's
 * TLS template, AT_RANDOM), the main thread's TLS, then constructors. The
 * core calls it once memory is up, before the app's main. name: argv[0]. */
void musl_libc_start(const char *name);

#endif /* NFOS_MUSL_H */
