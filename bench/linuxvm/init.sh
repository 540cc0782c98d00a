#!/bin/sh
# /init of the Linux VM peer (busybox sh): runs one benchmark mode, read from
# the kernel command line, prints its results on the console and powers off
# with the mode's status through isa-debug-exit (QEMU exits with status*2+1).
# It does not stay up as a general-purpose system: no shell, no services.
#
#   linuxvm.mode=rxonly|txonly|macswap   dpdk-testpmd on the virtio-net NIC,
#                                        bound to uio_pci_generic
#   linuxvm.mode=memcached               memcached -U 11211 on the kernel's
#                                        virtio_net, address linuxvm.ip=A/N
#   linuxvm.seconds=S    how long testpmd forwards after it is ready, or
#                        memcached runs (0: until the VM is stopped); default 10
#   linuxvm.txpkts=N     testpmd --txpkts (txonly)
#   linuxvm.mbufs=N      testpmd --total-num-mbufs (default 8192)
#   linuxvm.hugepages=N  2 MiB pages reserved for DPDK (default 32: all of -m 64)
#   linuxvm.dpdkmem=MB   testpmd -m (default 64)

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say() { echo "linuxvm: $*"; }

# The value of linuxvm.$1 on the kernel command line, else $2.
arg() {
    for w in $(cat /proc/cmdline); do
        case "$w" in linuxvm.$1=*) echo "${w#*=}"; return ;; esac
    done
    echo "$2"
}

# Ends the VM with status $1: isa-debug-exit (port 0xf4) when QEMU has one,
# else a reset that QEMU's -no-reboot turns into an exit. Statuses above 127
# (killed by a signal) become 126, as nfos reports a fatal signal.
finish() {
    say "exit $1"
    code=$1
    [ "$code" -le 127 ] || code=126
    printf "$(printf '\\%03o' "$code")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    reboot -f
    sleep 1000
}

number() {
    case "$2" in '' | *[!0-9]*) say "bad linuxvm.$1='$2' (a number)"; finish 2 ;; esac
}

# Seconds, possibly with a fraction (busybox sleep takes them); 0 is forever.
duration() {
    case "$2" in '' | .* | *.*.* | *[!0-9.]*) say "bad linuxvm.$1='$2' (seconds)"; finish 2 ;; esac
}

# This initramfs's modules (its role's), dependencies first.
need() {
    command -v "$1" > /dev/null || { say "this initramfs has no $1 (another role's)"; finish 2; }
}

load_modules() {
    for ko in $(cat /etc/linuxvm/modules); do
        insmod "$ko" || { say "insmod $ko failed"; finish 2; }
    done
}

# The PCI address of the first virtio-net device (modern 1041 or legacy 1000).
virtio_net_pci() {
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor" 2>/dev/null)" = 0x1af4 ] || continue
        case "$(cat "$d/device")" in 0x1041 | 0x1000) basename "$d"; return ;; esac
    done
}

run_testpmd() {
    mode=$1
    seconds=$(arg seconds 10); duration seconds "$seconds"
    mbufs=$(arg mbufs 8192); number mbufs "$mbufs"
    pages=$(arg hugepages 32); number hugepages "$pages"
    dpdkmem=$(arg dpdkmem 64); number dpdkmem "$dpdkmem"
    txpkts=$(arg txpkts ""); [ -z "$txpkts" ] || number txpkts "$txpkts"

    load_modules
    echo "$pages" > /proc/sys/vm/nr_hugepages
    got=$(sed -n 's/^HugePages_Total: *//p' /proc/meminfo)
    if [ "$got" -lt "$pages" ]; then
        say "only $got of $pages hugepages: too little guest RAM"
        finish 2
    fi
    mount -t hugetlbfs nodev /mnt/huge

    bdf=$(virtio_net_pci)
    [ -n "$bdf" ] || { say "no virtio-net PCI device"; finish 2; }
    id=$(cat "/sys/bus/pci/devices/$bdf/vendor" "/sys/bus/pci/devices/$bdf/device" |
        sed 's/^0x//' | tr '\n' ' ')
    echo "$id" > /sys/bus/pci/drivers/uio_pci_generic/new_id
    if [ "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" != uio_pci_generic ]; then
        say "$bdf: uio_pci_generic did not take it"
        finish 2
    fi

    set -- --lcores '0@0,1@0' --file-prefix=vm -m "$dpdkmem" --huge-dir=/mnt/huge -a "$bdf"
    for pmd in /usr/lib/nfos-pmds/*.so*; do set -- "$@" -d "$pmd"; done
    set -- "$@" -- "--forward-mode=$mode" --auto-start --stats-period=1 --nb-cores=1 \
        "--total-num-mbufs=$mbufs" --record-core-cycles
    [ -z "$txpkts" ] || set -- "$@" "--txpkts=$txpkts"
    say "testpmd $mode on $bdf, $pages hugepages, $seconds s"
    rm -f /tmp/ready /tmp/status
    # testpmd's lines go to the console through this loop, which also
    # notices the line that says forwarding has started.
    (
        sh -c 'echo $$ > /tmp/pid; exec dpdk-testpmd "$@"' testpmd "$@" 2>&1
        echo $? > /tmp/status
    ) | while IFS= read -r line; do
        echo "$line"
        case "$line" in *" packet forwarding - ports="*) : > /tmp/ready ;; esac
    done &
    while [ ! -e /tmp/ready ] && [ ! -e /tmp/status ]; do sleep 0.1; done
    if [ -e /tmp/ready ]; then
        say "testpmd ready"
        if [ "$seconds" != 0 ]; then
            sleep "$seconds"
            kill -INT "$(cat /tmp/pid)"
        fi
    fi
    wait
    status=$(cat /tmp/status 2>/dev/null)
    say "testpmd ended with status ${status:-unknown}"
    finish "${status:-1}"
}

run_memcached() {
    seconds=$(arg seconds 0); duration seconds "$seconds"
    ip=$(arg ip "")
    case "$ip" in */*) ;; *) say "memcached needs linuxvm.ip=ADDR/PREFIX"; finish 2 ;; esac
    load_modules
    dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
    [ -n "$dev" ] || { say "no network interface"; finish 2; }
    ip link set lo up
    ip link set "$dev" up && ip addr add "$ip" dev "$dev" || { say "bad address $ip"; finish 2; }
    memcached -u root -U 11211 -l "${ip%/*}" -t 1 -m 64 &
    pid=$!
    n=0
    until netstat -lnu 2>/dev/null | grep -q ':11211 '; do
        kill -0 $pid 2>/dev/null || { say "memcached ended at start"; finish 1; }
        n=$((n + 1))
        [ $n -lt 300 ] || { say "memcached not listening after 30 s"; finish 1; }
        sleep 0.1
    done
    say "memcached ready on $dev ${ip%/*} udp 11211"
    if [ "$seconds" != 0 ]; then
        sleep "$seconds"
        kill -TERM $pid
    fi
    wait $pid
    status=$?
    say "memcached ended with status $status"
    finish 0
}

mode=$(arg mode "")
case "$mode" in
rxonly | txonly | macswap) need dpdk-testpmd; run_testpmd "$mode" ;;
memcached) need memcached; run_memcached ;;
*) say "bad linuxvm.mode='$mode' (rxonly, txonly, macswap, memcached)"; finish 2 ;;
esac
