/* posixtest's checks, shared by its files. */
#ifndef POSIXTEST_H
#define POSIXTEST_H

/* One TAP line: "ok N - what" or "not ok N - what". */
void check(int ok, const char *what);

/* Threads on several lcores (smp.c): with --cpus 2 a thread really runs on
 * lcore 1; the same checks hold on one lcore. */
void test_smp(void);

/* A thread (on lcore 1 when there is one) and main wait for each other:
 * the image must report the deadlock and end, not hang. */
void smp_deadlock(void);

#endif /* POSIXTEST_H */
