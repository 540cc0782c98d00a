/* linuxu console: stdout, through stdio so it interleaves with printf. */
#include <stdio.h>
#include <nfos/plat/console.h>

void plat_console_write(const char *buf, size_t len)
{
    fwrite(buf, 1, len, stdout);
    fflush(stdout);
}
