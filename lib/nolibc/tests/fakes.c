/* The fakes of fakes.h. plat_exit jumps back into the test instead of
 * ending the process, so a test can look at what exit() flushed. */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/plat/console.h>
#include <nfos/plat/exit.h>
#include <nfos/alloc.h>

#include "fakes.h"

struct fake_console fake_console;
jmp_buf fake_exit_env;
int fake_exit_status;
int fake_alloc_fail;

void fake_console_reset(void)
{
    memset(&fake_console, 0, sizeof(fake_console));
}

void plat_console_write(const char *buf, size_t len)
{
    struct fake_console *c = &fake_console;
    size_t k = len < FAKE_CONSOLE_SIZE - c->len ? len : FAKE_CONSOLE_SIZE - c->len;

    memcpy(c->text + c->len, buf, k);
    c->len += k;
    c->text[c->len] = '\0';
    if (c->writes < FAKE_CONSOLE_WRITES)
        c->write_len[c->writes] = len;
    c->writes++;
}

_Noreturn void plat_exit(int status)
{
    fake_exit_status = status;
    longjmp(fake_exit_env, 1);
}

/* lib/alloc's API (nfos/alloc.h), over glibc. */
void *alloc_malloc(size_t size)
{
    return fake_alloc_fail ? NULL : malloc(size);
}

void alloc_free(void *p)
{
    free(p);
}

void *alloc_calloc(size_t n, size_t size)
{
    return fake_alloc_fail ? NULL : calloc(n, size);
}

void *alloc_realloc(void *p, size_t size)
{
    return fake_alloc_fail ? NULL : realloc(p, size);
}

int alloc_memalign(void **out, size_t align, size_t size)
{
    if (fake_alloc_fail)
        return -ENOMEM;
    return -posix_memalign(out, align, size);
}
