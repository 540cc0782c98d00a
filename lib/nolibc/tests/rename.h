/* Forced into every nolibc source compiled for the host unit tests: gives
 * each public name a nolibc_ prefix, so the code under test links beside
 * glibc and Criterion and the tests call it, not glibc. Plain #defines
 * only, as setjmp.S includes it too. Keep in step with exportsyms.uk. */
#ifndef NFOS_NOLIBC_TESTS_RENAME_H
#define NFOS_NOLIBC_TESTS_RENAME_H

/* string.h's __builtin_* macros would call glibc's memcpy, not ours. */
#define NFOS_NOLIBC_NO_BUILTIN_MACROS 1

#define memcpy         nolibc_memcpy
#define memmove        nolibc_memmove
#define memset         nolibc_memset
#define memcmp         nolibc_memcmp
#define memchr         nolibc_memchr
#define strlen         nolibc_strlen
#define strnlen        nolibc_strnlen
#define strcmp         nolibc_strcmp
#define strncmp        nolibc_strncmp
#define strcasecmp     nolibc_strcasecmp
#define strncasecmp    nolibc_strncasecmp
#define strcpy         nolibc_strcpy
#define strncpy        nolibc_strncpy
#define strcat         nolibc_strcat
#define strncat        nolibc_strncat
#define strchr         nolibc_strchr
#define strrchr        nolibc_strrchr
#define strstr         nolibc_strstr
#define strspn         nolibc_strspn
#define strcspn        nolibc_strcspn
#define strtok_r       nolibc_strtok_r
#define snprintf       nolibc_snprintf
#define vsnprintf      nolibc_vsnprintf
#define sprintf        nolibc_sprintf
#define vsprintf       nolibc_vsprintf
#define stdout         nolibc_stdout
#define stderr         nolibc_stderr
#define printf         nolibc_printf
#define fprintf        nolibc_fprintf
#define vprintf        nolibc_vprintf
#define vfprintf       nolibc_vfprintf
#define puts           nolibc_puts
#define fputs          nolibc_fputs
#define putchar        nolibc_putchar
#define fputc          nolibc_fputc
#define fwrite         nolibc_fwrite
#define fflush         nolibc_fflush
#define exit           nolibc_exit
#define abort          nolibc_abort
#define abs            nolibc_abs
#define labs           nolibc_labs
#define llabs          nolibc_llabs
#define rand           nolibc_rand
#define srand          nolibc_srand
#define strtol         nolibc_strtol
#define strtoll        nolibc_strtoll
#define strtoul        nolibc_strtoul
#define strtoull       nolibc_strtoull
#define atoi           nolibc_atoi
#define atol           nolibc_atol
#define atoll          nolibc_atoll
#define qsort          nolibc_qsort
#define bsearch        nolibc_bsearch
#define isalnum        nolibc_isalnum
#define isalpha        nolibc_isalpha
#define iscntrl        nolibc_iscntrl
#define isdigit        nolibc_isdigit
#define isgraph        nolibc_isgraph
#define islower        nolibc_islower
#define isprint        nolibc_isprint
#define ispunct        nolibc_ispunct
#define isspace        nolibc_isspace
#define isupper        nolibc_isupper
#define isxdigit       nolibc_isxdigit
#define tolower        nolibc_tolower
#define toupper        nolibc_toupper
#define errno          nolibc_errno
#define strerror       nolibc_strerror
#define __assert_fail  nolibc___assert_fail
#define malloc         nolibc_malloc
#define free           nolibc_free
#define calloc         nolibc_calloc
#define realloc        nolibc_realloc
#define posix_memalign nolibc_posix_memalign
#define aligned_alloc  nolibc_aligned_alloc
#define strdup         nolibc_strdup
#define strndup        nolibc_strndup
#define setjmp         nolibc_setjmp
#define longjmp        nolibc_longjmp

#endif /* NFOS_NOLIBC_TESTS_RENAME_H */
