// SPDX-License-Identifier: MIT
/* Fuzz the VM label file (host/vmlabels.c): load it, then read each VM's labels back. */
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "host/vmlabels.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_label_book *b = vm_label_book_new("project,tenant,team,a_b");
	char path[128];

	if (!b)
		return 0;
	snprintf(path, sizeof(path), "%s/labels", fuzz_dir());
	if (fuzz_write_file(path, data, size) == 0 && vm_label_book_load(b, path) == 0) {
		static const char *const uuids[] = { "u1", "aaaaaaaa-0000-0000-0000-000000000001", "" };

		for (size_t i = 0; i < sizeof(uuids) / sizeof(uuids[0]); i++) {
			const struct vm_labels *l = vm_label_book_get(b, uuids[i]);

			/* what is handed out is allowed, bounded, clean */
			for (size_t j = 0; l && j < l->n; j++) {
				char copy[VM_LABEL_VALUE_MAX];

				if (!vm_label_book_allows(b, l->labels[j].name) ||
				    strlen(l->labels[j].value) >= VM_LABEL_VALUE_MAX)
					__builtin_trap();
				/* cleaning it again changes nothing */
				utf8_copy_clean(copy, sizeof(copy), l->labels[j].value);
				if (strcmp(copy, l->labels[j].value))
					__builtin_trap();
			}
			vm_labels_put(l);
		}
		vm_label_book_sweep(b);
	}
	vm_label_book_free(b);
	return 0;
}
