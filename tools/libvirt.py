"""`nfos libvirt`: an app's kvm image as a libvirt domain (XML, and with
--define/--start the virsh calls). The guest gets the kernel command line
`nfos run` builds, from the same functions; libvirt itself is never
configured here (no networks, no pools): the domain names what exists."""

import os
import re
import shutil
import subprocess
import sys
from xml.sax.saxutils import escape, quoteattr

from tools.base import UsageError, die, kvm_usable

URI = "qemu:///system"
BOOT_DIR = "/var/lib/libvirt/boot"  # Debian's place for direct-boot kernels
CONSOLE_DIR = "/var/log/libvirt/qemu"
QEMU_CONF = "/etc/libvirt/qemu.conf"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def domain_type():
    """'kvm' where /dev/kvm is usable, else 'qemu' (TCG), as `nfos run`."""
    return "kvm" if kvm_usable() else "qemu"


def cpu_xml(dtype):
    """KVM: the host's CPU without arch-capabilities (QEMU 7.2 refuses it on
    kvm-pvm) and with invtsc (the TSC is the guest's clock). TCG: QEMU's
    `max`, what `nfos run` asks for."""
    if dtype == "qemu":
        return "  <cpu mode='maximum'/>"
    return ("  <cpu mode='host-passthrough' check='none'>\n"
            "    <feature policy='disable' name='arch-capabilities'/>\n"
            "    <feature policy='require' name='invtsc'/>\n"
            "  </cpu>")


def parse_lv_net(text):
    """--net for libvirt: `nfos run`'s kinds (tap:IF, vhost-user:SOCK, user)
    plus bridge:BR, an existing Linux bridge libvirt plugs a new TAP into."""
    from tools import nfos_cli
    kind, _, arg = text.partition(":")
    if kind == "bridge":
        if not arg:
            raise UsageError(f"--net {text}: which bridge? e.g. --net bridge:br0")
        if not os.path.isdir(f"/sys/class/net/{arg}/bridge"):
            raise UsageError(f"--net {text}: no bridge '{arg}' here (create it: "
                             f"ip link add {arg} type bridge && ip link set {arg} up)")
        return {"kind": kind, "arg": arg}
    if kind not in nfos_cli.QEMU_NET_KINDS:
        raise UsageError(f"--net {text}: unknown kind '{kind}' for libvirt "
                         f"(kinds: tap:IF, bridge:BR, vhost-user:SOCK, user)")
    n = nfos_cli.parse_net(text, "kvm")
    if n.get("rss"):
        raise UsageError(f"--net {text}: ',rss' is for ./nfos run (a domain gets no RSS)")
    if n.get("fwd"):
        raise UsageError(f"--net {text}: libvirt's user network has no port forwards "
                         f"(use bridge:BR or tap:IF to reach the guest)")
    return n


def interface_xml(n, machine):
    """One <interface>: a virtio-net on virtio-mmio (microvm) or on a PCIe
    port (q35; modern-only there, no option ROM)."""
    kind, arg = n["kind"], n["arg"]
    if kind == "bridge":
        src = f"<source bridge={quoteattr(arg)}/>"
        itype = "bridge"
    elif kind == "tap":
        src = f"<target dev={quoteattr(arg)} managed='no'/>"
        itype = "ethernet"
    elif kind == "vhost-user":
        src = f"<source type='unix' path={quoteattr(arg)} mode='client'/>"
        itype = "vhostuser"
    else:
        src = "<ip family='ipv4' address='10.0.2.0' prefix='24'/>"
        itype = "user"
    lines = [src, "<model type='virtio'/>"]
    if n.get("mac"):
        lines.append(f"<mac address={quoteattr(n['mac'])}/>")
    if machine == "microvm":
        lines.append("<address type='virtio-mmio'/>")
    else:
        lines.append("<rom enabled='no'/>")
    body = "".join(f"\n      {x}" for x in lines)
    return f"    <interface type='{itype}'>{body}\n    </interface>"


def qemu_args(machine, nets):
    """What libvirt has no element for, passed to QEMU as it is: the exit
    device (isa-debug-exit: the guest's status becomes QEMU's), microvm's
    machine options `nfos run` uses, modern virtio-mmio. auto-kernel-cmdline
    off: QEMU would append virtio_mmio.device= words after the app's
    arguments; nfos finds microvm's devices by its fixed layout, which it
    knows by microvm's ACPI tables (hence <acpi/>: libvirt's default is
    -no-acpi)."""
    from tools import nfos_cli
    args = ["-device", nfos_cli.DEBUG_EXIT]
    if machine == "microvm":
        args += ["-machine", "x-option-roms=off,pic=off,rtc=off,auto-kernel-cmdline=off"]
        if nets:
            args += ["-global", "virtio-mmio.force-legacy=false"]
    return args


def domain_xml(name, image, cmdline, mem, cpus, machine, nets, console, dtype):
    """The domain: direct kernel boot, no firmware, no default devices, the
    serial console into a file, gone (destroyed) when the guest ends."""
    kib = mem // 1024
    devices = [interface_xml(n, machine) for n in nets]
    devices += [f"    <serial type='file'>\n      <source path={quoteattr(console)}/>\n"
                f"      <target type='isa-serial' port='0'/>\n    </serial>",
                "    <controller type='usb' model='none'/>",  # else "No PCI buses"
                "    <memballoon model='none'/>"]
    backing = ""
    if any(n["kind"] == "vhost-user" for n in nets):
        # The vhost-user backend maps guest RAM: a shared memfd.
        backing = ("  <memoryBacking>\n    <source type='memfd'/>\n"
                   "    <access mode='shared'/>\n  </memoryBacking>\n")
    qargs = "".join(f"\n    <qemu:arg value={quoteattr(a)}/>" for a in qemu_args(machine, nets))
    return f"""<domain type='{dtype}' xmlns:qemu='{QEMU_NS}'>
  <name>{escape(name)}</name>
  <description>nfos image {escape(os.path.basename(image))}</description>
  <memory unit='KiB'>{kib}</memory>
  <currentMemory unit='KiB'>{kib}</currentMemory>
{backing}  <vcpu>{cpus}</vcpu>
  <os>
    <type arch='x86_64' machine='{machine}'>hvm</type>
    <kernel>{escape(image)}</kernel>
    <cmdline>{escape(cmdline)}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
{cpu_xml(dtype)}
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
{chr(10).join(devices)}
  </devices>
  <qemu:commandline>{qargs}
  </qemu:commandline>
</domain>
"""


# --- where libvirt's QEMU may read the image ----------------------------------

def qemu_user():
    """The user libvirt runs QEMU as: qemu.conf's `user`, else Debian's."""
    try:
        with open(QEMU_CONF) as f:
            for line in f:
                m = re.match(r'\s*user\s*=\s*"([^"]+)"', line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return "libvirt-qemu"


def readable_by(path, user):
    """Can user open path (every directory on the way searchable)? Asked of
    the kernel as that user; None when we cannot ask (not root)."""
    if os.geteuid() != 0 or user in ("root", "+0"):
        return None if os.geteuid() != 0 else True
    r = subprocess.run(["runuser", "-u", user, "--", "test", "-r", path],
                       capture_output=True)
    return r.returncode == 0


def place_image(image, name, copy):
    """The image's path for <kernel>: a copy in BOOT_DIR (world-readable,
    named after the domain) when copy, else the build's own path."""
    if copy:
        if not os.access(BOOT_DIR, os.W_OK):
            raise UsageError(f"cannot copy the image into {BOOT_DIR} (not writable: run as "
                             f"root, or --no-copy to reference {image})")
        dest = os.path.join(BOOT_DIR, f"{name}.elf")
        shutil.copyfile(image, dest)
        os.chmod(dest, 0o644)
        image = dest
    user = qemu_user()
    if readable_by(image, user) is False:
        raise UsageError(f"{image} is not readable by libvirt's QEMU user '{user}' (a "
                         f"directory on the way without o+x?): drop --no-copy, or make it "
                         f"readable")
    return image


# --- virsh --------------------------------------------------------------------

def virsh(*argv, check=True):
    """Runs virsh on the system URI; a failure is one clear line."""
    if not shutil.which("virsh"):
        raise UsageError("virsh is missing: ./nfos deps installs libvirt (as root)")
    r = subprocess.run(["virsh", "-q", "-c", URI] + list(argv), capture_output=True, text=True)
    if check and r.returncode != 0:
        err = (r.stderr.strip() or r.stdout.strip()).splitlines()
        text = " ".join(err) or f"exit status {r.returncode}"
        if "libvirt-sock" in text or "failed to connect" in text.lower():
            text = (f"libvirtd is not running (start it: libvirtd -d, and virtlogd -d); "
                    f"virsh said: {text}")
        die(f"virsh {argv[0]}: {text}", 1)
    return r


def exit_status(console_text):
    """The app's exit status from its console log (nfos.exitline=1), or
    None while it has not ended (or ended without returning from main)."""
    m = re.findall(r"^nfos: exit status (\d+)\r?$", console_text, re.M)
    return int(m[-1]) if m else None


# --- the command --------------------------------------------------------------

def guest_line(args, nets):
    """The kernel command line `nfos run` would build for these arguments
    (the app's epoch argument, --ip/--mac, -p), plus nfos.exitline=1."""
    from tools import nfos_cli
    app_args = list(args.app_args)
    epoch_arg = nfos_cli.run_defaults(args.app).get("kvm", {}).get("epoch_arg")
    if epoch_arg and epoch_arg not in app_args:
        import time  # no RTC in the guest; set when the XML is written
        app_args = [epoch_arg, str(int(time.time()))] + app_args
    params = nfos_cli.net_params(nets, args.ip or [], args.mac or [], "kvm")
    params += list(args.param or []) + ["nfos.exitline=1"]
    return nfos_cli.guest_cmdline(params, app_args)


def cmd_libvirt(args):
    from tools import nfos_cli
    nfos_cli.check_app(args.app)
    name = args.name or f"nfos-{args.app}"
    if not NAME_RE.fullmatch(name):
        raise UsageError(f"--name {name}: letters, digits, '.', '_' and '-' only")
    if args.machine not in ("microvm", "q35"):
        raise UsageError(f"--machine {args.machine}: microvm (virtio-mmio) or q35 "
                         f"(virtio-net-pci)")
    if args.cpus < 1:
        raise UsageError(f"--cpus {args.cpus}: at least 1")
    mem = nfos_cli.parse_size(args.mem or "64M")
    nets = [parse_lv_net(n) for n in args.net or []]
    cmdline = guest_line(args, nets)
    if args.define or args.start:
        virsh("version")  # libvirtd there, before a build and a copy for nothing
    image = nfos_cli.build(args.app, "kvm", quiet=True)
    need = nfos_cli.image_ram_need(image)
    if mem < need:
        raise UsageError(f"--mem {args.mem}: {args.app} needs at least "
                         f"{(need + 2**20 - 1) >> 20}M")
    image = place_image(image, name, copy=not args.no_copy)
    console = os.path.join(CONSOLE_DIR, f"{name}.console.log")
    dtype = domain_type()
    xml = domain_xml(name, image, cmdline, mem, args.cpus, args.machine, nets, console, dtype)
    print(f"nfos: domain {name}: type '{dtype}' ("
          + ("KVM" if dtype == "kvm" else "no usable /dev/kvm: QEMU TCG, slow") + f"), "
          f"kernel {image}, console {console}", file=sys.stderr)
    out = args.output
    if out:
        with open(out, "w") as f:
            f.write(xml)
    elif not (args.define or args.start):
        sys.stdout.write(xml)
    if args.define or args.start:
        define(xml, out)
        if args.start:
            if os.path.exists(console):
                os.unlink(console)  # this run's console only
            virsh("start", name)
            print(f"nfos: started {name}; stop: virsh destroy {name}; remove: virsh "
                  f"undefine {name}; exit status: last 'nfos: exit status N' line of "
                  f"{console}", file=sys.stderr)
    return 0


def define(xml, path):
    import tempfile
    if path:
        virsh("define", path)
        return
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(xml)
        f.flush()
        virsh("define", f.name)


def add_parser(sub):
    """`nfos libvirt`, under the nfos command's subcommands."""
    lv = sub.add_parser("libvirt", help="write (and define/start) a libvirt domain for an app",
                        description="Write a libvirt domain XML for APP's kvm image: direct "
                        "kernel boot with the command line `nfos run` builds, the console "
                        f"to {CONSOLE_DIR}/NAME.console.log, destroyed when the guest ends. "
                        "See docs/DEPLOY.md.")
    lv.add_argument("app")
    lv.add_argument("--net", action="append", metavar="KIND:ARG",
                    help="tap:IF, bridge:BR, vhost-user:SOCK or user (repeatable)")
    lv.add_argument("--ip", action="append", metavar="ADDR/PREFIX",
                    help="the address of the port in the same position")
    lv.add_argument("--mac", action="append", metavar="MAC")
    lv.add_argument("--mem", help="guest RAM (default 64M)")
    lv.add_argument("--cpus", type=int, default=1)
    lv.add_argument("--machine", default="microvm",
                    help="microvm (default, virtio-mmio) or q35 (virtio-net-pci)")
    lv.add_argument("--name", help="the domain's name (default nfos-APP)")
    lv.add_argument("-p", "--param", action="append", metavar="KEY=VALUE")
    lv.add_argument("-o", "--output", metavar="FILE", help="write the XML here, not stdout")
    lv.add_argument("--no-copy", action="store_true",
                    help=f"reference the built image instead of a copy in {BOOT_DIR}")
    lv.add_argument("--define", action="store_true", help="virsh define the domain")
    lv.add_argument("--start", action="store_true", help="define and start it")
    lv.set_defaults(fn=cmd_libvirt)
