// SPDX-License-Identifier: MIT
/* UTF-8 validation (RFC 3629), shared by the Prometheus and JSON writers. */
#include "common/utf8.h"
#include "common/utf8_i.h"

#include <string.h>

size_t utf8_sequence_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* a NUL ends the string before a continuation byte is wanted */
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

size_t utf8_copy_clean(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t len = 0;

	while (*p) {
		size_t n = utf8_sequence_len(p);
		const char *put = (const char *)p;
		size_t m = n;

		if (n == 0) {
			put = UTF8_REPLACEMENT;
			m = 3;
			n = 1;
		} else if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
			put = " ";
		}
		if (len + m >= size)
			break;
		memcpy(dst + len, put, m);
		len += m;
		p += n;
	}
	dst[len] = '\0';
	return len;
}
