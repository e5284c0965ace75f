// SPDX-License-Identifier: MIT
/* Fuzz the qemu command line parser of the proc VM source (host/vmsource_proc_i.h). */
#include <stdlib.h>
#include <string.h>

#include "common/qemu_cmdline.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* as read from /proc/PID/cmdline: NUL-separated, NUL-terminated by us */
	char *buf = fuzz_string(data, size);
	struct qemu_cmdline vm;

	memset(&vm, 0, sizeof(vm));
	if (qemu_cmdline_parse(buf, size, 4242, 99, &vm)) {
		/* a VM always has a name and a key, each terminated */
		if (!vm.name[0] || !vm.uuid[0] || strnlen(vm.name, sizeof(vm.name)) == sizeof(vm.name) ||
		    strnlen(vm.uuid, sizeof(vm.uuid)) == sizeof(vm.uuid) || vm.vcpus == 0)
			abort();
	}
	free(buf);
	return 0;
}
