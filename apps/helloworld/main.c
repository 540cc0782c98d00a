/* helloworld: the smallest nfos app. Prints a greeting and its arguments;
 * `exit=N` among them makes it exit with status N (0..127), which is how the
 * tests check that a status travels out of the guest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int status = 0;
    int i;

    printf("Hello from nfos!\n");
    for (i = 0; i < argc; i++) {
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
        if (!strncmp(argv[i], "exit=", 5)) {
            char *end;
            long v = strtol(argv[i] + 5, &end, 10);

            if (*end || end == argv[i] + 5 || v < 0 || v > 127) {
                fprintf(stderr, "helloworld: exit=N wants 0..127, got '%s'\n", argv[i] + 5);
                return 2;
            }
            status = (int)v;
        }
    }
    return status;
}
