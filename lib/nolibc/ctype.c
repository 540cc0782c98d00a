/* Character classes of the "C" locale by comparison, no table: ASCII only,
 * EOF and bytes 128..255 are in no class and map to themselves. */
#include <ctype.h>

int isdigit(int c)
{
    return (unsigned)c - '0' < 10;
}

int islower(int c)
{
    return (unsigned)c - 'a' < 26;
}

int isupper(int c)
{
    return (unsigned)c - 'A' < 26;
}

int isalpha(int c)
{
    /* Setting bit 5 folds upper case onto lower case. */
    return ((unsigned)c | 32) - 'a' < 26;
}

int isalnum(int c)
{
    return isalpha(c) || isdigit(c);
}

int isxdigit(int c)
{
    return isdigit(c) || ((unsigned)c | 32) - 'a' < 6;
}

int isspace(int c)
{
    return c == ' ' || (unsigned)c - '\t' < 5; /* \t \n \v \f \r */
}

int iscntrl(int c)
{
    return (unsigned)c < 0x20 || c == 0x7f;
}

int isprint(int c)
{
    return (unsigned)c - 0x20 < 0x5f; /* ' ' to '~' */
}

int isgraph(int c)
{
    return (unsigned)c - 0x21 < 0x5e; /* '!' to '~' */
}

int ispunct(int c)
{
    return isgraph(c) && !isalnum(c);
}

int tolower(int c)
{
    return isupper(c) ? c | 32 : c;
}

int toupper(int c)
{
    return islower(c) ? c & 0x5f : c;
}
