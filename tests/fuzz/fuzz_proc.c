// SPDX-License-Identifier: MIT
/* Fuzz the /proc parsers (common/proc.c): stat, PID/stat, PID/status, PID/cgroup. */
#include <stdlib.h>
#include <string.h>

#include "common/proc_i.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), path[256];
	struct cpu_times t;
	struct pid_stat st;
	uid_t real, effective;

	proc_parse_stat(text, &t);
	if (proc_parse_pid_stat(text, &st) == 0 && strlen(st.comm) >= sizeof(st.comm))
		abort();
	proc_parse_status_uid(text, &real, &effective);
	if (proc_parse_cgroup(text, path, sizeof(path)) == 0 && strlen(path) >= sizeof(path))
		abort();
	free(text);
	return 0;
}
