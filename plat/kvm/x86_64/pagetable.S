/* The boot page tables, prebuilt in the image so boot computes none of them:
 *
 *   PML4[0] -> PDPT
 *   PDPT[0] -> PD0: 0 .. 1 GiB, 2 MiB pages, write-back   (RAM, the image)
 *   PDPT[1..2]    : RAM above 1 GiB, filled at CPL3 from the memory map
 *   PDPT[3] -> PD3: 3 .. 4 GiB, 2 MiB pages, uncached     (the MMIO hole)
 *
 * Identity mapped and never changed for what is mapped at boot: a
 * buffer's virtual address is its DMA address. Every page is user
 * accessible: nfos runs at CPL3. 1 GiB pages are not used: kvm-pvm raises a
 * reserved-bit fault on them although CPUID advertises them. */
#include "cpu_defs.h"

	.section .data.pagetables, "aw"
	.balign 4096
	.globl kvm_pml4, kvm_pdpt, kvm_pd0, kvm_pd3
kvm_pml4:
	.quad kvm_pdpt + PTE_TABLE
	.fill 511, 8, 0

kvm_pdpt:
	.quad kvm_pd0 + PTE_TABLE
	.quad 0
	.quad 0
	.quad kvm_pd3 + PTE_TABLE
	.fill 508, 8, 0

kvm_pd0:
	.set i, 0
	.rept 512
	.quad (i << 21) | PTE_RAM_2M
	.set i, i + 1
	.endr

kvm_pd3:
	.set i, 0
	.rept 512
	.quad (0xc0000000 + (i << 21)) | PTE_MMIO_2M
	.set i, i + 1
	.endr

	.section .note.GNU-stack, "", @progbits
