/* The unit test's stand-in for the names generated from musl's headers. */
[163] = "acct",
