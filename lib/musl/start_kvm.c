/* kvm: musl's start-up, which on Linux reads the auxiliary vector the
 * kernel puts after argv and envp. Here there is no kernel: this builds
 * that vector (one program header, the TLS template, from the linker
 * script's symbols) and runs musl's own init. Does not call main. */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/musl.h>

/* musl's start-up (hidden in libc.a, reachable in a static link). */
void __init_libc(char **envp, char *pn);
void __libc_start_init(void);

/* plat/kvm/x86_64/link.ld: the .tdata/.tbss template. */
extern char __nfos_tls_start[], __nfos_tls_filesz[], __nfos_tls_memsz[], __nfos_tls_align[];

static Elf64_Phdr tls_phdr;
static unsigned char at_random[16];
/* argv[0], NULL, envp's NULL, then the auxiliary vector. */
static size_t vec[2 + 1 + 2 * 6];

void musl_libc_start(const char *name)
{
    size_t *aux = vec + 3;
    uint64_t t = arch_rdtsc();
    unsigned i;

    tls_phdr.p_type = PT_TLS;
    tls_phdr.p_vaddr = (uintptr_t)__nfos_tls_start;
    tls_phdr.p_filesz = (uintptr_t)__nfos_tls_filesz;
    tls_phdr.p_memsz = (uintptr_t)__nfos_tls_memsz;
    tls_phdr.p_align = (uintptr_t)__nfos_tls_align ? (uintptr_t)__nfos_tls_align : 1;
    for (i = 0; i < sizeof(at_random); i++)
        at_random[i] = (unsigned char)(t >> (8 * (i % 8)) ^ (t * (i + 1) >> 29));

    vec[0] = (size_t)name;
    aux[0] = AT_PHDR, aux[1] = (size_t)&tls_phdr;
    aux[2] = AT_PHNUM, aux[3] = tls_phdr.p_memsz ? 1 : 0;
    aux[4] = AT_PHENT, aux[5] = sizeof(Elf64_Phdr);
    aux[6] = AT_PAGESZ, aux[7] = 4096;
    aux[8] = AT_RANDOM, aux[9] = (size_t)at_random;
    aux[10] = AT_NULL, aux[11] = 0;
    __init_libc((char **)vec + 2, (char *)name);
    __libc_start_init();
}
