/* SPDX-License-Identifier: MIT */
/* Text from outside (a VM's labels) made safe to show: UTF-8, bounded. */
#ifndef VPOWERCAP_UTF8_H
#define VPOWERCAP_UTF8_H

#include <stddef.h>

/**
 * Copy NUL-terminated @src into @dst of @size bytes (at least 4) as valid
 * UTF-8: each byte that is not part of a valid sequence becomes U+FFFD,
 * each control character a space; cut at a character's boundary when it
 * does not fit. Returns the length written (without the NUL).
 */
size_t utf8_copy_clean(char *dst, size_t size, const char *src);

#endif
