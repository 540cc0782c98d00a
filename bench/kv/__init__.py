"""bench kv: key-value requests per second, kvstore against memcached
(bench_kv: command line and driver; run: one run; windows: measured windows
judged; report: tables and targets). kvgen, the load generator, is C."""
