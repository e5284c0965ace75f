// SPDX-License-Identifier: MIT
/* Tests of the cgroup path parser (common/container.c) over the shapes runtimes really create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/eventfd.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/fixture.h"
#include "common/clock.h"
#include "common/container.h"
#include "common/container_names.h"

#define ID "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
#define UID "8d1e7c52-3b4a-4f6e-9a0b-1c2d3e4f5a6b"
#define UID_ "8d1e7c52_3b4a_4f6e_9a0b_1c2d3e4f5a6b"
#define STATIC_UID "6b0c1e8f2a3d4c5b6a7e8f9d0c1b2a3e"

static const struct {
	const char *path;
	const char *runtime, *id, *pod_uid, *qos, *unit, *slice;
} shapes[] = {
	/* Docker */
	{ "/docker/" ID, "docker", ID, "", "", "", "" },
	{ "/system.slice/docker-" ID ".scope", "docker", ID, "", "", "docker-" ID ".scope", "system.slice" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" ID ".scope",
	  "docker", ID, "", "", "docker-" ID ".scope", "user.slice" },
	/* docker in docker: the inner one */
	{ "/docker/" ID "/docker/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "docker", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", "", "", "" },
	/* Podman */
	{ "/machine.slice/libpod-" ID ".scope", "podman", ID, "", "", "libpod-" ID ".scope", "machine.slice" },
	{ "/machine.slice/libpod-" ID ".scope/container", "podman", ID, "", "", "libpod-" ID ".scope",
	  "machine.slice" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	  "podman", ID, "", "", "libpod-" ID ".scope", "user.slice" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope/container",
	  "podman", ID, "", "", "libpod-" ID ".scope", "user.slice" },
	{ "/machine.slice/machine-libpod_pod_" ID ".slice/libpod-" ID ".scope", "podman", ID, "", "",
	  "libpod-" ID ".scope", "machine-libpod_pod_" ID ".slice" },
	{ "/libpod_parent/libpod-" ID, "podman", ID, "", "", "", "" },
	/* conmon watches a container: it is not in it */
	{ "/machine.slice/libpod-conmon-" ID ".scope", "", "", "", "", "libpod-conmon-" ID ".scope",
	  "machine.slice" },
	/* The kubelet, systemd driver */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  "containerd", ID, UID, "burstable", "cri-containerd-" ID ".scope", "kubepods-burstable-pod" UID_ ".slice" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID ".scope",
	  "cri-o", ID, UID, "besteffort", "crio-" ID ".scope", "kubepods-besteffort-pod" UID_ ".slice" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  "containerd", ID, UID, "guaranteed", "cri-containerd-" ID ".scope", "kubepods-pod" UID_ ".slice" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/docker-" ID ".scope",
	  "docker", ID, UID, "burstable", "docker-" ID ".scope", "kubepods-burstable-pod" UID_ ".slice" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-conmon-" ID ".scope",
	  "", "", UID, "besteffort", "crio-conmon-" ID ".scope", "kubepods-besteffort-pod" UID_ ".slice" },
	/* kind: the kubelet's cgroup root is /kubelet */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  "containerd", ID, UID, "besteffort", "cri-containerd-" ID ".scope",
	  "kubelet-kubepods-besteffort-pod" UID_ ".slice" },
	/* a static pod's uid is its manifest's hash */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_UID ".slice/cri-containerd-" ID ".scope",
	  "containerd", ID, STATIC_UID, "burstable", "cri-containerd-" ID ".scope",
	  "kubepods-burstable-pod" STATIC_UID ".slice" },
	/* seen from another container's cgroup namespace (cgroup v2) */
	{ "/../../kubepods-besteffort-pod" UID_ ".slice/crio-" ID ".scope",
	  "cri-o", ID, UID, "besteffort", "crio-" ID ".scope", "kubepods-besteffort-pod" UID_ ".slice" },
	{ "/../kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  "containerd", ID, UID, "guaranteed", "cri-containerd-" ID ".scope", "kubepods-pod" UID_ ".slice" },
	/* The kubelet, cgroupfs driver */
	{ "/kubepods/burstable/pod" UID "/" ID, "cri", ID, UID, "burstable", "", "" },
	{ "/kubepods/besteffort/pod" UID "/" ID, "cri", ID, UID, "besteffort", "", "" },
	{ "/kubepods/pod" UID "/" ID, "cri", ID, UID, "guaranteed", "", "" },
	{ "/kubepods/burstable/pod" UID "/crio-" ID, "cri-o", ID, UID, "burstable", "", "" },
	/* a process in the pod's cgroup itself */
	{ "/kubepods/burstable/pod" UID, "", "", UID, "burstable", "", "" },
	/* no container */
	{ "/system.slice/nginx.service", "", "", "", "", "nginx.service", "system.slice" },
	{ "/user.slice/user-1000.slice/session-3.scope", "", "", "", "", "session-3.scope", "user-1000.slice" },
	{ "/", "", "", "", "", "", "" },
	{ "/system.slice/containerd.service", "", "", "", "", "containerd.service", "system.slice" },
	/* not quite an id: 63 digits, a capital, a bare id outside docker/ and pods */
	{ "/docker/" "3f4a9c0e1d2b7a8c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2", "", "", "", "", "", "" },
	{ "/system.slice/docker-3F4A9C0E1D2B7A8C9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D.scope",
	  "", "", "", "", "docker-3F4A9C0E1D2B7A8C9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D.scope",
	  "system.slice" },
	{ "/other/" ID, "", "", "", "", "", "" },
	/* pod<uid> outside kubepods is nobody's pod */
	{ "/pod" UID "/" ID, "", "", "", "", "", "" },
};

static void test_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct container_labels l;
		int found = container_parse_path(shapes[i].path, strlen(shapes[i].path), &l);

		print_message("%s\n", shapes[i].path);
		assert_string_equal(container_runtime_name(l.runtime), shapes[i].runtime);
		assert_string_equal(l.id, shapes[i].id);
		assert_string_equal(l.pod_uid, shapes[i].pod_uid);
		assert_string_equal(pod_qos_name(l.qos), shapes[i].qos);
		assert_string_equal(l.unit, shapes[i].unit);
		assert_string_equal(l.slice, shapes[i].slice);
		assert_int_equal(found, shapes[i].id[0] || shapes[i].pod_uid[0]);
	}
}

/* A hybrid host: the container is in the v1 hierarchies, the v2 line says less. */
static void test_cgroup_file_v1(void **state)
{
	static const char text[] =
		"12:pids:/kubepods/burstable/pod" UID "/" ID "\n"
		"11:memory:/kubepods/burstable/pod" UID "/" ID "\n"
		"4:cpu,cpuacct:/kubepods/burstable/pod" UID "/" ID "\n"
		"1:name=systemd:/kubepods/burstable/pod" UID "/" ID "\n"
		"0::/\n";
	struct container_labels l;

	(void)state;
	assert_int_equal(container_parse_cgroup(text, &l), 1);
	assert_string_equal(l.id, ID);
	assert_string_equal(l.pod_uid, UID);
	assert_int_equal(l.qos, POD_QOS_BURSTABLE);
	assert_int_equal(l.runtime, CONTAINER_CRI);
}

static void test_cgroup_file_v2(void **state)
{
	struct container_labels l;

	(void)state;
	assert_int_equal(container_parse_cgroup("0::/system.slice/docker-" ID ".scope\n", &l), 1);
	assert_int_equal(l.runtime, CONTAINER_DOCKER);
	assert_string_equal(l.unit, "docker-" ID ".scope");
	/* only the memory hierarchy has the container (a partial v1 join) */
	assert_int_equal(container_parse_cgroup("9:name=systemd:/user.slice/user-0.slice/session-1.scope\n"
						"4:memory:/docker/" ID "\n"
						"0::/user.slice/user-0.slice/session-1.scope", &l), 1);
	assert_int_equal(l.runtime, CONTAINER_DOCKER);
	assert_string_equal(l.unit, "");
	/* no container: the unit and slice of the first line */
	assert_int_equal(container_parse_cgroup("1:name=systemd:/system.slice/cron.service\n0::/system.slice/cron.service\n", &l), 0);
	assert_string_equal(l.unit, "cron.service");
	assert_string_equal(l.slice, "system.slice");
	/* garbage */
	assert_int_equal(container_parse_cgroup("", &l), -EINVAL);
	assert_int_equal(container_parse_cgroup("no colons here\n1:x\n", &l), -EINVAL);
	assert_int_equal(container_parse_cgroup("1:cpu:\n", &l), -EINVAL);
}

/* A unit name longer than the labels hold is left out, not cut. */
static void test_long_unit(void **state)
{
	char path[400];
	struct container_labels l;

	(void)state;
	snprintf(path, sizeof(path), "/system.slice/%0200d.service", 0);
	assert_int_equal(container_parse_path(path, strlen(path), &l), 0);
	assert_string_equal(l.unit, "");
	assert_string_equal(l.slice, "system.slice");
}

/* --- the API's container list ------------------------------------------- */

#define ID2 "0000000000000000000000000000000000000000000000000000000000000001"

static void test_names_parse(void **state)
{
	static const char body[] =
		" [ {\"Id\":\"" ID "\",\"Names\":[\"/web\",\"/alias\"],\"Labels\":{\"x\":\"[{\\\"\"},"
		"\"Ports\":[{\"PrivatePort\":80,\"Type\":\"tcp\"}],\"SizeRw\":null,\"Up\":true},\n"
		"{\"Names\":[\"/caf\\u00e9\"],\"Id\":\"" ID2 "\"},"
		"{\"Id\":\"short\",\"Names\":[\"/bad\"]},"
		"{\"Id\":\"" "3F4A9C0E1D2B7A8C9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D" "\",\"Names\":[\"/upper\"]},"
		"{\"Id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"Names\":[\"/a\\nb\"]},"
		"{\"Id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"Names\":[]} ] ";
	struct container_names *n = container_names_parse(body, sizeof(body) - 1);

	(void)state;
	assert_non_null(n);
	assert_int_equal(n->n, 2);
	assert_string_equal(container_names_find(n, ID), "web");
	assert_string_equal(container_names_find(n, ID2), "caf\xc3\xa9");
	assert_null(container_names_find(n, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_null(container_names_find(n, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
	assert_null(container_names_find(n, "short"));
	assert_null(container_names_find(NULL, ID));
	container_names_free(n);

	n = container_names_parse("[]", 2);
	assert_non_null(n);
	assert_int_equal(n->n, 0);
	container_names_free(n);
}

static void test_names_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "{}", "[", "[{]", "[{\"Id\":}]", "[{\"Id\":\"x\"]", "[1]", "[{}] x",
		"[{\"Id\":\"x\",}]", "[{\"Names\":[\"/a\",]}]", "[{\"Id\":\"\\u12\"}]",
		"[{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		print_message("%s\n", bad[i]);
		assert_null(container_names_parse(bad[i], strlen(bad[i])));
		assert_int_equal(errno, EINVAL);
	}
}

/* A name longer than CONTAINER_NAME_MAX is left out, not cut. */
static void test_names_too_long(void **state)
{
	char body[512];
	struct container_names *n;

	(void)state;
	snprintf(body, sizeof(body), "[{\"Id\":\"%s\",\"Names\":[\"/%0200d\"]}]", ID, 0);
	n = container_names_parse(body, strlen(body));
	assert_non_null(n);
	assert_int_equal(n->n, 0);
	container_names_free(n);
}

/* A unix socket server answering one connection with @answer after @delay_ms. */
struct server {
	int fd;
	const char *answer;
	int delay_ms;
	char request[512];
};

static void *serve_one(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return NULL;
	n = recv(c, s->request, sizeof(s->request) - 1, 0);
	s->request[n > 0 ? n : 0] = '\0';
	if (s->delay_ms)
		usleep((useconds_t)s->delay_ms * 1000);
	if (send(c, s->answer, strlen(s->answer), MSG_NOSIGNAL) < 0)
		s->answer = NULL;
	close(c);
	return NULL;
}

static struct container_names *ask(const char *dir, const char *answer, int delay_ms,
				   double timeout_s, struct server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct container_names *n;
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/api.sock", dir);
	unlink(sa.sun_path);
	*s = (struct server){ .answer = answer, .delay_ms = delay_ms };
	s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, serve_one, s), 0);
	n = container_api_query(sa.sun_path, timeout_s, -1);
	pthread_join(t, NULL);
	close(s->fd);
	return n;
}

static void test_api_query(void **state)
{
	const char *dir = *state;
	struct server s;
	struct container_names *n;
	double start;

	n = ask(dir, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
		     "[{\"Id\":\"" ID "\",\"Names\":[\"/web\"]}]\n", 0, 2.0, &s);
	assert_non_null(n);
	assert_string_equal(container_names_find(n, ID), "web");
	container_names_free(n);
	assert_non_null(strstr(s.request, "GET /containers/json HTTP/1.0\r\n"));

	n = ask(dir, "HTTP/1.1 404 Not Found\r\n\r\n{}", 0, 2.0, &s);
	assert_null(n);
	assert_int_equal(errno, EPROTO);
	n = ask(dir, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[]\r\n", 0, 2.0, &s);
	assert_null(n);
	assert_int_equal(errno, EPROTO);
	n = ask(dir, "HTTP/1.0 200 OK\r\n\r\nnot json", 0, 2.0, &s);
	assert_null(n);
	assert_int_equal(errno, EINVAL);

	/* a server that answers late costs the timeout, no more */
	start = clock_mono_s();
	n = ask(dir, "HTTP/1.0 200 OK\r\n\r\n[]", 1500, 0.3, &s);
	assert_null(n);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(clock_mono_s() - start < 1.6 + 0.5);

	/* nobody there */
	assert_null(container_api_query("/nonexistent/api.sock", 0.3, -1));
}

/* A server answering every connection with the same list, until stopped. */
struct many {
	int fd;
	int answered;   /* atomic */
};

static void *serve_many(void *arg)
{
	static const char answer[] = "HTTP/1.0 200 OK\r\n\r\n[{\"Id\":\"" ID "\",\"Names\":[\"/web\"]}]";
	struct many *m = arg;
	int c;

	while ((c = accept(m->fd, NULL, NULL)) >= 0) {
		char req[512];

		if (recv(c, req, sizeof(req), 0) > 0 && send(c, answer, sizeof(answer) - 1, MSG_NOSIGNAL) > 0)
			__atomic_add_fetch(&m->answered, 1, __ATOMIC_RELAXED);
		close(c);
	}
	return NULL;
}

/* The thread asks again and again; the step's side reads names while it does. */
static void test_resolver(void **state)
{
	const char *dir = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct container_resolver *r;
	struct many m = { 0 };
	char sockets[300];
	const char *name = NULL;
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/api.sock", dir);
	m.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(m.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(m.fd, 8), 0);
	assert_int_equal(pthread_create(&t, NULL, serve_many, &m), 0);

	/* an absent socket first: passed over */
	snprintf(sockets, sizeof(sockets), "%s/absent.sock,%s", dir, sa.sun_path);
	r = container_resolver_start(sockets, 0.02, 1.0);
	assert_non_null(r);
	for (int i = 0; i < 500 && (!name || __atomic_load_n(&m.answered, __ATOMIC_RELAXED) < 3); i++) {
		const struct container_names *n = container_resolver_get(r);

		name = container_names_find(n, ID);
		if (name)
			assert_string_equal(name, "web");
		container_resolver_put(r, n);
		usleep(10000);
	}
	assert_non_null(name);
	assert_true(__atomic_load_n(&m.answered, __ATOMIC_RELAXED) >= 3);
	container_resolver_free(r);
	shutdown(m.fd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(m.fd);

	/* no socket at all: an empty list, never NULL */
	r = container_resolver_start("/nonexistent.sock", 10, 1.0);
	assert_non_null(r);
	{
		const struct container_names *n = container_resolver_get(r);

		assert_non_null(n);
		assert_int_equal(n->n, 0);
		container_resolver_put(r, n);
	}
	container_resolver_free(r);
	container_resolver_free(NULL);
}

/*
 * A hostile API: thousands of Transfer-Encoding headers are each looked
 * at once (the answer is taken, as none says chunked), and one that says
 * chunked among them is refused.
 */
static void test_api_many_headers(void **state)
{
	const char *dir = *state;
	static const char head[] = "HTTP/1.0 200 OK\r\n", line[] = "Transfer-Encoding: x\r\n";
	static const char body[] = "\r\n[{\"Id\":\"" ID "\",\"Names\":[\"/web\"]}]\n";
	size_t count = 60000, size = sizeof(head) + count * (sizeof(line) - 1) + 64 + sizeof(body);
	char *answer = malloc(size), *p;
	struct container_names *n;
	struct server s;

	assert_non_null(answer);
	p = answer + sprintf(answer, "%s", head);
	for (size_t i = 0; i < count; i++)
		p += sprintf(p, "%s", line);
	strcpy(p, body);
	n = ask(dir, answer, 0, 30.0, &s);
	assert_non_null(n);
	assert_string_equal(container_names_find(n, ID), "web");
	container_names_free(n);
	p += sprintf(p, "Transfer-Encoding: gzip, chunked\r\n");
	strcpy(p, body);
	assert_null(ask(dir, answer, 0, 30.0, &s));
	assert_int_equal(errno, EPROTO);
	free(answer);
}

static void *cancel_soon(void *arg)
{
	usleep(200000);
	assert_int_equal(eventfd_write(*(int *)arg, 1), 0);
	return NULL;
}

/* A query waiting on an API that never answers ends when cancelled, not at its timeout. */
static void test_api_cancel(void **state)
{
	const char *dir = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int srv = socket(AF_UNIX, SOCK_STREAM, 0), cancel = eventfd(0, EFD_CLOEXEC);
	pthread_t t;

	assert_true(srv >= 0 && cancel >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute.sock", dir);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(srv, 1), 0);  /* connects, and nobody ever answers */
	assert_int_equal(pthread_create(&t, NULL, cancel_soon, &cancel), 0);
	assert_null(container_api_query(sa.sun_path, 600.0, cancel));
	assert_int_equal(errno, ECANCELED);
	pthread_join(t, NULL);
	close(srv);
	close(cancel);
	unlink(sa.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_cgroup_file_v1),
		cmocka_unit_test(test_cgroup_file_v2),
		cmocka_unit_test(test_long_unit),
		cmocka_unit_test(test_names_parse),
		cmocka_unit_test(test_names_parse_bad),
		cmocka_unit_test(test_names_too_long),
		cmocka_unit_test_setup_teardown(test_api_query, fixture_setup_dir, fixture_teardown_dir),
		cmocka_unit_test_setup_teardown(test_api_many_headers, fixture_setup_dir, fixture_teardown_dir),
		cmocka_unit_test_setup_teardown(test_api_cancel, fixture_setup_dir, fixture_teardown_dir),
		cmocka_unit_test_setup_teardown(test_resolver, fixture_setup_dir, fixture_teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
