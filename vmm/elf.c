/* The image loader: an ELF64 x86-64 executable's PT_LOAD segments go to
 * their physical addresses in guest RAM; its notes give the PVH entry (Xen's
 * PHYS32_ENTRY) and nfvm's direct-entry note. The file is untrusted: every
 * offset and size is checked against the file and every address goes
 * through nfvm_gpa(). Nothing is executed or interpreted beyond that. */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "layout.h"
#include "nfvm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Writes the reason into err and returns -1: the loaders' error path. */
int nfvm_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* [off, off + len) inside a file of size bytes. */
static int in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static size_t align4(size_t v)
{
    return (v + 3) & ~(size_t)3;
}

static void note_read(const uint8_t *name, uint32_t namesz, uint32_t type, const uint8_t *desc,
                      uint32_t descsz, struct nfvm_image *img)
{
    if (namesz == 4 && !memcmp(name, "Xen", 4) && type == XEN_ELFNOTE_PHYS32_ENTRY) {
        uint64_t e = 0;

        memcpy(&e, desc, descsz < 8 ? descsz : 8);
        img->pvh_entry = descsz == 4 ? (uint32_t)e : e;
    } else if (namesz == sizeof(NFVM_NOTE_NAME) && !memcmp(name, NFVM_NOTE_NAME, namesz) &&
               type == NFVM_NOTE_ENTRY && descsz >= sizeof(img->note.abi_version)) {
        /* Any version is kept, as much of it as there is: the boot set-up
         * refuses another version by name rather than booting it wrongly. */
        memset(&img->note, 0, sizeof(img->note));
        memcpy(&img->note, desc, descsz < sizeof(img->note) ? descsz : sizeof(img->note));
        img->has_note = 1;
    }
}

static int notes_read(const uint8_t *p, size_t len, struct nfvm_image *img, char *err,
                      size_t errlen)
{
    size_t off = 0;

    while (off + 12 <= len) {
        uint32_t h[3];
        size_t name, desc;

        memcpy(h, p + off, sizeof(h));
        name = off + 12;
        desc = name + align4(h[0]);
        if (h[0] > len || h[1] > len || desc > len || align4(h[1]) > len - desc)
            return nfvm_fail(err, errlen, "a note runs past its segment");
        note_read(p + name, h[0], h[2], p + desc, h[1], img);
        off = desc + align4(h[1]);
    }
    return 0;
}

static int load_segment(struct nfvm_mem *m, const uint8_t *file, size_t size, const Elf64_Phdr *ph,
                        struct nfvm_image *img, char *err, size_t errlen)
{
    uint8_t *dst;

    if (!in_file(ph->p_offset, ph->p_filesz, size) || ph->p_filesz > ph->p_memsz)
        return nfvm_fail(err, errlen, "a PT_LOAD segment lies outside the file");
    if (ph->p_paddr < NFVM_LOW_END)
        return nfvm_fail(err, errlen, "a PT_LOAD segment at %#llx, below 1 MiB (nfvm's)",
                         (unsigned long long)ph->p_paddr);
    dst = nfvm_gpa(m, ph->p_paddr, ph->p_memsz);
    if (!dst)
        return nfvm_fail(err, errlen, "the image needs guest RAM up to %#llx: give more --mem",
                         (unsigned long long)(ph->p_paddr + ph->p_memsz));
    memcpy(dst, file + ph->p_offset, ph->p_filesz); /* the rest is fresh zero RAM */
    if (ph->p_paddr + ph->p_memsz > img->end)
        img->end = ph->p_paddr + ph->p_memsz;
    return 0;
}

int nfvm_elf_load(struct nfvm_mem *m, const uint8_t *file, size_t size, struct nfvm_image *img,
                  char *err, size_t errlen)
{
    Elf64_Ehdr eh;

    memset(img, 0, sizeof(*img));
    if (size < sizeof(eh) || memcmp(file, ELFMAG, SELFMAG))
        return nfvm_fail(err, errlen, "not an ELF file");
    memcpy(&eh, file, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
        return nfvm_fail(err, errlen, "not an x86-64 ELF64 executable");
    if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
        !in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
        return nfvm_fail(err, errlen, "bad program header table");
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, file + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_LOAD && load_segment(m, file, size, &ph, img, err, errlen) < 0)
            return -1;
        if (ph.p_type == PT_NOTE) {
            if (!in_file(ph.p_offset, ph.p_filesz, size))
                return nfvm_fail(err, errlen, "a PT_NOTE segment lies outside the file");
            if (notes_read(file + ph.p_offset, ph.p_filesz, img, err, errlen) < 0)
                return -1;
        }
    }
    if (!img->end)
        return nfvm_fail(err, errlen, "no PT_LOAD segment");
    if (!img->pvh_entry && !img->has_note)
        return nfvm_fail(err, errlen, "neither a PVH note nor an nfvm note: not an nfos kvm image");
    return 0;
}
