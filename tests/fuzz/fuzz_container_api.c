// SPDX-License-Identifier: MIT
/* Fuzz the Docker-compatible API's answer (common/container_names.c): GET /containers/json's body. */
#include <stdlib.h>
#include <string.h>

#include "common/container_names.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_names *names = container_names_parse((const char *)data, size);

	if (names) {
		for (size_t i = 0; i < names->n; i++) {
			if (strlen(names->v[i].id) != CONTAINER_ID_LEN || !names->v[i].name[0] ||
			    strlen(names->v[i].name) > CONTAINER_NAME_MAX)
				abort();
			if (container_names_find(names, names->v[i].id) == NULL)
				abort();
		}
		container_names_free(names);
	}
	return 0;
}
