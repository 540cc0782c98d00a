"""bench pps: packets per second and busy cycles per packet, nfos against
DPDK (bench_pps: command line and driver; run: one run; report: tables)."""
