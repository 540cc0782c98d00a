#!/bin/sh
# Fails (and removes the image) when a kvm image holds a `syscall` or
# `int $0x80` instruction: in an nfos image every system call is a function
# call (lib/syscall); the instruction would enter CPL0, which kvm-pvm
# emulates about 10,000 times slower. Names the function holding each one.
# One function is allowed: kvm_smp_halt (plat/kvm/x86_64/smp.S), the
# deliberate way into CPL0 for an idle lcore's `hlt` (DESIGN.md, CPU and
# scheduling); it runs only when an lcore has nothing to do, or a read of
# the console waits for a key (plat/kvm/serial_in.c).
# Usage: nosyscall.sh IMAGE
OBJDUMP=${OBJDUMP:-objdump}
img=$1
bad=$("$OBJDUMP" -d --no-show-raw-insn "$img" | awk '
	/^[0-9a-f]+ <.*>:$/ { fn = $2; sub(/:$/, "", fn) }
	/\t(syscall|sysenter|int +\$0x80)[ \t]*$/ && fn != "<kvm_smp_halt>" { sub(/:$/, "", $1); print "  " $1 " in " fn ": " $2 }')
[ -z "$bad" ] && exit 0
echo "nfos: $img holds system call instructions (every call must go through nfos_syscall6):" >&2
echo "$bad" >&2
rm -f "$img"
exit 1
