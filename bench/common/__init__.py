"""What the benchmarks share: processes (proc), DPDK memory (dpdk), nfos
images (images), the cores' placement probe (placement), summaries and
tables (stats), the host's description (host), the alternate-and-retry
loop (rounds) and the command line and results file (cli)."""
