/* GDT and the descriptor-table pointers loaded by entry.S. Accessed bits are
 * preset so the CPU never writes the table. The TSS descriptor's base is
 * split by the linker script (link.ld), so boot does not compute it. */
#include "cpu_defs.h"

	.section .data.gdt, "aw"
	.balign 16
	.globl kvm_gdt, kvm_gdt_limit
kvm_gdt:
	.quad 0
	.quad 0x00af9b000000ffff        /* GDT_KCODE: 64-bit code, DPL0 */
	.quad 0x00cf93000000ffff        /* GDT_KDATA */
	.quad 0x00cff3000000ffff        /* GDT_UDATA: DPL3 */
	.quad 0x00affb000000ffff        /* GDT_UCODE: 64-bit code, DPL3 */
	.quad __kvm_tss_desc_lo         /* GDT_TSS */
	.quad __kvm_tss_desc_hi
kvm_gdt_end:
	.set kvm_gdt_limit, kvm_gdt_end - kvm_gdt - 1 /* nfvm_note.S */

	.balign 8
	.globl kvm_gdt_ptr, kvm_idt_ptr
kvm_gdt_ptr:
	.word kvm_gdt_end - kvm_gdt - 1
	.quad kvm_gdt
	.balign 8
kvm_idt_ptr:
	.word KVM_NR_VECTORS * 16 - 1
	.quad kvm_idt

	.section .bss.idt, "aw", @nobits
	.balign 16
	.globl kvm_idt
kvm_idt: .skip KVM_NR_VECTORS * 16

	.section .note.GNU-stack, "", @progbits
