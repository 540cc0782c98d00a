/* printf format macros for <stdint.h> types, for LP64 (x86_64). No scanf
 * macros and no strtoimax: nolibc has no scanf. */
#ifndef NFOS_NOLIBC_INTTYPES_H
#define NFOS_NOLIBC_INTTYPES_H

#include <stdint.h>

/* LP64: int64_t is long, so 64-bit values take "l". */
#define __NOLIBC_PRI64  "l"
#define __NOLIBC_PRIPTR "l"

#define PRId8  "d"
#define PRId16 "d"
#define PRId32 "d"
#define PRId64 __NOLIBC_PRI64 "d"
#define PRIi8  "i"
#define PRIi16 "i"
#define PRIi32 "i"
#define PRIi64 __NOLIBC_PRI64 "i"
#define PRIu8  "u"
#define PRIu16 "u"
#define PRIu32 "u"
#define PRIu64 __NOLIBC_PRI64 "u"
#define PRIo8  "o"
#define PRIo16 "o"
#define PRIo32 "o"
#define PRIo64 __NOLIBC_PRI64 "o"
#define PRIx8  "x"
#define PRIx16 "x"
#define PRIx32 "x"
#define PRIx64 __NOLIBC_PRI64 "x"
#define PRIX8  "X"
#define PRIX16 "X"
#define PRIX32 "X"
#define PRIX64 __NOLIBC_PRI64 "X"

#define PRIdMAX "jd"
#define PRIiMAX "ji"
#define PRIuMAX "ju"
#define PRIoMAX "jo"
#define PRIxMAX "jx"
#define PRIXMAX "jX"

#define PRIdPTR __NOLIBC_PRIPTR "d"
#define PRIiPTR __NOLIBC_PRIPTR "i"
#define PRIuPTR __NOLIBC_PRIPTR "u"
#define PRIoPTR __NOLIBC_PRIPTR "o"
#define PRIxPTR __NOLIBC_PRIPTR "x"
#define PRIXPTR __NOLIBC_PRIPTR "X"

/* The fast and least types: gcc's stdint.h makes the 16/32/64-bit fast
 * types long on x86_64 and the least types the exact ones. */
#define PRIdLEAST8  PRId8
#define PRIdLEAST16 PRId16
#define PRIdLEAST32 PRId32
#define PRIdLEAST64 PRId64
#define PRIuLEAST8  PRIu8
#define PRIuLEAST16 PRIu16
#define PRIuLEAST32 PRIu32
#define PRIuLEAST64 PRIu64
#define PRIxLEAST8  PRIx8
#define PRIxLEAST16 PRIx16
#define PRIxLEAST32 PRIx32
#define PRIxLEAST64 PRIx64
#define PRIdFAST8   "d"
#define PRIdFAST16  "ld"
#define PRIdFAST32  "ld"
#define PRIdFAST64  "ld"
#define PRIuFAST8   "u"
#define PRIuFAST16  "lu"
#define PRIuFAST32  "lu"
#define PRIuFAST64  "lu"
#define PRIxFAST8   "x"
#define PRIxFAST16  "lx"
#define PRIxFAST32  "lx"
#define PRIxFAST64  "lx"

#endif /* NFOS_NOLIBC_INTTYPES_H */
