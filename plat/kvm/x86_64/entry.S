/* PVH entry: 32-bit protected mode, paging off, %ebx = hvm_start_info.
 * Runs at CPL0, where nested PVM emulates every instruction (~1 us each), so
 * it does only what needs CPL0: control registers, EFER, GDT/IDT/TSS, then
 * iretq to CPL3. No C here: nothing may touch SSE state at CPL0. */
#include "cpu_defs.h"

/* The PVH ELF note: QEMU, Firecracker and Cloud Hypervisor start here. */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4                 /* name size: "Xen\0" */
	.long 8                 /* descriptor size */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_start32
	.balign 4

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	rdtsc
	movl %eax, kvm_tsc_entry
	movl %edx, kvm_tsc_entry + 4
	movl %ebx, kvm_start_info

	/* CR4: PAE for long mode, SSE state, FSGSBASE and XSAVE when present. */
	xorl %eax, %eax
	cpuid
	movl %eax, %esi
	movl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %edi
	cmpl $7, %esi
	jb 1f
	movl $7, %eax
	xorl %ecx, %ecx
	cpuid
	testl $1, %ebx                  /* CPUID.7.EBX.FSGSBASE */
	jz 1f
	orl $CR4_FSGSBASE, %edi
1:	movl $1, %eax
	cpuid
	testl $(1 << 26), %ecx          /* CPUID.1.ECX.XSAVE */
	jz 3f
	orl $CR4_OSXSAVE, %edi
	movl %edi, %cr4
	movl $3, %eax                   /* XCR0: x87 | SSE ... */
	testl $(1 << 28), %ecx          /* ... | AVX when present */
	jz 2f
	orl $4, %eax
2:	xorl %edx, %edx
	xorl %ecx, %ecx
	xsetbv
	jmp 4f
3:	movl %edi, %cr4
4:
	/* Under KVM with kvmclock, one wrmsr asks the host to fill in
	 * kvm_pvclock, from which CPL3 code reads the TSC frequency
	 * (plat/kvm/time.c): no PIT calibration, which costs ~10 ms. */
	movl $KVM_CPUID_SIGNATURE, %eax
	cpuid
	cmpl $KVM_SIGNATURE_EBX, %ebx
	jne 5f
	cmpl $KVM_CPUID_FEATURES, %eax
	jb 5f
	movl $KVM_CPUID_FEATURES, %eax
	cpuid
	testl $KVM_FEATURE_CLOCKSOURCE2, %eax
	jz 5f
	movl $MSR_KVM_SYSTEM_TIME_NEW, %ecx
	movl $(kvm_pvclock + 1), %eax   /* bit 0: enable */
	xorl %edx, %edx
	wrmsr
5:
	/* Prebuilt identity map (pagetable.S): nothing to compute here. */
	movl $kvm_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	andl $~(CR0_EM | CR0_TS), %eax
	orl $(CR0_PG | CR0_PE | CR0_MP | CR0_NE | CR0_WP), %eax
	movl %eax, %cr0
	lgdt kvm_gdt_ptr
	ljmp $GDT_KCODE, $start64

	.code64
start64:
	rdtsc
	movl %eax, kvm_tsc_longmode
	movl %edx, kvm_tsc_longmode + 4
	movl $GDT_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	lidt kvm_idt_ptr
	movq $kvm_stack0_top, %rax
	movq %rax, kvm_tss + TSS_RSP0_OFF
	movw $TSS_HEAD_SIZE, kvm_tss + TSS_IOMAP_OFF
	movl $GDT_TSS, %eax
	ltr %ax

	/* To CPL3 with IOPL=3 (port I/O allowed), interrupts off for good. */
	pushq $(GDT_UDATA | 3)
	pushq $kvm_stack3_top - 8      /* as if called: SysV wants rsp+8 16-aligned */
	pushq $(RFLAGS_IOPL3 | RFLAGS_RESERVED)
	pushq $(GDT_UCODE | 3)
	pushq $kvm_start64
	movl kvm_start_info, %edi
	iretq

	.section .bss.boot, "aw", @nobits
	.balign 8
	.globl kvm_tsc_entry, kvm_tsc_longmode, kvm_start_info
kvm_tsc_entry:    .skip 8
kvm_tsc_longmode: .skip 8
kvm_start_info:   .skip 8

	/* struct pvclock_vcpu_time_info, which KVM keeps up to date. */
	.balign 64
	.globl kvm_pvclock
kvm_pvclock:      .skip 32

	.balign 16
	.globl kvm_tss
kvm_tss: .skip TSS_SIZE

	.balign 4096
	.globl kvm_stack3_top
kvm_stack3: .skip KVM_STACK3_SIZE
kvm_stack3_top:
kvm_stack0: .skip KVM_STACK0_SIZE
	.globl kvm_stack0_top
kvm_stack0_top:

	.section .note.GNU-stack, "", @progbits
