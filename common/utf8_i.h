/* SPDX-License-Identifier: MIT */
/* UTF-8 validation, for the writers in common/ of names they did not choose. */
#ifndef VPOWERCAP_UTF8_I_H
#define VPOWERCAP_UTF8_I_H

#include <stddef.h>

/**
 * The length (1 to 4) of the valid UTF-8 sequence at NUL-terminated @s,
 * or 0 when the bytes there are not one: overlong forms, surrogates and
 * anything past U+10FFFF are not. An ASCII byte, NUL included, is 1.
 */
size_t utf8_sequence_len(const unsigned char *s);

/* U+FFFD REPLACEMENT CHARACTER, for each byte that is not UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

#endif
