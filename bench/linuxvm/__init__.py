"""The Linux VM peer (linuxvm: run, boot, measure; build: its kernel and
initramfs from Debian packages)."""
