# nfos top-level Makefile.
#
#   make APP=helloworld [PLAT=kvm|linuxu] [V=1]   configure (from the app's
#                                                 defconfig) and link one image
#   make APP=... DEBUG=1                          the same with debug checks,
#                                                 into build/<app>_<plat>-<arch>-debug/
#   make APP=... SMP=1                            the SMP variant (CONFIG_LIBLCORE_SMP),
#                                                 into build/<app>_<plat>-<arch>-smp/
#   make menuconfig APP=...                       edit that build's .config
#   make nfvm                                     the KVM monitor (vmm/)
#   make test                                     unit + integration tests
#   make fuzz [FUZZ_SECONDS=60]                   each libFuzzer harness (mk/fuzz.mk)
#
# Every image is built out of tree in build/<app>_<plat>-<arch>/. The build is
# two-staged the way Linux does it: the Kconfig output (auto.conf) is itself a
# makefile with a rule, so make configures first and restarts with the
# resolved library set.

APP  ?= helloworld
PLAT ?= kvm
ARCH ?= x86_64

NFOS_ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
# DEBUG=1: the same app with CONFIG_NFOS_DEBUG (NFOS_ASSERT, pool checks),
# built beside the release one in a folder of its own.
# (Only from the command line: a DEBUG variable in the environment, common
# in shells, must not move every build to another folder.)
ifneq ($(origin DEBUG),command line)
DEBUG := 0
endif
# SMP=1: the app with CONFIG_LIBLCORE_SMP (more than one CPU), beside the
# single-CPU build that app defconfigs give (lib/lcore/Config.uk says why).
ifneq ($(origin SMP),command line)
SMP := 0
endif
BUILD     ?= $(NFOS_ROOT)/build/$(APP)_$(PLAT)-$(ARCH)$(if $(filter 1,$(DEBUG)),-debug)$(if $(filter 1,$(SMP)),-smp)

ifeq ($(V),1)
Q :=
else
Q := @
endif

.DEFAULT_GOAL := image
.PHONY: image menuconfig savedefconfig test header-check unit-tests bench-unit-tests \
	integration-tests format format-check clean distclean help fuzz fuzz-build

help:
	@echo "make APP=NAME [PLAT=kvm|linuxu] [V=1]  build one image into build/"
	@echo "make APP=NAME DEBUG=1                  the same with CONFIG_NFOS_DEBUG, in its own folder"
	@echo "make APP=NAME SMP=1                    the SMP variant (CONFIG_LIBLCORE_SMP), in its own folder"
	@echo "make menuconfig APP=NAME [PLAT=...]    edit that build's configuration"
	@echo "make savedefconfig APP=NAME            print the minimal config"
	@echo "make nfvm                              the KVM monitor: build/nfvm/nfvm"
	@echo "make test                              header-check + unit tests (Criterion, bench) + pytest"
	@echo "make header-check                      every public header compiles on its own"
	@echo "make fuzz [FUZZ_SECONDS=60]            each libFuzzer harness, ASan+UBSan"
	@echo "make format-check                      clang-format check"
	@echo "make clean | distclean"

# Targets that never need a configured build.
NOCONFIG_GOALS := help test header-check unit-tests bench-unit-tests integration-tests format \
	format-check nfvm clean distclean build/unit/% $(NFOS_ROOT)/build/unit/% fuzz fuzz-build \
	build/fuzz/% $(NFOS_ROOT)/build/fuzz/%

ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),image)),)
include $(NFOS_ROOT)/mk/config.mk
include $(NFOS_ROOT)/mk/image.mk
endif

include $(NFOS_ROOT)/mk/test.mk
include $(NFOS_ROOT)/mk/nfvm.mk
include $(NFOS_ROOT)/mk/fuzz.mk

CLANG_FORMAT_FILES = $(shell cd $(NFOS_ROOT) && git ls-files '*.c' '*.h' 2>/dev/null)

format:
	$(Q)cd $(NFOS_ROOT) && clang-format -i $(CLANG_FORMAT_FILES)

format-check:
	$(Q)cd $(NFOS_ROOT) && clang-format --dry-run -Werror $(CLANG_FORMAT_FILES)

clean:
	$(Q)rm -rf $(BUILD)

distclean:
	$(Q)rm -rf $(NFOS_ROOT)/build
