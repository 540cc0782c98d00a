/* Forced in after DPDK's rte_config.h for testpmd's sources: mk/dpdk.sh
 * does not build librte_bpf (testpmd's only use of it is bpf_cmd.c, its
 * "bpf-load"/"bpf-unload" commands), yet 22.11's meson still defines
 * RTE_LIB_BPF. Undefined, testpmd compiles as meson compiles it without
 * bpf: without bpf_cmd.c and those two commands. */
#undef RTE_LIB_BPF
