# Tests: every public header on its own (header-check), host unit tests
# (Criterion) next to each library, the bench harness's unit tests (pytest),
# then the pytest integration suite that
# builds and boots images.
#
# A library or driver with unit tests has lib/<name>/tests/Makefile.test (or
# drivers/<name>/tests/Makefile.test; nfvm's are vmm/tests/Makefile.test):
#
#   UNIT_TESTS += foo
#   foo_TEST_SRCS   := $(NFOS_ROOT)/lib/foo/tests/test_foo.c $(NFOS_ROOT)/lib/foo/foo.c
#   foo_TEST_CFLAGS := -DCONFIG_LIBFOO_OPTION=1
#
# Tests compile with the host compiler and libc, -I include/ and
# -I <its folder>/include; anything else they need they add themselves.

UNIT_TESTS :=
UNIT_BUILD := $(NFOS_ROOT)/build/unit
HOST_CC    ?= gcc
# Unit tests build with the debug checks on (NFOS_ASSERT fails with
# SIGABRT there, which a test can expect).
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-omit-frame-pointer -DNFOS_UNIT_TEST \
	-DCONFIG_NFOS_DEBUG=1 -I$(NFOS_ROOT)/include

UNIT_DIRS := $(wildcard $(NFOS_ROOT)/lib/* $(NFOS_ROOT)/drivers/* $(NFOS_ROOT)/plat/* $(NFOS_ROOT)/apps/* \
	$(NFOS_ROOT)/bench/* $(NFOS_ROOT)/vmm $(NFOS_ROOT)/lib/dpdk/*)
-include $(wildcard $(addsuffix /tests/Makefile.test,$(UNIT_DIRS)))

# A test may include any library's public header (a ring from drivers/virtio
# in a transport's test): a change to any of them rebuilds the tests.
UNIT_PUBLIC_HEADERS := $(wildcard $(NFOS_ROOT)/include/nfos/*.h $(NFOS_ROOT)/include/nfos/*/*.h \
	$(NFOS_ROOT)/lib/*/include/nfos/*.h $(NFOS_ROOT)/drivers/*/include/nfos/*.h \
	$(NFOS_ROOT)/arch/*/include/nfos/*/*.h $(NFOS_ROOT)/tests/host/*.h)

# The folder a unit test named $(1) belongs to.
unit_dir = $(firstword $(filter %/$(1),$(UNIT_DIRS)))

define unit_rule
$(UNIT_BUILD)/$(1): $($(1)_TEST_SRCS) $(wildcard $(call unit_dir,$(1))/*.h \
		$(call unit_dir,$(1))/tests/*.h) $(UNIT_PUBLIC_HEADERS) $(NFOS_ROOT)/mk/test.mk
	@mkdir -p $$(dir $$@)
	$$(if $(Q),@echo "  HOSTCC  unit/$(1)")
	$(Q)$(HOST_CC) $(UNIT_CFLAGS) -I$(call unit_dir,$(1))/include $($(1)_TEST_CFLAGS) \
		-o $$@ $($(1)_TEST_SRCS) -lcriterion $($(1)_TEST_LDFLAGS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# `make build/unit/foo` from the top as well as the absolute path.
build/unit/%: $(UNIT_BUILD)/% ;

# Each binary prints Criterion's "Synthesis: Tested: N | Passing: N | ..."
unit-tests: $(addprefix $(UNIT_BUILD)/,$(UNIT_TESTS))
	$(Q)set -e; for t in $^; do echo "== unit: $$(basename $$t)"; $$t --jobs 1; done

# Debian's pytest (python3-pytest) lives with Debian's python3, which may not be
# the first python3 on PATH.
PYTEST ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3) -m pytest
# The bench harness's logic (bench/tests: stand-in processes, made-up runs,
# no benchmark); pytest.ini makes the repository the import root.
bench-unit-tests:
	$(Q)cd $(NFOS_ROOT) && $(PYTEST) -q bench/tests

# --durations=25: the slowest tests, at the end of the log (CI's included),
# so that the next one to cut CI's time knows where it goes.
integration-tests:
	$(Q)cd $(NFOS_ROOT) && $(PYTEST) -v --durations=25 tests/integration

# Every public header compiles on its own, for kvm (freestanding, nolibc's
# headers) and linuxu, debug off and on; each has its NFOS_<PATH>_H guard.
header-check:
	$(Q)CC=$(CC_HEADER_CHECK) sh $(NFOS_ROOT)/mk/header_check.sh $(NFOS_ROOT) $(ARCH)
CC_HEADER_CHECK ?= gcc

# The steps one after the other (as prerequisites, make -jN test would run
# them at once), the unit tests' binaries compiled UNIT_JOBS at a time (each
# is an ASan build: minutes in a row), then run one after the other.
UNIT_JOBS ?= 2
test:
	$(Q)$(MAKE) --no-print-directory header-check
	$(Q)$(MAKE) --no-print-directory -j$(UNIT_JOBS) unit-tests
	$(Q)$(MAKE) --no-print-directory bench-unit-tests
	$(Q)$(MAKE) --no-print-directory integration-tests
