# Configuration stage: app defconfig + platform -> .config -> auto.conf.
#
# The top-level Kconfig is generated per build because Kconfig (4.11) cannot
# glob: it sources the root Config.uk, every platform, the arch, every library
# under lib/, every driver under drivers/ and the one app being built (from
# apps/, or tests/apps/ for the test-only apps). Sources resolve through
# $srctree. A folder with a Config.uk is all it takes to be found.

APP_DIRS := $(patsubst %/Config.uk,%,$(wildcard $(NFOS_ROOT)/apps/*/Config.uk \
	$(NFOS_ROOT)/tests/apps/*/Config.uk))
APP_DIR  := $(firstword $(filter %/$(APP),$(APP_DIRS)))
APP_REL  := $(patsubst $(NFOS_ROOT)/%,%,$(APP_DIR))
PLATS    := $(notdir $(wildcard $(NFOS_ROOT)/plat/*))
LIB_RELS := $(patsubst $(NFOS_ROOT)/%/Config.uk,%,$(wildcard $(NFOS_ROOT)/lib/*/Config.uk))
DRV_RELS := $(patsubst $(NFOS_ROOT)/%/Config.uk,%,$(wildcard $(NFOS_ROOT)/drivers/*/Config.uk))

ifeq ($(APP_DIR),)
$(error nfos: unknown app '$(APP)' (apps: $(sort $(notdir $(APP_DIRS)))))
endif
ifeq ($(filter $(PLAT),$(PLATS)),)
$(error nfos: unknown platform '$(PLAT)' (platforms: $(PLATS)))
endif
ifeq ($(wildcard $(NFOS_ROOT)/arch/$(ARCH)/Config.uk),)
$(error nfos: unknown arch '$(ARCH)' (arches: $(notdir $(wildcard $(NFOS_ROOT)/arch/*))))
endif

KCONFIG_TOP  := $(BUILD)/kconfig/Config.top
KCONFIG_SEED := $(BUILD)/kconfig/defconfig.seed
DOTCONFIG    := $(BUILD)/.config
AUTOCONF     := $(BUILD)/include/config/auto.conf
AUTOHEADER   := $(BUILD)/include/generated/autoconf.h
KCONFIG_ALL  := $(NFOS_ROOT)/Config.uk $(wildcard $(NFOS_ROOT)/plat/*/Config.uk) \
	$(NFOS_ROOT)/arch/$(ARCH)/Config.uk $(wildcard $(NFOS_ROOT)/lib/*/Config.uk) \
	$(wildcard $(NFOS_ROOT)/drivers/*/Config.uk) $(APP_DIR)/Config.uk

KCONFIG_ENV := srctree=$(NFOS_ROOT) KCONFIG_CONFIG=$(DOTCONFIG) \
	KCONFIG_AUTOCONFIG=$(AUTOCONF) KCONFIG_AUTOHEADER=$(AUTOHEADER) \
	KCONFIG_TRISTATE=$(BUILD)/include/config/tristate.conf
KCONF  := kconfig-conf
KMCONF := kconfig-mconf

PLAT_SYM := PLAT_$(shell echo $(PLAT) | tr a-z A-Z)
ARCH_SYM := ARCH_$(shell echo $(ARCH) | tr a-z A-Z)

define kconfig_top_text
mainmenu "nfos: $(APP) on $(PLAT)-$(ARCH)"
source "Config.uk"
menu "Architecture"
source "arch/$(ARCH)/Config.uk"
endmenu
menu "Platform"
$(foreach p,$(PLATS),source "plat/$(p)/Config.uk"
)endmenu
menu "Libraries"
$(foreach l,$(LIB_RELS),source "$(l)/Config.uk"
)endmenu
menu "Drivers"
$(foreach d,$(DRV_RELS),source "$(d)/Config.uk"
)endmenu
menu "Application"
source "$(APP_REL)/Config.uk"
endmenu
endef
export kconfig_top_text

# Rewritten only when its text changes, so it does not force reconfiguration.
$(KCONFIG_TOP): FORCE
	$(Q)mkdir -p $(dir $@)
	$(Q)printf '%s\n' "$$kconfig_top_text" > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# DEBUG=1 (its own build folder, see the Makefile) turns CONFIG_NFOS_DEBUG
# on; otherwise the seed turns it off, whatever an older .config said.
# SMP=1 turns CONFIG_LIBLCORE_SMP on (an app without lib/lcore drops it);
# otherwise the app's defconfig decides.
$(KCONFIG_SEED): $(APP_DIR)/defconfig $(KCONFIG_TOP) $(NFOS_ROOT)/mk/config.mk
	$(Q)mkdir -p $(dir $@)
	$(Q){ cat $<; echo "CONFIG_$(PLAT_SYM)=y"; echo "CONFIG_$(ARCH_SYM)=y"; \
		echo "$(if $(filter 1,$(DEBUG)),CONFIG_NFOS_DEBUG=y,# CONFIG_NFOS_DEBUG is not set)"; \
		$(if $(filter 1,$(SMP)),echo "CONFIG_LIBLCORE_SMP=y";) } > $@

# A fresh .config comes from the seed; an existing one (perhaps edited with
# menuconfig) is only brought up to date with new symbols.
$(DOTCONFIG): $(KCONFIG_SEED) $(KCONFIG_ALL)
	$(Q)mkdir -p $(BUILD)
	$(Q)if [ ! -f $@ ] || [ $(KCONFIG_SEED) -nt $@ ]; then \
		cd $(BUILD) && $(KCONFIG_ENV) $(KCONF) -s --defconfig=$(KCONFIG_SEED) $(KCONFIG_TOP) >/dev/null; \
	else \
		cd $(BUILD) && $(KCONFIG_ENV) $(KCONF) -s --olddefconfig $(KCONFIG_TOP) >/dev/null; \
	fi
	$(Q)grep -q '^CONFIG_$(PLAT_SYM)=y' $@ || \
		{ echo "nfos: $(APP) cannot be built for $(PLAT): its configuration drops $(PLAT_SYM)"; rm -f $@; exit 1; }
	$(Q)touch $@

$(AUTOCONF) $(AUTOHEADER): $(DOTCONFIG)
	$(Q)mkdir -p $(BUILD)/include/config $(BUILD)/include/generated
	$(Q)cd $(BUILD) && $(KCONFIG_ENV) $(KCONF) -s --silentoldconfig $(KCONFIG_TOP)
	$(Q)touch $(AUTOCONF) $(AUTOHEADER)

menuconfig: $(DOTCONFIG)
	$(Q)cd $(BUILD) && $(KCONFIG_ENV) $(KMCONF) $(KCONFIG_TOP)
	$(Q)cd $(BUILD) && $(KCONFIG_ENV) $(KCONF) -s --silentoldconfig $(KCONFIG_TOP)

savedefconfig: $(DOTCONFIG)
	$(Q)cd $(BUILD) && $(KCONFIG_ENV) $(KCONF) -s --savedefconfig=$(BUILD)/defconfig $(KCONFIG_TOP)
	$(Q)grep -v -e '^CONFIG_$(PLAT_SYM)=y' -e '^CONFIG_$(ARCH_SYM)=y' $(BUILD)/defconfig || true

.PHONY: FORCE
FORCE:

# auto.conf is a makefile with a rule above: make builds it, then restarts.
-include $(AUTOCONF)
