/* linuxu exit: the process's exit status is the image's. */
#include <stdio.h>
#include <stdlib.h>
#include <nfos/plat/exit.h>

volatile int plat_stop_flag;
/* linuxu's status is the process's own: the line is kvm's. */
int plat_exit_line;

_Noreturn void plat_exit(int status)
{
    fflush(stdout);
    exit(status);
}
