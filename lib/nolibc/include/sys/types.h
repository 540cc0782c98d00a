/* The POSIX types nfos code uses: ssize_t and off_t (both 64-bit). */
#ifndef NFOS_NOLIBC_SYS_TYPES_H
#define NFOS_NOLIBC_SYS_TYPES_H

#include <stddef.h>

/* Same width as size_t, signed: what read/write-style calls return. */
typedef long ssize_t;
typedef long off_t;

#endif /* NFOS_NOLIBC_SYS_TYPES_H */
