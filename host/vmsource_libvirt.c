// SPDX-License-Identifier: MIT
/*
 * The libvirt VM source: every defined or running domain, its vCPUs and its
 * CPU time (cpu.time: vCPU, emulator and I/O threads), from one
 * virConnectGetAllDomainStats call per tick. libvirt's event loop runs in a
 * thread of its own, for lifecycle events, keepalives and the close
 * callback; when libvirtd goes away the source reports -ENOTCONN and
 * reconnects with a growing delay.
 */
#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vmsource_i.h"

#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 30

/* vCPU counts change only with lifecycle events: asked again after one. */
struct vcpu_cache {
	char uuid[VIR_UUID_STRING_BUFLEN];
	unsigned vcpus;
};

struct libvirt_source {
	char *uri;
	struct vcpu_cache *vcpus;
	size_t nvcpus, alloc_vcpus;
	unsigned long vcpus_generation;
	virConnectPtr conn;
	int lifecycle_id;          /* event callback, -1 when none */
	int lost;                  /* set by the close callback (event thread) */
	bool was_connected;
	unsigned backoff_s;
	time_t next_try;           /* monotonic seconds */
	pthread_t events;
	int stop_events;
	struct complaint complaint;
	struct vm_source *src;
};

static pthread_once_t event_impl_once = PTHREAD_ONCE_INIT;
static int event_impl_ret;

static void register_event_impl(void)
{
	event_impl_ret = virEventRegisterDefaultImpl();
}

/* libvirt's own messages go to debug; failures are reported by us. */
static void libvirt_error(void *arg, virErrorPtr err)
{
	(void)arg;
	if (err && err->message)
		log_debug("libvirt: %s", err->message);
}

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void *run_events(void *arg)
{
	struct libvirt_source *ls = arg;

	while (!__atomic_load_n(&ls->stop_events, __ATOMIC_ACQUIRE))
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

static void wake_events(int timer, void *arg)
{
	(void)arg;
	virEventRemoveTimeout(timer);
}

static void on_close(virConnectPtr conn, int reason, void *arg)
{
	struct libvirt_source *ls = arg;

	(void)conn;
	(void)reason;
	__atomic_store_n(&ls->lost, 1, __ATOMIC_RELEASE);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *arg)
{
	struct libvirt_source *ls = arg;

	(void)conn;
	(void)detail;
	__atomic_add_fetch(&ls->src->generation, 1, __ATOMIC_RELEASE);
	log_debug("libvirt: domain '%s' event %d", virDomainGetName(dom), event);
	return 0;
}

static void disconnect(struct libvirt_source *ls)
{
	if (!ls->conn)
		return;
	if (ls->lifecycle_id >= 0)
		virConnectDomainEventDeregisterAny(ls->conn, ls->lifecycle_id);
	virConnectUnregisterCloseCallback(ls->conn, on_close);
	virConnectClose(ls->conn);
	ls->conn = NULL;
	ls->lifecycle_id = -1;
}

/* Connect now if the backoff allows. Returns true when connected. */
static bool connect_now(struct libvirt_source *ls)
{
	time_t now = mono_s();

	if (ls->conn)
		return true;
	if (now < ls->next_try)
		return false;
	ls->conn = virConnectOpen(ls->uri);
	if (!ls->conn)
		ls->conn = virConnectOpenReadOnly(ls->uri);
	if (!ls->conn) {
		complain(&ls->complaint, LOG_LEVEL_WARNING, "cannot connect to libvirt at '%s': %s; retrying",
			 ls->uri, virGetLastErrorMessage());
		ls->next_try = now + ls->backoff_s;
		ls->backoff_s = ls->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : ls->backoff_s * 2;
		return false;
	}
	__atomic_store_n(&ls->lost, 0, __ATOMIC_RELEASE);
	virConnectRegisterCloseCallback(ls->conn, on_close, ls, NULL);
	/* keepalives notice a libvirtd that vanished without closing */
	virConnectSetKeepAlive(ls->conn, 5, 3);
	ls->lifecycle_id = virConnectDomainEventRegisterAny(ls->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							    VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), ls, NULL);
	ls->backoff_s = BACKOFF_MIN_S;
	ls->next_try = 0;
	complaint_release(&ls->complaint, "connected to libvirt at '%s'", ls->uri);
	if (!ls->was_connected)
		log_info("connected to libvirt at '%s'", ls->uri);
	ls->was_connected = true;
	__atomic_add_fetch(&ls->src->generation, 1, __ATOMIC_RELEASE);
	return true;
}

static void connection_lost(struct libvirt_source *ls)
{
	disconnect(ls);
	/* log once now; complain() rate-limits the failed retries after */
	log_warning("lost connection to libvirt at '%s', reconnecting", ls->uri);
	ls->complaint.last = time(NULL);
	ls->complaint.interval = 60;
	ls->next_try = mono_s() + BACKOFF_MIN_S;
	ls->backoff_s = BACKOFF_MIN_S * 2;
}

static int libvirt_open(struct vm_source *src)
{
	struct libvirt_source *ls = calloc(1, sizeof(*ls));
	const char *uri = src->cfg.libvirt_uri && src->cfg.libvirt_uri[0] ? src->cfg.libvirt_uri
									     : "qemu:///system";

	if (!ls)
		return -ENOMEM;
	ls->uri = strdup(uri);
	if (!ls->uri) {
		free(ls);
		return -ENOMEM;
	}
	ls->src = src;
	ls->lifecycle_id = -1;
	ls->backoff_s = BACKOFF_MIN_S;
	virSetErrorFunc(NULL, libvirt_error);
	pthread_once(&event_impl_once, register_event_impl);
	if (event_impl_ret < 0 || pthread_create(&ls->events, NULL, run_events, ls) != 0) {
		free(ls->uri);
		free(ls);
		return -EAGAIN;
	}
	src->priv = ls;
	connect_now(ls);  /* not yet is fine: list() keeps trying */
	return 0;
}

static bool param_ullong(virTypedParameterPtr params, int n, const char *name, unsigned long long *v)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(params[i].field, name) && params[i].type == VIR_TYPED_PARAM_ULLONG) {
			*v = params[i].value.ul;
			return true;
		}
	return false;
}

static int param_int(virTypedParameterPtr params, int n, const char *name, int dflt)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(params[i].field, name) && params[i].type == VIR_TYPED_PARAM_INT)
			return params[i].value.i;
	return dflt;
}

/* The vCPUs of domain @uuid, asked of libvirt only when not known. */
static unsigned domain_vcpus(struct libvirt_source *ls, virDomainPtr dom, const char *uuid)
{
	struct vcpu_cache *c;
	int n;

	for (size_t i = 0; i < ls->nvcpus; i++)
		if (!strcmp(ls->vcpus[i].uuid, uuid))
			return ls->vcpus[i].vcpus;
	n = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_CURRENT);
	if (n <= 0)
		return 0;
	if (ls->nvcpus == ls->alloc_vcpus) {
		size_t alloc = ls->alloc_vcpus ? ls->alloc_vcpus * 2 : 16;
		struct vcpu_cache *more = realloc(ls->vcpus, alloc * sizeof(*more));

		if (!more)
			return (unsigned)n;
		ls->vcpus = more;
		ls->alloc_vcpus = alloc;
	}
	c = &ls->vcpus[ls->nvcpus++];
	snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
	c->vcpus = (unsigned)n;
	return c->vcpus;
}

static int libvirt_list(struct vm_source *src, struct vm_list *out)
{
	struct libvirt_source *ls = src->priv;
	virDomainStatsRecordPtr *records = NULL;
	int n;

	out->n = 0;
	if (__atomic_load_n(&ls->lost, __ATOMIC_ACQUIRE) && ls->conn)
		connection_lost(ls);
	if (!connect_now(ls))
		return -ENOTCONN;
	/*
	 * Every domain, active or not, persistent or transient: state and
	 * CPU time only, which libvirt reads from the domain's cgroup
	 * without asking qemu (vCPU stats would query each qemu's monitor,
	 * which a busy TCG guest answers in seconds). NOWAIT: a domain
	 * busy with a job must not hold the tick up either.
	 */
	n = virConnectGetAllDomainStats(ls->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL,
					&records, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	if (n < 0) {
		if (virConnectIsAlive(ls->conn) != 1) {
			connection_lost(ls);
			return -ENOTCONN;
		}
		complain(&ls->complaint, LOG_LEVEL_WARNING, "libvirt at '%s': cannot list domains: %s",
			 ls->uri, virGetLastErrorMessage());
		return -EIO;
	}
	if (ls->vcpus_generation != __atomic_load_n(&src->generation, __ATOMIC_ACQUIRE)) {
		ls->vcpus_generation = __atomic_load_n(&src->generation, __ATOMIC_ACQUIRE);
		ls->nvcpus = 0;
	}
	for (int i = 0; i < n; i++) {
		virDomainStatsRecordPtr r = records[i];
		struct vm_info *vm = vm_list_add(out);
		char uuid[VIR_UUID_STRING_BUFLEN];
		const char *name = virDomainGetName(r->dom);
		unsigned long long cpu = 0;
		int state;

		if (!vm)
			break;
		if (virDomainGetUUIDString(r->dom, uuid) < 0 || !name) {
			out->n--;  /* vanished while we looked */
			continue;
		}
		snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);
		snprintf(vm->name, sizeof(vm->name), "%s", name);
		state = param_int(r->params, r->nparams, "state.state", VIR_DOMAIN_NOSTATE);
		vm->running = state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED &&
			      state != VIR_DOMAIN_NOSTATE;
		vm->vcpus = domain_vcpus(ls, r->dom, uuid);
		if (vm->running && param_ullong(r->params, r->nparams, "cpu.time", &cpu)) {
			vm->cpu_ns = cpu;
		} else if (vm->running) {
			/* drivers whose stats lack it (the test driver) */
			virDomainInfo info;

			if (virDomainGetInfo(r->dom, &info) == 0)
				vm->cpu_ns = info.cpuTime;
		}
		vm->persistent = true;  /* transient ones are announced by the hook */
	}
	virDomainStatsRecordListFree(records);
	return 0;
}

static void libvirt_close(struct vm_source *src)
{
	struct libvirt_source *ls = src->priv;

	if (!ls)
		return;
	disconnect(ls);
	__atomic_store_n(&ls->stop_events, 1, __ATOMIC_RELEASE);
	/* a timer that fires at once wakes the loop to see the flag */
	if (virEventAddTimeout(0, wake_events, NULL, NULL) >= 0)
		pthread_join(ls->events, NULL);
	else
		pthread_detach(ls->events);
	free(ls->vcpus);
	free(ls->uri);
	free(ls);
}

const struct vm_source_ops libvirt_vm_source_ops = {
	.name = "libvirt",
	.open = libvirt_open,
	.list = libvirt_list,
	.close = libvirt_close,
};
