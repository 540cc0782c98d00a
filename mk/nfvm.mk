# nfvm, the KVM monitor (vmm/): a normal Linux program built with the host
# compiler, libc only. `make nfvm` -> build/nfvm/nfvm.

NFVM_DIR  := $(NFOS_ROOT)/vmm
NFVM_BIN  := $(NFOS_ROOT)/build/nfvm/nfvm
NFVM_SRCS := $(addprefix $(NFVM_DIR)/,main.c kvm.c boot.c cpus.c elf.c exit.c idle.c console.c mem.c vnet.c vhost.c virtq.c)
NFVM_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -I$(NFOS_ROOT)/include \
	-I$(NFOS_ROOT)/drivers/vhost-user/include

.PHONY: nfvm
nfvm: $(NFVM_BIN)

$(NFVM_BIN): $(NFVM_SRCS) $(wildcard $(NFVM_DIR)/*.h) $(NFOS_ROOT)/include/nfos/plat/nfvm_abi.h \
		$(NFOS_ROOT)/drivers/vhost-user/include/nfos/vhost_user.h \
		$(NFOS_ROOT)/mk/nfvm.mk
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  HOSTCC  nfvm")
	$(Q)$(HOST_CC) $(NFVM_CFLAGS) -pthread -o $@ $(NFVM_SRCS)

# vmm/tests/vhost_probe.c: nfvm's vhost-user front-end against a real
# backend without /dev/kvm (tests/integration/test_nfvm_vhost.py).
NFVM_PROBE := $(NFOS_ROOT)/build/nfvm/vhost_probe
NFVM_PROBE_SRCS := $(NFOS_ROOT)/vmm/tests/vhost_probe.c \
	$(addprefix $(NFVM_DIR)/,vnet.c vhost.c virtq.c mem.c)

.PHONY: nfvm-vhost-probe
nfvm-vhost-probe: $(NFVM_PROBE)

$(NFVM_PROBE): $(NFVM_PROBE_SRCS) $(wildcard $(NFVM_DIR)/*.h) $(NFOS_ROOT)/mk/nfvm.mk
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(NFVM_CFLAGS) -I$(NFVM_DIR) -pthread -o $@ $(NFVM_PROBE_SRCS)

# vmm/tests/tap_probe.c: nfvm's multiqueue TAP backend on a real TAP
# without /dev/kvm (tests/integration/test_nfvm_vhost.py).
NFVM_TAP_PROBE := $(NFOS_ROOT)/build/nfvm/tap_probe
NFVM_TAP_PROBE_SRCS := $(NFOS_ROOT)/vmm/tests/tap_probe.c \
	$(addprefix $(NFVM_DIR)/,vnet.c vhost.c virtq.c mem.c)

.PHONY: nfvm-tap-probe
nfvm-tap-probe: $(NFVM_TAP_PROBE)

$(NFVM_TAP_PROBE): $(NFVM_TAP_PROBE_SRCS) $(wildcard $(NFVM_DIR)/*.h) $(NFOS_ROOT)/mk/nfvm.mk
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(NFVM_CFLAGS) -I$(NFVM_DIR) -pthread -o $@ $(NFVM_TAP_PROBE_SRCS)
