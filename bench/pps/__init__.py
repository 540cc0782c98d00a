"""bench pps: packets per second and busy cycles per packet, nfos against
DPDK (bench_pps: command line and driver; run: one run; dpdk_nfos: the
DPDK-in-nfos subjects; report: tables). pmdbench.c (make -C bench/pps
pmdbench-run) is net_nfos's cost per packet on the host, over a fake driver."""
