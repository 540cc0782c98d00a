#!/bin/sh
# Every public header compiles on its own: for each of include/nfos/**/*.h,
# lib/*/include/nfos/**/*.h, drivers/*/include/nfos/**/*.h and
# arch/ARCH/include/nfos/**/*.h, a C file holding only its #include is
# checked with -fsyntax-only for each platform the header applies to (a
# library or driver whose Config.uk says `depends on PLAT_X` applies to X
# only), with the include paths a build gives and with the debug checks
# off and on. Also checks each header's guard is NFOS_<PATH>_H.
#
# usage: header_check.sh NFOS_ROOT ARCH     (CC from the environment)
set -u
root=$1
arch=$2
cc=${CC:-gcc}

incs="-I$root/include -I$root/arch/$arch/include"
for d in "$root"/lib/*/include "$root"/drivers/*/include; do
    case $d in */lib/nolibc/include) continue ;; esac
    incs="$incs -I$d"
done
common="-std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -fsyntax-only"
# kvm: freestanding, the libc headers are nolibc's (plat/kvm/Makefile.uk).
kvm_flags="$common -ffreestanding -nostdinc -isystem $($cc -print-file-name=include) \
    -I$root/lib/nolibc/include $incs -DCONFIG_PLAT_KVM=1 -DCONFIG_ARCH_X86_64=1"
linuxu_flags="$common $incs -DCONFIG_PLAT_LINUXU=1 -DCONFIG_ARCH_X86_64=1"

# The platforms a header applies to, from its library's Config.uk.
plats_of() {
    case $1 in
    "$root"/lib/*/include/* | "$root"/drivers/*/include/*)
        conf=${1%%/include/*}/Config.uk
        if grep -q 'depends on PLAT_KVM' "$conf" 2>/dev/null; then
            echo kvm
        elif grep -q 'depends on PLAT_LINUXU' "$conf" 2>/dev/null; then
            echo linuxu
        else
            echo kvm linuxu
        fi
        ;;
    *) echo kvm linuxu ;;
    esac
}

headers=$(cd "$root" && find include lib/*/include/nfos drivers/*/include/nfos \
    arch/"$arch"/include/nfos -name '*.h' 2>/dev/null | sort)
n=0
runs=0
fail=0
for rel in $headers; do
    h=$root/$rel
    name=nfos/${rel#*include/nfos/}
    guard=$(echo "NFOS_${name#nfos/}" | tr 'a-z/.' 'A-Z__')
    if ! grep -q "^#ifndef $guard\$" "$h" || ! grep -q "^#define $guard\$" "$h"; then
        echo "header-check: $rel: no include guard $guard"
        fail=$((fail + 1))
    fi
    n=$((n + 1))
    for plat in $(plats_of "$h"); do
        eval flags=\$${plat}_flags
        for debug in "" "-DCONFIG_NFOS_DEBUG=1"; do
            runs=$((runs + 1))
            # Twice: the guard must make a second include harmless.
            if ! out=$(printf '#include <%s>\n#include <%s>\n' "$name" "$name" |
                $cc $flags $debug -x c -o /dev/null - 2>&1); then
                echo "header-check: $rel does not compile on its own ($plat${debug:+, debug}):"
                echo "$out" | head -20
                fail=$((fail + 1))
            fi
        done
    done
done
if [ $fail -ne 0 ]; then
    echo "header-check: $fail failure(s) over $n headers"
    exit 1
fi
echo "header-check: $n public headers, $runs compiles, each on its own"
