/*
 * kiln's KVM probe payload: a multiboot kernel (a.out kludge, loaded at 1 MiB) that does what
 * every 64-bit unikernel does first (paging, long mode, SSE state) and then reports through
 * isa-debug-exit. The page tables live in the zero-filled bss that QEMU's multiboot loader
 * provides. It exits with 0x15, so QEMU with the device at 0xf4 exits with status 43.
 * Rebuild: as --64 -o p.o kvm-probe.S && ld -Ttext=0 --oformat binary -o kvm-probe.bin p.o
 */
	.set BASE, 0x100000
	.set MAGIC, 0x1BADB002
	.set FLAGS, 0x00010000
	.set PML4, BASE + 0x1000
	.set PDPT, BASE + 0x2000
	.set PD, BASE + 0x3000
	.code32
	.text
	.globl _start
_start:
hdr:
	.long MAGIC, FLAGS, -(MAGIC + FLAGS)
	.long BASE, BASE, BASE + (end - hdr), BASE + 0x4000, BASE + (entry - hdr)
entry:
	cli
	movl $(PDPT + 3), PML4
	movl $(PD + 3), PDPT
	movl $0x83, PD
	mov $PML4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $((1 << 5) | (1 << 9) | (1 << 10)), %eax
	mov %eax, %cr4
	mov $0xC0000080, %ecx
	rdmsr
	or $(1 << 8), %eax
	wrmsr
	mov %cr0, %eax
	and $~(1 << 2), %eax
	or $((1 << 31) | (1 << 1) | 1), %eax
	mov %eax, %cr0
	lgdt BASE + (gdtr - hdr)
	ljmp $0x08, $(BASE + (long64 - hdr))
	.code64
long64:
	ldmxcsr BASE + (mxcsr - hdr)
	xorps %xmm0, %xmm0
	mov $0x15, %eax
	mov $0xf4, %dx
	out %eax, %dx
1:	hlt
	jmp 1b
	.balign 8, 0
gdt:
	.quad 0
	.quad 0x00209A0000000000
gdtr:
	.word gdtr - gdt - 1
	.long BASE + (gdt - hdr)
	.balign 4, 0
mxcsr:
	.long 0x1f80
end:
