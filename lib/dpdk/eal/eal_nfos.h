/* lib/dpdk/eal internals shared by its files. */
#ifndef EAL_NFOS_H
#define EAL_NFOS_H

/* Starts DPDK's worker lcores on nfos lcores 1..n-1 (eal_lcore.c): each
 * gets its own musl thread area and waits for rte_eal_remote_launch. 0 or
 * -1, printed. */
int eal_nfos_workers_start(void);

/* Runs the alarms that are due (eal_alarm.c); the main lcore calls it
 * while it waits on workers and whenever alarms are set or cancelled. */
void eal_nfos_alarm_poll(void);

#endif /* EAL_NFOS_H */
