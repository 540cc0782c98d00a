"""The QEMU command line `nfos run` starts a kvm image with (tests and the
benchmarks start the same one through nfos_cli.qemu_command), and the
queue pairs each --net gets."""

import sys

MQ_NET_KINDS = ("tap", "vhost-user")  # QEMU backends with queues=N
IFF_MULTI_QUEUE = 0x100  # in /sys/class/net/IF/tun_flags
# QEMU's isa-debug-exit makes QEMU exit with status*2+1.
DEBUG_EXIT = "isa-debug-exit,iobase=0xf4,iosize=4"


def qemu_opt(value):
    """A value inside a QEMU option list (-netdev, -chardev): a comma ends the
    value unless doubled. (-kernel and -append take their value whole.)"""
    return value.replace(",", ",,")


def qemu_command(image, mem, machine, accel, cmdline, nets=(), cpus=1):
    """The QEMU command line for an image. Public so that tests and the boot
    benchmark start exactly what `nfos run` starts. nets: parsed --net
    values (see parse_net), one virtio-net each; cpus: vCPUs (-smp)."""
    if machine.startswith("microvm"):
        # No option ROMs, no legacy PIC or RTC (nothing uses them; CMOS polls
        # hang with rtc=off, so nfos never touches CMOS); the PIT stays for
        # TSC calibration when CPUID has no frequency leaf (TCG).
        m = "microvm,x-option-roms=off,pic=off,rtc=off"
        if machine.endswith("pcie=on"):
            m += ",pcie=on"
    else:
        m = "q35"
    cpu = "host,-arch-capabilities,+invtsc" if accel == "kvm" else "max"
    extra = ["-smp", str(cpus)] if cpus > 1 else []
    if any(n["kind"] == "vhost-user" for n in nets):
        # The backend maps guest RAM: it must be a shared memfd.
        extra += ["-object", f"memory-backend-memfd,id=mem,size={mem // 1024}K,share=on"]
        m += ",memory-backend=mem"
    for i, n in enumerate(nets):
        mac = f",mac={n['mac']}" if n.get("mac") else ""
        # A queue pair per vCPU (virtio-net MQ) where the backend has several.
        q = n.get("queues", cpus if n["kind"] in MQ_NET_KINDS else 1)
        mq, queues = (",mq=on", f",queues={q}") if q > 1 else ("", "")
        mq += ",rss=on" if q > 1 and n.get("rss") else ""  # QEMU's RSS: software without eBPF
        if n["kind"] == "tap":
            extra += ["-netdev", f"tap,id=n{i},ifname={qemu_opt(n['arg'])},script=no,"
                      f"downscript=no{queues}"]
        elif n["kind"] == "user":
            # QEMU's user network: host 127.0.0.1:PORT forwarded to the guest's.
            fwd = "".join(f",hostfwd={p}:127.0.0.1:{h}-:{g}" for p, h, g in n["fwd"])
            extra += ["-netdev", f"user,id=n{i},net=10.0.2.0/24{fwd}"]
        else:
            extra += ["-chardev", f"socket,id=c{i},path={qemu_opt(n['arg'])}",
                      "-netdev", f"vhost-user,id=n{i},chardev=c{i}{queues}"]
        if machine == "microvm":
            # virtio-mmio, modern (QEMU's microvm defaults to legacy mmio).
            extra += ["-device", f"virtio-net-device,netdev=n{i}{mq}{mac}"]
        else:
            # Modern-only PCI, no option ROM, no MSI-X vectors (with mq too):
            # nfos polls.
            extra += ["-device", f"virtio-net-pci,netdev=n{i},disable-legacy=on,romfile=,"
                      f"vectors=0{mq}{mac}"]
    if machine == "microvm" and nets:
        extra += ["-global", "virtio-mmio.force-legacy=false"]
    return ["qemu-system-x86_64", "-accel", accel, "-M", m, "-cpu", cpu,
            "-m", f"{mem // 1024}K", "-nodefaults", "-no-user-config", "-nographic",
            "-no-reboot", "-serial", "stdio", "-device", DEBUG_EXIT] + extra + [
            "-kernel", image, "-append", cmdline]


def net_queues(nets, cpus):
    """Sets each kvm --net's queue pairs: one per vCPU where QEMU's backend
    has several (a TAP only when made multi_queue: QEMU cannot open another
    one with queues=N); says so when a TAP keeps one."""
    for n in nets:
        n["queues"] = cpus if n["kind"] in MQ_NET_KINDS else 1
        if n["queues"] > 1 and n["kind"] == "tap":
            with open(f"/sys/class/net/{n['arg']}/tun_flags") as f:
                if not int(f.read(), 16) & IFF_MULTI_QUEUE:
                    print(f"nfos: --net tap:{n['arg']} is not multi_queue: one queue pair for "
                          f"{cpus} vCPUs (for one each: ip tuntap add dev {n['arg']} mode tap "
                          f"multi_queue)", file=sys.stderr)
                    n["queues"] = 1
        if n.get("rss") and n["queues"] == 1:
            print(f"nfos: --net tap:{n['arg']},rss: one queue pair, RSS not asked (it spreads "
                  f"flows over pairs: --cpus N and a multi_queue TAP)", file=sys.stderr)
