/* POSIX home of strcasecmp/strncasecmp; nolibc declares them in string.h. */
#ifndef NFOS_NOLIBC_STRINGS_H
#define NFOS_NOLIBC_STRINGS_H

#include <string.h>

#endif /* NFOS_NOLIBC_STRINGS_H */
