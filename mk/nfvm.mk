# nfvm, the KVM monitor (vmm/): a normal Linux program built with the host
# compiler, libc only, linked static (no dynamic loader at each start:
# ~0.2 ms of exec -> guest main here). `make nfvm` -> build/nfvm/nfvm.
#
# Its libc is musl (Debian's musl-tools) where installed, glibc otherwise:
# glibc's static start runs ~40 CPUIDs (its cache and feature tables), each
# a trap to the outer hypervisor on a nested host: exec -> helloworld main
# ~0.3 ms shorter with musl here (2.89 -> 2.58 ms, 100 alternating runs of
# each, 2026-12-07; the first line of bench boot's nfvm part). musl-gcc
# sees no /usr/include, so the kernel's uapi headers (linux/kvm.h) come
# through a folder of links to them.

NFVM_DIR  := $(NFOS_ROOT)/vmm
NFVM_BIN  := $(NFOS_ROOT)/build/nfvm/nfvm
NFVM_SRCS := $(addprefix $(NFVM_DIR)/,main.c kvm.c cpuid_cache.c boot.c cpus.c elf.c exit.c idle.c console.c mem.c vnet.c rss.c vhost.c virtq.c)
NFVM_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -I$(NFOS_ROOT)/include \
	-I$(NFOS_ROOT)/drivers/vhost-user/include -I$(NFOS_ROOT)/drivers/virtio-net/include

NFVM_MUSL := $(shell command -v musl-gcc 2>/dev/null)
NFVM_KINC := $(NFOS_ROOT)/build/nfvm/kinc
NFVM_CC   := $(if $(NFVM_MUSL),$(NFVM_MUSL) -isystem $(NFVM_KINC),$(HOST_CC))

.PHONY: nfvm
nfvm: $(NFVM_BIN)

$(NFVM_KINC):
	@mkdir -p $@
	$(Q)ln -sfn /usr/include/linux $@/linux
	$(Q)ln -sfn /usr/include/asm-generic $@/asm-generic
	$(Q)ln -sfn /usr/include/$(shell $(HOST_CC) -print-multiarch)/asm $@/asm

$(NFVM_BIN): $(NFVM_SRCS) $(wildcard $(NFVM_DIR)/*.h) $(NFOS_ROOT)/include/nfos/plat/nfvm_abi.h \
		$(NFOS_ROOT)/drivers/vhost-user/include/nfos/vhost_user.h \
		$(NFOS_ROOT)/drivers/virtio-net/include/nfos/virtio_net.h $(NFOS_ROOT)/mk/nfvm.mk \
		| $(if $(NFVM_MUSL),$(NFVM_KINC))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  HOSTCC  nfvm ($(if $(NFVM_MUSL),musl,glibc))")
	$(Q)$(NFVM_CC) $(NFVM_CFLAGS) -pthread -static -o $@ $(NFVM_SRCS)

# The probes: nfvm's backends driven without /dev/kvm and without a guest
# (tests/integration/test_nfvm_vhost.py), vmm/tests/probe.c playing the
# guest's virtio-net driver in both. vhost_probe.c: the vhost-user
# front-end against a real backend; tap_probe.c: the multiqueue TAP backend
# on a real TAP.
NFVM_PROBE     := $(NFOS_ROOT)/build/nfvm/vhost_probe
NFVM_TAP_PROBE := $(NFOS_ROOT)/build/nfvm/tap_probe
NFVM_PROBE_LIB := $(NFVM_DIR)/tests/probe.c $(addprefix $(NFVM_DIR)/,vnet.c rss.c vhost.c virtq.c mem.c)

.PHONY: nfvm-vhost-probe nfvm-tap-probe
nfvm-vhost-probe: $(NFVM_PROBE)
nfvm-tap-probe: $(NFVM_TAP_PROBE)

$(NFOS_ROOT)/build/nfvm/%_probe: $(NFVM_DIR)/tests/%_probe.c $(NFVM_PROBE_LIB) \
		$(wildcard $(NFVM_DIR)/*.h $(NFVM_DIR)/tests/*.h) $(NFOS_ROOT)/mk/nfvm.mk
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(NFVM_CFLAGS) -I$(NFVM_DIR) -pthread -o $@ $< $(NFVM_PROBE_LIB)
