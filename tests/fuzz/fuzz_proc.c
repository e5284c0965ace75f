// SPDX-License-Identifier: MIT
/*
 * Fuzz the /proc parsers (common/proc.c): stat, PID/stat, PID/status,
 * PID/cgroup, and what a cgroup says of containers (common/container.c).
 */
#include <stdlib.h>
#include <string.h>

#include "common/container.h"
#include "common/proc_i.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), path[256];
	struct cpu_times t;
	struct pid_stat st;
	uid_t real, effective;
	struct container_labels l;

	proc_parse_stat(text, &t);
	if (proc_parse_pid_stat(text, &st) == 0 && strlen(st.comm) >= sizeof(st.comm))
		abort();
	proc_parse_status_uid(text, &real, &effective);
	if (proc_parse_cgroup(text, path, sizeof(path)) == 0 && strlen(path) >= sizeof(path))
		abort();
	if (container_parse_cgroup(text, &l) >= 0 &&
	    (strlen(l.id) > CONTAINER_ID_LEN || strlen(l.pod_uid) > POD_UID_MAX ||
	     strlen(l.unit) > CGROUP_UNIT_MAX || strlen(l.slice) > CGROUP_UNIT_MAX))
		abort();
	free(text);
	return 0;
}
