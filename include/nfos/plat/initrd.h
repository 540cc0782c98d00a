/* Platform contract: the image's initrd, a blob handed over by whoever
 * started the image. kvm: the first PVH boot module (QEMU's -initrd), kept
 * out of the RAM the image allocates from; linuxu: the file named by
 * nfos.initrd=PATH, mapped read-only. nfos reads it as a cpio archive
 * (lib/cpiofs) but the platform does not look inside. */
#ifndef NFOS_PLAT_INITRD_H
#define NFOS_PLAT_INITRD_H

#include <stddef.h>

/* *data and *len of the initrd: 0; -ENOENT when the image got none; on
 * linuxu -errno when the file named cannot be opened or mapped (the
 * reason is printed once). Stays mapped and unchanged until the image
 * ends. Slow path; not thread-safe on its first call. */
int plat_initrd(const void **data, size_t *len);

#endif /* NFOS_PLAT_INITRD_H */
