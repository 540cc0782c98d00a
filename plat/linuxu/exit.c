/* linuxu exit: the process's exit status is the image's. */
#include <stdio.h>
#include <stdlib.h>
#include <nfos/plat/exit.h>

volatile int plat_stop_flag;

_Noreturn void plat_exit(int status)
{
    fflush(stdout);
    exit(status);
}
