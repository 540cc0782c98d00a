# Fuzzing with libFuzzer (clang, Debian's clang and libclang-rt-14-dev):
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="net_parse ..."]
#
# runs each harness for FUZZ_SECONDS under ASan and UBSan, starting from
# its seed corpus in the repo; new inputs it finds go to build/fuzz/<name>.corpus,
# a crash to build/fuzz/<name>-crash-* (and make fails). A library with
# harnesses has lib/<name>/tests/Makefile.fuzz:
#
#   FUZZ_TARGETS += foo_bar
#   foo_bar_FUZZ_SRCS   := $(NFOS_ROOT)/lib/foo/tests/fuzz_bar.c $(NFOS_ROOT)/lib/foo/foo.c
#   foo_bar_FUZZ_CORPUS := $(NFOS_ROOT)/lib/foo/tests/corpus/bar
#   foo_bar_FUZZ_CFLAGS := ...
#   foo_bar_FUZZ_FLAGS  := -max_len=1024     (libFuzzer options of its own)

FUZZ_TARGETS :=
FUZZ_BUILD   := $(NFOS_ROOT)/build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -DNFOS_UNIT_TEST -I$(NFOS_ROOT)/include -I$(NFOS_ROOT)/tests/fuzz
# -timeout: an input that takes over 10 s is a hang, reported as a crash.
FUZZ_RUN_FLAGS := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

-include $(wildcard $(addsuffix /tests/Makefile.fuzz,$(UNIT_DIRS)))

# The library folder of a harness: its first source is <folder>/tests/fuzz_*.c.
fuzz_dir = $(patsubst %/tests/,%,$(dir $(firstword $($(1)_FUZZ_SRCS))))

define fuzz_rule
$(FUZZ_BUILD)/$(1): $($(1)_FUZZ_SRCS) $(wildcard $(call fuzz_dir,$(1))/include/nfos/*.h \
		$(call fuzz_dir,$(1))/*.h $(call fuzz_dir,$(1))/tests/*.h) $(NFOS_ROOT)/mk/fuzz.mk
	@mkdir -p $$(dir $$@)
	$$(if $(Q),@echo "  FUZZCC  fuzz/$(1)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(call fuzz_dir,$(1))/include $($(1)_FUZZ_CFLAGS) \
		-o $$@ $($(1)_FUZZ_SRCS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

.PHONY: fuzz fuzz-build
fuzz-build: $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))

# One target after the other (two cores, shared). Each one's output goes to
# build/fuzz/<name>.log; its summary is printed, or its tail on a failure.
fuzz_run = echo "== fuzz: $(1), $(FUZZ_SECONDS) s"; mkdir -p $(FUZZ_BUILD)/$(1).corpus; \
	if $(FUZZ_BUILD)/$(1) $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
		$($(1)_FUZZ_FLAGS) -artifact_prefix=$(FUZZ_BUILD)/$(1)- \
		$(FUZZ_BUILD)/$(1).corpus $($(1)_FUZZ_CORPUS) \
		>$(FUZZ_BUILD)/$(1).log 2>&1; then \
		grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added))' \
			$(FUZZ_BUILD)/$(1).log; \
	else tail -n 60 $(FUZZ_BUILD)/$(1).log; exit 1; fi;

fuzz: fuzz-build
	$(Q)set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t)))
build/fuzz/%: $(FUZZ_BUILD)/% ;
