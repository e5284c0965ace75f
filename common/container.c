// SPDX-License-Identifier: MIT
/*
 * Containers and pods from cgroup paths. The shapes, by runtime and driver
 * (cgroup v1 shows the same path in each hierarchy the runtime joined):
 *
 *   docker, cgroupfs       /docker/<id>
 *   docker, systemd        /system.slice/docker-<id>.scope
 *   podman, systemd        /machine.slice/libpod-<id>.scope[/container]
 *   podman, rootless       /user.slice/user-1000.slice/user@1000.service/user.slice/libpod-<id>.scope
 *   podman, in a pod       /machine.slice/machine-libpod_pod_<pod>.slice/libpod-<id>.scope
 *   podman, cgroupfs       /libpod_parent/libpod-<id>
 *   kubelet, systemd       /kubepods.slice/kubepods-burstable.slice/
 *                            kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
 *                          (crio-<id>.scope, docker-<id>.scope; a guaranteed pod
 *                           sits at /kubepods.slice/kubepods-pod<uid>.slice)
 *   kubelet, cgroupfs      /kubepods/burstable/pod<uid>/<id> (crio-<id> for CRI-O)
 *
 * The monitors beside the containers (libpod-conmon-<id>.scope,
 * crio-conmon-<id>.scope) are units, not containers.
 */
#include "common/container.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static const char *const runtime_names[] = {
	[CONTAINER_NONE] = "",
	[CONTAINER_DOCKER] = "docker",
	[CONTAINER_PODMAN] = "podman",
	[CONTAINER_CONTAINERD] = "containerd",
	[CONTAINER_CRIO] = "cri-o",
	[CONTAINER_CRI] = "cri",
};

static const char *const qos_names[] = {
	[POD_QOS_NONE] = "",
	[POD_QOS_GUARANTEED] = "guaranteed",
	[POD_QOS_BURSTABLE] = "burstable",
	[POD_QOS_BESTEFFORT] = "besteffort",
};

const char *container_runtime_name(enum container_runtime r)
{
	return (unsigned)r < CONTAINER_RUNTIME_COUNT ? runtime_names[r] : "";
}

const char *pod_qos_name(enum pod_qos q)
{
	return (unsigned)q <= POD_QOS_BESTEFFORT ? qos_names[q] : "";
}

/* A container's cgroup name: PREFIX<64 hex digits>SUFFIX. */
static const struct {
	const char *prefix, *suffix;
	enum container_runtime runtime;
} container_shapes[] = {
	{ "docker-", ".scope", CONTAINER_DOCKER },
	{ "libpod-", ".scope", CONTAINER_PODMAN },
	{ "libpod-", "", CONTAINER_PODMAN },
	{ "cri-containerd-", ".scope", CONTAINER_CONTAINERD },
	{ "nerdctl-", ".scope", CONTAINER_CONTAINERD },
	{ "crio-", ".scope", CONTAINER_CRIO },
	{ "crio-", "", CONTAINER_CRIO },
};

struct component {
	const char *s;
	size_t len;
};

static bool has_prefix(struct component c, const char *p)
{
	size_t n = strlen(p);

	return c.len >= n && !memcmp(c.s, p, n);
}

static bool has_suffix(struct component c, const char *p)
{
	size_t n = strlen(p);

	return c.len >= n && !memcmp(c.s + c.len - n, p, n);
}

static bool is(struct component c, const char *word)
{
	return c.len == strlen(word) && !memcmp(c.s, word, c.len);
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size) {
		dst[0] = '\0';  /* too long to be a real one: left out, not cut */
		return;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The container runtime of @c, its id into @l; NONE when it is not one. */
static enum container_runtime match_container(struct component c, struct component parent,
					      bool in_pod, struct container_labels *l)
{
	for (size_t i = 0; i < sizeof(container_shapes) / sizeof(container_shapes[0]); i++) {
		size_t np = strlen(container_shapes[i].prefix), ns = strlen(container_shapes[i].suffix);

		if (c.len != np + CONTAINER_ID_LEN + ns || !has_prefix(c, container_shapes[i].prefix) ||
		    !has_suffix(c, container_shapes[i].suffix) || !all_hex(c.s + np, CONTAINER_ID_LEN))
			continue;
		copy(l->id, sizeof(l->id), c.s + np, CONTAINER_ID_LEN);
		return container_shapes[i].runtime;
	}
	/* A bare id: Docker's cgroupfs driver, or the kubelet's. */
	if (c.len == CONTAINER_ID_LEN && all_hex(c.s, c.len) && (in_pod || is(parent, "docker"))) {
		copy(l->id, sizeof(l->id), c.s, c.len);
		return in_pod ? CONTAINER_CRI : CONTAINER_DOCKER;
	}
	return CONTAINER_NONE;
}

/*
 * A pod's uid from "pod<uid>" (cgroupfs) or "kubepods[-qos]-pod<uid>.slice"
 * (systemd, where the dashes of the uid became underscores).
 */
static bool match_pod(struct component c, struct container_labels *l)
{
	const char *uid;
	size_t n;
	char buf[POD_UID_MAX + 1];

	if (has_prefix(c, "pod")) {
		uid = c.s + 3;
		n = c.len - 3;
	} else if (has_suffix(c, ".slice")) {
		const char *p = NULL;

		for (size_t i = 0; i + 4 <= c.len; i++)
			if (!memcmp(c.s + i, "-pod", 4))
				p = c.s + i + 4;
		if (!p)
			return false;
		uid = p;
		n = (size_t)(c.s + c.len - strlen(".slice") - p);
	} else {
		return false;
	}
	if (n < 32 || n > POD_UID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = uid[i] == '_' ? '-' : uid[i];

		if (ch != '-' && !all_hex(&ch, 1))
			return false;
		buf[i] = ch;
	}
	memcpy(l->pod_uid, buf, n);
	l->pod_uid[n] = '\0';
	/* the systemd driver's name says the class, for a reader that sees no parent */
	if (memmem(c.s, c.len, "-burstable-pod", 14))
		l->qos = POD_QOS_BURSTABLE;
	else if (memmem(c.s, c.len, "-besteffort-pod", 15))
		l->qos = POD_QOS_BESTEFFORT;
	return true;
}

/* "burstable", "kubepods-burstable.slice", "kubelet-kubepods-besteffort.slice" */
static enum pod_qos match_qos(struct component c)
{
	if (is(c, "burstable") || has_suffix(c, "kubepods-burstable.slice"))
		return POD_QOS_BURSTABLE;
	if (is(c, "besteffort") || has_suffix(c, "kubepods-besteffort.slice"))
		return POD_QOS_BESTEFFORT;
	return POD_QOS_NONE;
}

int container_parse_path(const char *path, size_t len, struct container_labels *l)
{
	struct component parent = { "", 0 };
	bool in_kube = false, in_pod = false;
	const char *end = path + len;

	memset(l, 0, sizeof(*l));
	for (const char *p = path; p < end;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		struct component c = { p, (size_t)((slash ? slash : end) - p) };
		enum container_runtime rt;
		enum pod_qos qos;

		p = slash ? slash + 1 : end;
		if (!c.len)
			continue;
		if (has_suffix(c, ".slice"))
			copy(l->slice, sizeof(l->slice), c.s, c.len);
		else if (has_suffix(c, ".service") || has_suffix(c, ".scope"))
			copy(l->unit, sizeof(l->unit), c.s, c.len);

		/*
		 * "kubepods", "kubepods.slice", and any slice of the kubelet's
		 * ("kubepods-burstable-pod<uid>.slice"): a reader in a cgroup
		 * namespace of its own sees paths from where it sits
		 * ("/../../kubepods-besteffort-pod<uid>.slice/crio-<id>.scope").
		 */
		if (!in_kube && c.len >= 8 && memmem(c.s, c.len, "kubepods", 8))
			in_kube = true;
		if (is(c, "kubepods") || has_suffix(c, "kubepods.slice")) {
			;
		} else if (in_kube && !in_pod && (qos = match_qos(c)) != POD_QOS_NONE) {
			l->qos = qos;
		} else if (in_kube && !in_pod && match_pod(c, l)) {
			in_pod = true;
			if (l->qos == POD_QOS_NONE)
				l->qos = POD_QOS_GUARANTEED;
		} else if ((rt = match_container(c, parent, in_pod, l)) != CONTAINER_NONE) {
			l->runtime = rt;  /* the innermost wins: docker in docker */
		}
		parent = c;
	}
	return l->id[0] || l->pod_uid[0];
}

int container_parse_cgroup(const char *text, struct container_labels *l)
{
	struct container_labels cand;
	int best = -1;

	memset(l, 0, sizeof(*l));
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *eol = nl ? nl : line + strlen(line);
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		int score;

		line = nl ? nl + 1 : NULL;
		if (!c2 || c2 + 1 >= eol || c2[1] != '/')
			continue;
		container_parse_path(c2 + 1, (size_t)(eol - c2 - 1), &cand);
		score = (cand.id[0] ? 4 : 0) + (cand.pod_uid[0] ? 2 : 0) + (cand.unit[0] || cand.slice[0]);
		if (score > best) {
			best = score;
			*l = cand;
		}
	}
	if (best < 0)
		return -EINVAL;
	return l->id[0] || l->pod_uid[0];
}
