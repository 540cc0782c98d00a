/* What the host tests put where nolibc meets the rest of nfos: a console
 * that records, a plat_exit that returns to the test, lib/alloc over host
 * malloc with failure injection. */
#ifndef NFOS_NOLIBC_TESTS_FAKES_H
#define NFOS_NOLIBC_TESTS_FAKES_H

#include <setjmp.h>
#include <stddef.h>

#define FAKE_CONSOLE_SIZE   65536
#define FAKE_CONSOLE_WRITES 256

struct fake_console {
    char text[FAKE_CONSOLE_SIZE + 1]; /* NUL-terminated */
    size_t len;
    size_t writes;                         /* plat_console_write calls */
    size_t write_len[FAKE_CONSOLE_WRITES]; /* length of each of the first ones */
};

extern struct fake_console fake_console;
void fake_console_reset(void);

/* plat_exit records the status and longjmps (glibc's) here. */
extern jmp_buf fake_exit_env;
extern int fake_exit_status;

/* Runs stmt, which must end the image; yields the status it ended with. */
#define FAKE_EXIT_STATUS(stmt)        \
    ({                                \
        fake_exit_status = -1;        \
        if (!setjmp(fake_exit_env)) { \
            stmt;                     \
        }                             \
        fake_exit_status;             \
    })

/* When set, the next alloc_* calls fail as lib/alloc does. */
extern int fake_alloc_fail;

#endif /* NFOS_NOLIBC_TESTS_FAKES_H */
