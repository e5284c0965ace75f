// SPDX-License-Identifier: MIT
/* Fuzz the control socket's request parser (common/control.c). */
#include <stdlib.h>
#include <string.h>

#include "common/control.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_string(data, size), why[64];
	struct control_request req;

	if (control_parse(line, &req, why, sizeof(why)) == 0 && req.op != CONTROL_PING) {
		/* what is accepted names a domain and a UUID of printable bytes */
		if (!req.name[0] || !req.uuid[0] || strnlen(req.name, sizeof(req.name)) == sizeof(req.name))
			abort();
		for (const char *c = req.uuid; *c; c++)
			if ((unsigned char)*c <= ' ' || *c == 0x7f)
				abort();
	}
	free(line);
	return 0;
}
