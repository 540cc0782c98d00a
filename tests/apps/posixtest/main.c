#define _GNU_SOURCE
#include <stdio.h>
#include <pthread.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
__thread int tv = 42;
static void *thr(void *a) { tv = (int)(long)a; printf("thread %d tv %d\n", (int)(long)a, tv); return a; }
int main(int argc, char **argv)
{
    pthread_t t;
    void *r;
    printf("hello musl argc %d tv %d\n", argc, tv);
    pthread_create(&t, 0, thr, (void *)7);
    pthread_join(t, &r);
    printf("joined %ld tv %d\n", (long)r, tv);
    long x = syscall(999);
    printf("enosys %ld errno %d\n", x, errno);
    return 3;
}
