/* SPDX-License-Identifier: MIT */
/*
 * What a process's cgroup says about it: the container runtime and
 * container id, the Kubernetes pod and its QoS class, the systemd unit and
 * slice, from the paths Docker, Podman, containerd, CRI-O and the kubelet
 * create under the cgroupfs and the systemd drivers, on cgroup v1 and v2.
 */
#ifndef VPOWERCAP_CONTAINER_H
#define VPOWERCAP_CONTAINER_H

#include <stddef.h>

enum container_runtime {
	CONTAINER_NONE,
	CONTAINER_DOCKER,
	CONTAINER_PODMAN,
	CONTAINER_CONTAINERD,
	CONTAINER_CRIO,
	CONTAINER_CRI,        /* the kubelet's cgroupfs path: a bare id, runtime unsaid */
	CONTAINER_RUNTIME_COUNT,
};

enum pod_qos {
	POD_QOS_NONE,
	POD_QOS_GUARANTEED,
	POD_QOS_BURSTABLE,
	POD_QOS_BESTEFFORT,
};

#define CONTAINER_ID_LEN 64
#define POD_UID_MAX 36        /* 8-4-4-4-12; a static pod's is 32 hex digits */
#define CGROUP_UNIT_MAX 127   /* longer unit or slice names are left out */

struct container_labels {
	enum container_runtime runtime;
	enum pod_qos qos;
	char id[CONTAINER_ID_LEN + 1];   /* "": not in a container */
	char pod_uid[POD_UID_MAX + 1];   /* with dashes, as the API shows it; "": no pod */
	char unit[CGROUP_UNIT_MAX + 1];  /* the innermost .service or .scope; "": none */
	char slice[CGROUP_UNIT_MAX + 1]; /* the innermost .slice; "": none */
};

/** "docker", "podman", "containerd", "cri-o", "cri"; "" for none. */
const char *container_runtime_name(enum container_runtime r);

/** "guaranteed", "burstable", "besteffort"; "" for none. */
const char *pod_qos_name(enum pod_qos q);

/**
 * Parse one cgroup path ("/system.slice/docker-<id>.scope") into @l.
 * Pure: reads nothing. Returns 1 when the path names a container or a
 * pod, 0 otherwise (@l may still hold a unit and slice).
 */
int container_parse_path(const char *path, size_t len, struct container_labels *l);

/**
 * Parse the text of /proc/PID/cgroup: every hierarchy's path is tried (a
 * v1 host may put a container in some hierarchies only), the first that
 * names a container wins, else the unit and slice of the name=systemd or
 * v2 path. Returns 1 when a container or pod was found, 0 when not,
 * -EINVAL when the text holds no path.
 */
int container_parse_cgroup(const char *text, struct container_labels *l);

#endif
