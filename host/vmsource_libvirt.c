// SPDX-License-Identifier: MIT
/*
 * The libvirt VM source: every defined or running domain, its vCPUs and its
 * CPU time (cpu.time: vCPU, emulator and I/O threads), from one
 * virConnectGetAllDomainStats call per tick. libvirt's event loop runs in a
 * thread of its own, for lifecycle events, keepalives and the close
 * callback; when libvirtd goes away the source reports -ENOTCONN and
 * reconnects with a growing delay. On hosts of several packages, where a
 * domain's CPU time was spent is read from its qemu process's threads
 * (host/placement.h), the process found by libvirt's pid file or its UUID.
 * With auto_attach, a domain libvirt defines anew is given its share
 * (host/attach.c) at the next tick, not in the event thread. When labels
 * are wanted, a domain's metadata (OpenStack Nova's, and vpowercap's own
 * key/value labels) is read when the domain is first listed and again after
 * libvirt's metadata-change event for it, never every tick.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/proc.h"
#include "host/attach_i.h"
#include "host/libvirt_labels.h"
#include "host/placement.h"
#include "host/vmlabels.h"
#include "host/vmsource_i.h"
#include "common/qemu_cmdline.h"

#define DEFAULT_URI "qemu:///system"
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 30
/* Where libvirtd (qemu:///system) writes each running domain's qemu pid. */
#define QEMU_PID_DIR "/run/libvirt/qemu"

/*
 * What one stats call does not say about a domain, asked of libvirt once
 * and kept until the next lifecycle event: vCPU counts change with a start
 * or a new definition, persistence with a define or an undefine.
 */
struct domain_facts {
	char uuid[VIR_UUID_STRING_BUFLEN];
	unsigned vcpus;
	bool persistent;
	bool process_tried;        /* its qemu process was looked for */
	pid_t pid;                 /* 0: not found */
	uint64_t start;
};

struct libvirt_source {
	char *uri;
	struct domain_facts *facts;
	size_t nfacts, alloc_facts;
	/* Bumped (atomically: the event thread does) whenever the set of
	 * domains may have changed; the facts are of facts_generation. */
	unsigned long generation;
	unsigned long facts_generation;
	virConnectPtr conn;
	int lifecycle_id;          /* event callback, -1 when none */
	int metadata_id;           /* metadata-change callback, -1 when none */
	struct vm_label_book *labels;  /* NULL: no labels wanted */
	int lost;                  /* set by the close callback (event thread) */
	unsigned backoff_s;
	time_t next_try;           /* monotonic seconds */
	struct complaint complaint;
	int procfd;                /* the proc root, -1 when the host is split host-wide */
	bool auto_attach;
	struct share_request auto_attach_req;
	struct placement placement;
	struct complaint pid_complaint;
	struct complaint label_complaint;
	/* auto_attach: domains defined since the last tick, by UUID (event thread adds) */
	pthread_mutex_t defined_lock;
	char (*defined)[VIR_UUID_STRING_BUFLEN];
	size_t ndefined, alloc_defined;
	/* labels: domains whose metadata changed since the last tick (same lock) */
	char (*changed)[VIR_UUID_STRING_BUFLEN];
	size_t nchanged, alloc_changed;
	bool changed_lost;         /* one could not be noted: read every domain's again */
};

static const char *const lifecycle_names[] = {
	[VIR_DOMAIN_EVENT_DEFINED] = "defined",
	[VIR_DOMAIN_EVENT_UNDEFINED] = "undefined",
	[VIR_DOMAIN_EVENT_STARTED] = "started",
	[VIR_DOMAIN_EVENT_SUSPENDED] = "suspended",
	[VIR_DOMAIN_EVENT_RESUMED] = "resumed",
	[VIR_DOMAIN_EVENT_STOPPED] = "stopped",
	[VIR_DOMAIN_EVENT_SHUTDOWN] = "shut down",
	[VIR_DOMAIN_EVENT_PMSUSPENDED] = "suspended by the guest",
	[VIR_DOMAIN_EVENT_CRASHED] = "crashed",
};

/*
 * libvirt's default event loop is one per process: every source shares one
 * thread running it, started by the first open and joined by the last
 * close, so two loops never compete for the same events.
 */
static struct {
	pthread_mutex_t lock;
	unsigned users;
	pthread_t thread;
	int stop;
	int registered;            /* virEventRegisterDefaultImpl: 0 not yet, 1 done, -1 failed */
} event_loop = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* libvirt's own messages go to debug; failures are reported by us. */
static void libvirt_error(void *arg, virErrorPtr err)
{
	(void)arg;
	if (err && err->message)
		log_debug("libvirt: %s", err->message);
}

static void *run_event_loop(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&event_loop.stop, __ATOMIC_ACQUIRE))
		if (virEventRunDefaultImpl() < 0) {
			log_error(0, "libvirt's event loop failed: %s; domain events are lost",
				  virGetLastErrorMessage());
			break;
		}
	return NULL;
}

/* A timer that fires once, so that the loop wakes and sees the stop flag. */
static void wake_event_loop(int timer, void *arg)
{
	(void)arg;
	virEventRemoveTimeout(timer);
}

static int event_loop_get(void)
{
	int ret = 0;

	pthread_mutex_lock(&event_loop.lock);
	if (!event_loop.registered)
		event_loop.registered = virEventRegisterDefaultImpl() < 0 ? -1 : 1;
	if (event_loop.registered < 0) {
		ret = log_error(-EAGAIN, "cannot set up libvirt's event loop: %s", virGetLastErrorMessage());
	} else if (event_loop.users == 0) {
		int err;

		event_loop.stop = 0;
		err = pthread_create(&event_loop.thread, NULL, run_event_loop, NULL);
		if (err)
			ret = log_error(-err, "cannot start libvirt's event thread: %s", strerror(err));
	}
	if (ret == 0)
		event_loop.users++;
	pthread_mutex_unlock(&event_loop.lock);
	return ret;
}

static void event_loop_put(void)
{
	pthread_mutex_lock(&event_loop.lock);
	if (--event_loop.users == 0) {
		__atomic_store_n(&event_loop.stop, 1, __ATOMIC_RELEASE);
		if (virEventAddTimeout(0, wake_event_loop, NULL, NULL) >= 0) {
			pthread_join(event_loop.thread, NULL);
		} else {
			log_warning("cannot wake libvirt's event thread; leaving it behind");
			pthread_detach(event_loop.thread);
		}
	}
	pthread_mutex_unlock(&event_loop.lock);
}

/* libvirtd went away (or the keepalive gave up): list() reconnects. */
static void on_close(virConnectPtr conn, int reason, void *arg)
{
	struct libvirt_source *ls = arg;

	(void)conn;
	log_debug("libvirt: connection to '%s' closed (reason %d)", ls->uri, reason);
	__atomic_store_n(&ls->lost, 1, __ATOMIC_RELEASE);
}

static const char *lifecycle_name(int event)
{
	if (event < 0 || (size_t)event >= sizeof(lifecycle_names) / sizeof(lifecycle_names[0]) ||
	    !lifecycle_names[event])
		return "changed";
	return lifecycle_names[event];
}

/* Note domain @dom's metadata for a new reading at the next tick. Event thread. */
static void note_changed(struct libvirt_source *ls, virDomainPtr dom)
{
	pthread_mutex_lock(&ls->defined_lock);
	if (ALLOC_GROW(ls->changed, ls->nchanged + 1, ls->alloc_changed) == 0 &&
	    virDomainGetUUIDString(dom, ls->changed[ls->nchanged]) == 0)
		ls->nchanged++;
	else
		ls->changed_lost = true;
	pthread_mutex_unlock(&ls->defined_lock);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *arg)
{
	struct libvirt_source *ls = arg;

	(void)conn;
	/* noted before the generation moves: whoever sees it move finds the domain queued */
	/* the channel into each domain as it starts, or the share into each new definition */
	if (ls->auto_attach && (ls->auto_attach_req.live_only ? event == VIR_DOMAIN_EVENT_STARTED :
				event == VIR_DOMAIN_EVENT_DEFINED && detail == VIR_DOMAIN_EVENT_DEFINED_ADDED)) {
		pthread_mutex_lock(&ls->defined_lock);
		if (ALLOC_GROW(ls->defined, ls->ndefined + 1, ls->alloc_defined) == 0 &&
		    virDomainGetUUIDString(dom, ls->defined[ls->ndefined]) == 0)
			ls->ndefined++;
		else
			log_warning("domain '%s': cannot note it for auto_attach (out of memory); run "
				    "'vpowercapd attach %s'", virDomainGetName(dom), virDomainGetName(dom));
		pthread_mutex_unlock(&ls->defined_lock);
	}
	/* a new definition may bring new metadata; without metadata events, a start reads it too */
	if (ls->labels && (event == VIR_DOMAIN_EVENT_DEFINED ||
			   (__atomic_load_n(&ls->metadata_id, __ATOMIC_RELAXED) < 0 &&
			    event == VIR_DOMAIN_EVENT_STARTED)))
		note_changed(ls, dom);
	__atomic_add_fetch(&ls->generation, 1, __ATOMIC_RELEASE);
	log_debug("libvirt: domain '%s' %s (detail %d)", virDomainGetName(dom), lifecycle_name(event), detail);
	return 0;
}

static void on_metadata_change(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *arg)
{
	struct libvirt_source *ls = arg;

	(void)conn;
	/* a title, a description, another program's element: no label of ours */
	if (type != VIR_DOMAIN_METADATA_ELEMENT || !nsuri || (strcmp(nsuri, NOVA_URI) && strcmp(nsuri, LABELS_URI)))
		return;
	log_debug("libvirt: domain '%s': metadata changed (%s)", virDomainGetName(dom), nsuri);
	note_changed(ls, dom);
}

static void disconnect(struct libvirt_source *ls)
{
	if (!ls->conn)
		return;
	/* on a broken connection these fail harmlessly (logged at debug) */
	if (ls->lifecycle_id >= 0)
		virConnectDomainEventDeregisterAny(ls->conn, ls->lifecycle_id);
	if (ls->metadata_id >= 0)
		virConnectDomainEventDeregisterAny(ls->conn, ls->metadata_id);
	virConnectUnregisterCloseCallback(ls->conn, on_close);
	virConnectClose(ls->conn);
	ls->conn = NULL;
	ls->lifecycle_id = -1;
	__atomic_store_n(&ls->metadata_id, -1, __ATOMIC_RELAXED);
}

/* Connect now if the backoff allows. Returns true when connected. */
static bool connect_now(struct libvirt_source *ls)
{
	time_t now = (time_t)(clock_mono_ns() / 1000000000ULL);

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
	if (virConnectRegisterCloseCallback(ls->conn, on_close, ls, NULL) < 0)
		log_warning("libvirt at '%s': no close callback (%s); a restart is noticed on the next failed call",
			    ls->uri, virGetLastErrorMessage());
	/* keepalives notice a libvirtd that hangs without closing (-1: not remote) */
	virConnectSetKeepAlive(ls->conn, 5, 3);
	ls->lifecycle_id = virConnectDomainEventRegisterAny(ls->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
							    VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), ls, NULL);
	if (ls->lifecycle_id < 0)
		log_warning("libvirt at '%s': no lifecycle events (%s); new domains are seen at the next tick",
			    ls->uri, virGetLastErrorMessage());
	if (ls->labels) {
		int id = virConnectDomainEventRegisterAny(ls->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
							  VIR_DOMAIN_EVENT_CALLBACK(on_metadata_change), ls, NULL);

		/* the event thread reads it (on_lifecycle) */
		__atomic_store_n(&ls->metadata_id, id, __ATOMIC_RELAXED);
		if (id < 0)
			log_warning("libvirt at '%s': no metadata-change events (%s); domains' labels are read "
				    "when they are defined or started", ls->uri, virGetLastErrorMessage());
		/* whatever changed while away: every domain's metadata is read again */
		pthread_mutex_lock(&ls->defined_lock);
		ls->changed_lost = true;
		pthread_mutex_unlock(&ls->defined_lock);
	}
	ls->backoff_s = BACKOFF_MIN_S;
	ls->next_try = 0;
	/* after a loss or failed attempts, complaint_release says it (info) */
	if (!complaint_active(&ls->complaint))
		log_info("connected to libvirt at '%s'", ls->uri);
	complaint_release(&ls->complaint, "connected to libvirt at '%s'", ls->uri);
	/* whatever happened while away: the set of domains may have changed */
	__atomic_add_fetch(&ls->generation, 1, __ATOMIC_RELEASE);
	return true;
}

static void connection_lost(struct libvirt_source *ls)
{
	disconnect(ls);
	/* log once now; complain() rate-limits the failed retries after */
	log_warning("lost connection to libvirt at '%s', reconnecting", ls->uri);
	ls->complaint.last = time(NULL);
	ls->complaint.interval = 60;
	ls->complaint.suppressed = 0;
	/* libvirtd restarts take a moment: the first retry is a second away */
	ls->next_try = (time_t)(clock_mono_ns() / 1000000000ULL) + BACKOFF_MIN_S;
	ls->backoff_s = BACKOFF_MIN_S * 2;
}

static int libvirt_open(struct vm_source *src)
{
	struct libvirt_source *ls = calloc(1, sizeof(*ls));
	const char *uri = src->cfg.libvirt_uri && src->cfg.libvirt_uri[0] ? src->cfg.libvirt_uri : DEFAULT_URI;
	int ret;

	if (!ls)
		return -ENOMEM;
	ls->uri = strdup(uri);
	if (!ls->uri) {
		free(ls);
		return -ENOMEM;
	}
	ls->lifecycle_id = -1;
	ls->metadata_id = -1;
	ls->labels = src->cfg.labels;
	ls->backoff_s = BACKOFF_MIN_S;
	ls->auto_attach = src->cfg.auto_attach && src->cfg.share_dir && src->cfg.share_dir[0];
	ls->auto_attach_req = (struct share_request){
		.transport = src->cfg.auto_attach_transport,
		.mountpoint = src->cfg.share_dir,
		.channel_socket = src->cfg.channel_socket,
		.live_only = src->cfg.auto_attach_live,
	};
	pthread_mutex_init(&ls->defined_lock, NULL);
	ls->procfd = -1;
	if (topology_per_package(src->cfg.topology)) {
		const char *root = src->cfg.proc_root ? src->cfg.proc_root : "/proc";

		ls->procfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ls->procfd < 0)
			log_warning("cannot open proc root '%s': %s; domains' CPU time is spread over the "
				    "packages by their CPU counts", root, strerror(errno));
	}
	placement_init(&ls->placement, ls->procfd, src->cfg.topology);
	virSetErrorFunc(NULL, libvirt_error);
	ret = event_loop_get();
	if (ret < 0) {
		free(ls->uri);
		free(ls);
		return ret;
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

/*
 * The vCPUs and persistence of domain @uuid, asked of libvirt only when
 * not known since the last lifecycle event. A domain that vanished since
 * the stats call gets 0 vCPUs and is taken as persistent; it is gone from
 * the next list anyway. NULL only when out of memory.
 */
static struct domain_facts *domain_facts(struct libvirt_source *ls, virDomainPtr dom, const char *uuid)
{
	struct domain_facts *f;
	int n;

	for (size_t i = 0; i < ls->nfacts; i++)
		if (!strcmp(ls->facts[i].uuid, uuid))
			return &ls->facts[i];
	if (ALLOC_GROW(ls->facts, ls->nfacts + 1, ls->alloc_facts) < 0)
		return NULL;
	f = &ls->facts[ls->nfacts++];
	memset(f, 0, sizeof(*f));
	snprintf(f->uuid, sizeof(f->uuid), "%s", uuid);
	/*
	 * Live count for an active domain, the definition's for an inactive
	 * one (virDomainGetMaxVcpus fails on those). Not the vcpu.* stats:
	 * those make qemu's monitor be asked for every domain, which a busy
	 * TCG guest answers in seconds.
	 */
	n = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_CURRENT);
	f->vcpus = n > 0 ? (unsigned)n : 0;
	f->persistent = virDomainIsPersistent(dom) != 0;
	return f;
}

/* Whether process @pid is the qemu of domain @uuid; its start time in *@start. */
static bool is_domain_process(struct libvirt_source *ls, long pid, const char *uuid, uint64_t *start)
{
	char path[32], buf[8192];
	struct qemu_cmdline vm = { 0 };
	struct pid_stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%ld/cmdline", pid);
	n = proc_read_file(ls->procfd, path, buf, sizeof(buf));
	if (n <= 0 || !qemu_cmdline_parse(buf, (size_t)n, (pid_t)pid, 0, &vm) ||
	    strcmp(vm.uuid, uuid) || proc_read_thread_stat(ls->procfd, (pid_t)pid, (pid_t)pid, &st) < 0)
		return false;
	*start = st.starttime;
	return true;
}

/*
 * The qemu process of running domain @name (@uuid): the pid libvirt wrote,
 * else (a pid file only root may read) the qemu process in /proc whose
 * command line carries the domain's UUID. Returns 0 or -ESRCH.
 */
static int find_process(struct libvirt_source *ls, const char *name, const char *uuid, pid_t *pid,
			uint64_t *start)
{
	char path[sizeof(QEMU_PID_DIR) + VM_NAME_MAX + 8], buf[32];
	struct dirent *e;
	long v = 0;
	DIR *d;

	if (!strchr(name, '/') &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s.pid", QEMU_PID_DIR, name) < sizeof(path) &&
	    proc_read_file(AT_FDCWD, path, buf, sizeof(buf)) > 0)
		v = strtol(buf, NULL, 10);
	if (v > 0 && v <= INT32_MAX && is_domain_process(ls, v, uuid, start)) {
		*pid = (pid_t)v;
		return 0;
	}
	d = proc_opendir(ls->procfd, ".");
	if (!d)
		return -ESRCH;
	while ((e = readdir(d))) {
		char *end;

		v = strtol(e->d_name, &end, 10);
		if (!*end && v > 0 && v <= INT32_MAX && is_domain_process(ls, v, uuid, start)) {
			*pid = (pid_t)v;
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ESRCH;
}

/* Where running domain @vm's CPU time went, package by package. */
static void place_domain(struct libvirt_source *ls, struct domain_facts *facts, struct vm_list *out,
			 struct vm_info *vm)
{
	int ret = 0;

	if (ls->procfd < 0)
		return;
	if (!facts->process_tried) {
		facts->process_tried = true;
		ret = find_process(ls, vm->name, vm->uuid, &facts->pid, &facts->start);
		if (ret < 0) {
			facts->pid = 0;
			complain(&ls->pid_complaint, LOG_LEVEL_WARNING,
				 "cannot find the qemu process of domain '%s' (no readable '%s/%s.pid', no "
				 "process with its UUID); its CPU time is spread over the packages by their "
				 "CPU counts", vm->name, QEMU_PID_DIR, vm->name);
		}
	}
	if (facts->pid)
		placement_read(&ls->placement, facts->pid, facts->start, out, vm);
}

/* Whether a domain in @state has its qemu process: shut off is the only
 * state of an inactive domain (a crashed one kept for a dump is active). */
static bool state_is_active(int state)
{
	return state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_NOSTATE;
}

/*
 * auto_attach: give the domains defined since the last tick their share.
 * Here rather than in the event thread, whose callbacks must not wait on
 * libvirt; a domain undefined since is skipped, one with the share
 * already (defined with it) left alone.
 */
static void attach_defined(struct libvirt_source *ls)
{
	char uuid[VIR_UUID_STRING_BUFLEN];

	for (;;) {
		virDomainPtr dom;

		pthread_mutex_lock(&ls->defined_lock);
		if (!ls->ndefined) {
			pthread_mutex_unlock(&ls->defined_lock);
			return;
		}
		memcpy(uuid, ls->defined[0], sizeof(uuid));
		memmove(ls->defined, ls->defined + 1, --ls->ndefined * sizeof(ls->defined[0]));
		pthread_mutex_unlock(&ls->defined_lock);
		dom = virDomainLookupByUUIDString(ls->conn, uuid);
		if (!dom)
			continue;
		share_attach_domain(ls->conn, dom, &ls->auto_attach_req);
		virDomainFree(dom);
	}
}

/* Read domain @dom's labels into the book. */
static void read_labels(struct libvirt_source *ls, virDomainPtr dom, const char *uuid, const char *name)
{
	struct vm_label_set set = { 0 };
	int ret = libvirt_domain_labels(ls->labels, dom, &set);

	if (ret == 0)
		ret = vm_label_book_put(ls->labels, uuid, &set);
	log_debug("libvirt: domain '%s': labels read (%zu)", name, set.n);
	vm_label_set_release(&set);
	if (ret < 0)
		complain(&ls->label_complaint, LOG_LEVEL_WARNING, "domain '%s': cannot read its labels: %s",
			 name, ret == -ENOMEM ? "out of memory" : ret == -EINVAL ? "metadata is not XML"
			 : virGetLastErrorMessage());
}

/* Whether @uuid is among the domains noted changed (@changed, @n). */
static bool noted(char (*changed)[VIR_UUID_STRING_BUFLEN], size_t n, const char *uuid)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(changed[i], uuid))
			return true;
	return false;
}

static int libvirt_list(struct vm_source *src, struct vm_list *out)
{
	struct libvirt_source *ls = src->priv;
	virDomainStatsRecordPtr *records = NULL;
	char (*changed)[VIR_UUID_STRING_BUFLEN] = NULL;
	size_t nchanged = 0;
	bool all_changed = false;
	unsigned long generation;
	int n;

	vm_list_clear(out);
	if (__atomic_load_n(&ls->lost, __ATOMIC_ACQUIRE) && ls->conn)
		connection_lost(ls);
	if (!connect_now(ls))
		return -ENOTCONN;
	attach_defined(ls);
	/*
	 * Every domain, active or not, persistent or transient (no filter
	 * flag: ACTIVE|INACTIVE would mean the same): state and CPU time only,
	 * which libvirt reads from the domain's cgroup without asking qemu.
	 * NOWAIT: a domain busy with a job must not hold the tick up either.
	 */
	n = virConnectGetAllDomainStats(ls->conn, VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL,
					&records, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
	if (n < 0) {
		if (__atomic_load_n(&ls->lost, __ATOMIC_ACQUIRE) || virConnectIsAlive(ls->conn) != 1) {
			connection_lost(ls);
			return -ENOTCONN;
		}
		complain(&ls->complaint, LOG_LEVEL_WARNING, "libvirt at '%s': cannot list domains: %s",
			 ls->uri, virGetLastErrorMessage());
		return -EIO;
	}
	if (ls->labels) {
		/* taken after the listing: a change noted since is read at the next tick */
		pthread_mutex_lock(&ls->defined_lock);
		changed = ls->changed;
		nchanged = ls->nchanged;
		all_changed = ls->changed_lost;
		ls->changed = NULL;
		ls->nchanged = ls->alloc_changed = 0;
		ls->changed_lost = false;
		pthread_mutex_unlock(&ls->defined_lock);
	}
	generation = __atomic_load_n(&ls->generation, __ATOMIC_ACQUIRE);
	if (ls->facts_generation != generation) {
		ls->facts_generation = generation;
		ls->nfacts = 0;
	}
	for (int i = 0; i < n; i++) {
		virDomainStatsRecordPtr r = records[i];
		char uuid[VIR_UUID_STRING_BUFLEN];
		const char *name = virDomainGetName(r->dom);
		struct domain_facts *facts;
		unsigned long long cpu = 0;
		struct vm_info *vm;

		if (virDomainGetUUIDString(r->dom, uuid) < 0 || !name || !name[0])
			continue;  /* vanished while we looked */
		facts = domain_facts(ls, r->dom, uuid);
		vm = facts ? vm_list_add(out) : NULL;
		if (!vm || vm_list_set_name(out, vm, name) < 0) {
			virDomainStatsRecordListFree(records);
			free(changed);
			vm_list_clear(out);
			return log_error(-ENOMEM, "libvirt: out of memory listing domains");
		}
		snprintf(vm->uuid, sizeof(vm->uuid), "%s", uuid);  /* libvirt writes it lowercase */
		vm->running = state_is_active(param_int(r->params, r->nparams, "state.state", VIR_DOMAIN_NOSTATE));
		vm->vcpus = facts->vcpus;
		vm->persistent = facts->persistent;
		if (vm->running && param_ullong(r->params, r->nparams, "cpu.time", &cpu)) {
			vm->cpu_ns = cpu;
		} else if (vm->running) {
			/* drivers whose stats lack it (the test driver) */
			virDomainInfo info;

			if (virDomainGetInfo(r->dom, &info) == 0)
				vm->cpu_ns = info.cpuTime;
		}
		if (vm->running)
			place_domain(ls, facts, out, vm);
		if (ls->labels && (!vm_label_book_keep(ls->labels, uuid) || all_changed ||
				   noted(changed, nchanged, uuid)))
			read_labels(ls, r->dom, uuid, name);
	}
	virDomainStatsRecordListFree(records);
	free(changed);
	if (ls->labels)
		vm_label_book_sweep(ls->labels);
	placement_sweep(&ls->placement);
	return 0;
}

static void libvirt_close(struct vm_source *src)
{
	struct libvirt_source *ls = src->priv;

	if (!ls)
		return;
	disconnect(ls);
	/* the last close joins the event thread: no callback of ours runs after */
	event_loop_put();
	free(ls->facts);
	free(ls->defined);
	free(ls->changed);
	pthread_mutex_destroy(&ls->defined_lock);
	free(ls->uri);
	placement_release(&ls->placement);
	if (ls->procfd >= 0)
		close(ls->procfd);
	free(ls);
	src->priv = NULL;
}

unsigned long libvirt_source_generation(const struct vm_source *src)
{
	const struct libvirt_source *ls = src->priv;

	return __atomic_load_n(&ls->generation, __ATOMIC_ACQUIRE);
}

const struct vm_source_ops libvirt_vm_source_ops = {
	.name = "libvirt",
	.open = libvirt_open,
	.list = libvirt_list,
	.close = libvirt_close,
};
