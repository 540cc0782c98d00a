"""What every part of the nfos command shares: the repo root, the usage
error and how a command dies, and whether KVM may be used."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class UsageError(Exception):
    pass


def die(msg, code=2):
    print(f"nfos: {msg}", file=sys.stderr)
    sys.exit(code)


def kvm_usable():
    """/dev/kvm is there and ours, and NFOS_ACCEL=tcg does not ask for TCG
    (how the tests' TCG fallback is checked on a host with KVM)."""
    if os.environ.get("NFOS_ACCEL", "") == "tcg":
        return False
    return os.access("/dev/kvm", os.R_OK | os.W_OK)
