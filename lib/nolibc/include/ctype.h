/* Character classes of the "C" locale: ASCII only, bytes 128..255 belong to
 * no class. Arguments are EOF or a value of unsigned char, as in C. */
#ifndef NFOS_NOLIBC_CTYPE_H
#define NFOS_NOLIBC_CTYPE_H

int isalnum(int c);
int isalpha(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int tolower(int c);
int toupper(int c);

#endif /* NFOS_NOLIBC_CTYPE_H */
