# Image stage: every enabled library's Makefile.uk adds its sources; each
# library is compiled, partially linked and checked against the others'
# exportsyms.uk; then the platform links one image.
#
# A Makefile.uk registers its library and lists sources, nothing else:
#
#   $(eval $(call addlib,libfoo,$(CONFIG_LIBFOO)))
#   LIBFOO_SRCS-y                 += $(LIBFOO_BASE)/foo.c
#   LIBFOO_SRCS-$(CONFIG_PLAT_KVM) += $(LIBFOO_BASE)/foo_kvm.c
#   LIBFOO_CFLAGS-y               += -DFOO_EXTRA
#
# LIBFOO_BASE is the library's folder. Its include/ folder is on every other
# enabled library's include path; nothing else of it is.

CC      ?= gcc
LD      ?= ld
OBJCOPY ?= objcopy
STRIP   ?= strip
NM      ?= nm
ifeq ($(origin CC),default)
CC := gcc
endif

# Upper case with '-' as '_' (tr a-z- A-Z_), in make itself: as a $(shell)
# it cost two processes a call, ~100 calls on every make, even a no-op one
# (minutes in the nested TCG VM, where each process start is slow).
_uc_map := a:A b:B c:C d:D e:E f:F g:G h:H i:I j:J k:K l:L m:M n:N o:O p:P q:Q r:R s:S t:T u:U \
	v:V w:W x:X y:Y z:Z -:_
_uc_from = $(word 1,$(subst :, ,$(1)))
_uc_to = $(word 2,$(subst :, ,$(1)))
_uc = $(if $(2),$(call _uc,$(subst $(call _uc_from,$(firstword $(2))),$(call \
	_uc_to,$(firstword $(2))),$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
uc = $(call _uc,$(1),$(_uc_map))

# $(1): library name, $(2): y when enabled. Sets <NAME>_BASE to the folder of
# the Makefile.uk being read.
define addlib
$(call uc,$(1))_BASE := $(_nfos_dir)
NFOS_ALL_LIBS += $(1)
ifeq ($(2),y)
NFOS_LIBS += $(1)
endif
endef

define nfos_read_makefile
_nfos_dir := $(1)
include $(1)/Makefile.uk
endef

NFOS_LIBS :=
NFOS_ALL_LIBS :=
NFOS_GLOBAL_CFLAGS :=
NFOS_GLOBAL_ASFLAGS :=
# Set by lib/musl when the image uses musl: its include flags (ahead of
# every other include path), what must exist before anything compiles, and
# the archive the platform links.
NFOS_LIBC_CFLAGS :=
NFOS_LIBC_DEPS :=
NFOS_LIBC_LIBS :=
# Archives from outside the tree for the final link (lib/dpdk's librte_*.a);
# recursive, as their lists are read by the shell when the link runs.
NFOS_LINK_LIBS =

# $(1) empty: without what is the image's own (its folder, its Kconfig
# header), for shared objects (below).
nfos_base_cflags = -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter \
	-fno-omit-frame-pointer -ffunction-sections -fdata-sections -fno-common \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-ffile-prefix-map=$(NFOS_ROOT)/= $(if $(1),-ffile-prefix-map=$(BUILD)/=build/) \
	-I$(NFOS_ROOT)/include $(if $(1),-I$(BUILD)/include -include $(AUTOHEADER)) -MMD -MP
NFOS_BASE_CFLAGS := $(call nfos_base_cflags,image)

$(foreach d,$(NFOS_ROOT)/arch/$(ARCH) $(NFOS_ROOT)/plat/$(PLAT) \
	$(wildcard $(NFOS_ROOT)/lib/*) $(wildcard $(NFOS_ROOT)/drivers/*) $(APP_DIR),\
	$(if $(wildcard $(d)/Makefile.uk),$(eval $(call nfos_read_makefile,$(d)))))

lib_base = $($(call uc,$(1))_BASE)
lib_srcs = $($(call uc,$(1))_SRCS-y)
lib_objdir = $(or $($(call uc,$(1))_OBJDIR),$(BUILD)/obj/$(1))
lib_objs = $(patsubst $(NFOS_ROOT)/%,$(call lib_objdir,$(1))/%.o,$(call lib_srcs,$(1)))

NFOS_INCLUDES := $(foreach l,$(NFOS_LIBS),$(if $(wildcard $(call lib_base,$(l))/include),-I$(call lib_base,$(l))/include))
NFOS_CFLAGS = $(NFOS_BASE_CFLAGS) $(NFOS_LIBC_CFLAGS) $(NFOS_INCLUDES) $(NFOS_GLOBAL_CFLAGS)

# Shared objects: a library that reads nothing of the image's configuration
# (DPDK's own app sources, which know no CONFIG_ symbol) may set
#   LIBFOO_SHARED_KEY := <what its flags do not show, e.g. the DPDK build>
# and is then compiled without the image's Kconfig header and folder, into
# build/shared/<lib>-<hash of its compile command and the key>/: every image
# whose command is the same (dpdk-testpmd and dpdk-testpmd-virtio on one
# platform) compiles it once. LIBFOO_OBJ_DEPS: what its objects also follow.
# An object is written under another name and renamed, so two builds at
# once never read a half-written one.
NFOS_SHARED_CFLAGS = $(call nfos_base_cflags,) $(NFOS_LIBC_CFLAGS) $(NFOS_INCLUDES) \
	$(NFOS_GLOBAL_CFLAGS)
shared_hash = $(shell printf '%s\n' '$(strip $(CC) $(NFOS_SHARED_CFLAGS) \
	$($(call uc,$(1))_CFLAGS-y) $($(call uc,$(1))_SHARED_KEY))' | md5sum | cut -c1-16)
$(foreach l,$(NFOS_LIBS),$(if $($(call uc,$(l))_SHARED_KEY),\
	$(eval $(call uc,$(l))_OBJDIR := $(NFOS_ROOT)/build/shared/$(l)-$(call shared_hash,$(l)))))

IMAGE      := $(BUILD)/$(APP)_$(PLAT)-$(ARCH)
IMAGE_DBG  := $(IMAGE).dbg
LIB_PARTS  := $(foreach l,$(NFOS_LIBS),$(if $(call lib_srcs,$(l)),$(BUILD)/obj/$(l).ro))
LIB_FINALS := $(LIB_PARTS:.ro=.lo)

image: $(IMAGE)
	@echo "image: $(IMAGE)"

# Compile rules, one set per library so each gets its own flags.
define lib_rules
ifeq ($($(call uc,$(1))_SHARED_KEY),)
$(BUILD)/obj/$(1)/%.c.o: $(NFOS_ROOT)/%.c $(AUTOHEADER) | $(NFOS_LIBC_DEPS)
	@mkdir -p $$(dir $$@)
	$$(if $(Q),@echo "  CC      $(1): $$*.c")
	$(Q)$$(CC) $$(NFOS_CFLAGS) $$($(call uc,$(1))_CFLAGS-y) -c $$< -o $$@
else
$(call lib_objdir,$(1))/%.c.o: $(NFOS_ROOT)/%.c $($(call uc,$(1))_OBJ_DEPS) | $(NFOS_LIBC_DEPS)
	@mkdir -p $$(dir $$@)
	$$(if $(Q),@echo "  CC      $(1): $$*.c (shared)")
	$(Q)$$(CC) $$(NFOS_SHARED_CFLAGS) $$($(call uc,$(1))_CFLAGS-y) -MT $$@ -MF $$@.$$$$$$$$.d \
		-c $$< -o $$@.$$$$$$$$ && mv $$@.$$$$$$$$.d $$(@:.o=.d) && mv $$@.$$$$$$$$ $$@
endif

$(BUILD)/obj/$(1)/%.S.o: $(NFOS_ROOT)/%.S $(AUTOHEADER) | $(NFOS_LIBC_DEPS)
	@mkdir -p $$(dir $$@)
	$$(if $(Q),@echo "  AS      $(1): $$*.S")
	$(Q)$$(CC) $$(NFOS_CFLAGS) $$(NFOS_GLOBAL_ASFLAGS) $$($(call uc,$(1))_ASFLAGS-y) -D__ASSEMBLY__ -c $$< -o $$@

$(BUILD)/obj/$(1).ro: $(call lib_objs,$(1))
	$$(if $(Q),@echo "  LD -r   $(1)")
	$(Q)$$(LD) -r -o $$@ $$^

-include $(patsubst %.o,%.d,$(call lib_objs,$(1)))
endef
$(foreach l,$(NFOS_LIBS),$(eval $(call lib_rules,$(l))))

# Symbol visibility between libraries: a library may use another's symbol
# only if that library's exportsyms.uk lists it. Checked over all libraries
# at once so that the message can name both sides.
$(BUILD)/obj/exports.ok: $(LIB_PARTS) $(NFOS_ROOT)/mk/checksyms.sh \
		$(foreach l,$(NFOS_LIBS),$(wildcard $(call lib_base,$(l))/exportsyms.uk))
	$(if $(Q),@echo "  CHECK   exported symbols")
	$(Q)NM=$(NM) sh $(NFOS_ROOT)/mk/checksyms.sh $(foreach l,$(NFOS_LIBS),$(if $(call lib_srcs,$(l)),$(l):$(BUILD)/obj/$(l).ro:$(call lib_base,$(l))/exportsyms.uk))
	$(Q)touch $@

# Then each library keeps only its exported symbols global.
$(BUILD)/obj/%.lo: $(BUILD)/obj/%.ro $(BUILD)/obj/exports.ok
	$(Q)$(OBJCOPY) --keep-global-symbols=$(call lib_base,$*)/exportsyms.uk $< $@

$(IMAGE_DBG): $(LIB_FINALS) $(PLAT_LINK_DEPS)
	$(if $(Q),@echo "  LINK    $(notdir $(IMAGE))")
	$(Q)$(call plat_link,$@,$(LIB_FINALS))
	$(Q)$(PLAT_LINK_CHECK)

$(IMAGE): $(IMAGE_DBG)
	$(Q)$(STRIP) --strip-all -R .comment -o $@ $<
