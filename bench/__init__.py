"""bench: the benchmarks behind `./nfos bench` (boot, pps, kv, all), the
Linux VM peer (linuxvm) and what they share (common). Imported from the
repository root, the one import root: `from bench.common import proc`."""
