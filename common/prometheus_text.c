// SPDX-License-Identifier: MIT
/*
 * The Prometheus text exposition format (version 0.0.4): a report rendered
 * to text, families and samples, label values escaped. Pure: no I/O, no
 * threads; the exporter (exporter_prometheus.c) serves what this renders.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/prometheus_text.h"
#include "common/prometheus_text_i.h"
#include "common/utf8_i.h"
#include "common/version.h"

/*
 * Text being rendered. With a sink, the text goes out in pieces of about
 * BUF_CHUNK bytes, and the buffer stays that small whatever the report.
 */
struct buf {
	char *p;
	size_t len, alloc;
	bool failed;
	prometheus_sink *sink;
	void *ctx;
};

#define BUF_CHUNK (64 * 1024)

/* Hand what is rendered so far to the sink. */
static bool buf_flush(struct buf *b)
{
	if (!b->sink || b->failed || !b->len)
		return !b->failed;
	if (b->sink(b->ctx, b->p, b->len) < 0) {
		b->failed = true;
		return false;
	}
	b->len = 0;
	b->p[0] = '\0';
	return true;
}

static bool buf_reserve(struct buf *b, size_t more)
{
	size_t alloc;
	char *p;

	if (b->failed)
		return false;
	if (b->len + more < b->alloc)
		return true;
	if (b->sink && b->len && !buf_flush(b))
		return false;
	if (b->len + more < b->alloc)
		return true;
	alloc = b->alloc ? b->alloc : 64;  /* label strings stay small: one per VM or process */
	while (alloc <= b->len + more)
		alloc *= 2;
	p = realloc(b->p, alloc);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->alloc = alloc;
	b->p[b->len] = '\0';
	return true;
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 256))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->alloc - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->alloc - b->len) {
		if (!buf_reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->alloc - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* @s escaped as a label value (no quotes). */
static void buf_label_value(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_sequence_len(p);

		if (n == 0) {
			buf_put(b, UTF8_REPLACEMENT, 3);  /* for a byte that is not UTF-8 */
			p++;
		} else if (*p == '\\') {
			buf_put(b, "\\\\", 2);
			p++;
		} else if (*p == '"') {
			buf_put(b, "\\\"", 2);
			p++;
		} else if (*p == '\n') {
			buf_put(b, "\\n", 2);
			p++;
		} else {
			buf_put(b, (const char *)p, n);
			p += n;
		}
	}
}

char *prometheus_label_value(const char *s)
{
	struct buf b = { 0 };

	buf_reserve(&b, strlen(s) + 1);
	buf_label_value(&b, s);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/*
 * key1="v1",key2="v2",... from @n pairs in @kv, as one malloc'd string, or
 * NULL. A pair whose value is NULL or empty is written empty, or left out
 * unless @keep_empty.
 */
static char *label_set(const char *const *kv, size_t n, bool keep_empty)
{
	struct buf b = { 0 };
	bool any = false;

	buf_reserve(&b, 64);
	for (size_t i = 0; i < n; i++) {
		const char *v = kv[2 * i + 1];

		if (!keep_empty && (!v || !v[0]))
			continue;
		if (any)
			buf_puts(&b, ",");
		buf_puts(&b, kv[2 * i]);
		buf_puts(&b, "=\"");
		buf_label_value(&b, v ? v : "");
		buf_puts(&b, "\"");
		any = true;
	}
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* key1="v1",key2="v2" as one malloc'd string, or NULL. */
static char *label_pair(const char *k1, const char *v1, const char *k2, const char *v2)
{
	const char *kv[] = { k1, v1, k2, v2 };

	return label_set(kv, k2 ? 2 : 1, true);
}

/* domain="..",uuid="..",label="..".. of VM @vm, malloc'd, or NULL. */
static char *vm_labels(const struct report_vm *vm)
{
	char *base = label_pair("domain", vm->domain, "uuid", vm->uuid);
	struct buf b = { 0 };

	if (!base || !vm->nlabels)
		return base;
	b.p = base;
	b.len = strlen(base);
	b.alloc = b.len + 1;
	for (size_t i = 0; i < vm->nlabels; i++) {
		buf_puts(&b, ",");
		buf_puts(&b, vm->labels[i].name);
		buf_puts(&b, "=\"");
		buf_label_value(&b, vm->labels[i].value);
		buf_puts(&b, "\"");
	}
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/*
 * A sample's value. Joules and watts are written to six decimals (a
 * microjoule, a microwatt), trailing zeros dropped, from integers: exact
 * and fast. What does not fit falls back to printf.
 */
static void buf_value(struct buf *b, double v)
{
	char tmp[48];
	char *end = tmp + sizeof(tmp), *q = end;
	bool neg = v < 0;
	double a = neg ? -v : v;
	uint64_t micro, whole, frac;

	if (isnan(v)) {
		buf_put(b, "NaN", 3);
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (a >= 9e12) {
		buf_printf(b, "%.17g", v);
		return;
	}
	micro = (uint64_t)llround(a * 1e6);
	whole = micro / 1000000;
	frac = micro % 1000000;
	if (frac) {
		int digits = 6;

		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		while (digits--) {
			*--q = (char)('0' + frac % 10);
			frac /= 10;
		}
		*--q = '.';
	}
	do {
		*--q = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	if (neg && micro)
		*--q = '-';
	buf_put(b, q, (size_t)(end - q));
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_puts(b, "# HELP ");
	buf_puts(b, name);
	buf_puts(b, " ");
	buf_puts(b, help);
	buf_puts(b, "\n# TYPE ");
	buf_puts(b, name);
	buf_puts(b, " ");
	buf_puts(b, type);
	buf_puts(b, "\n");
}

/* name{l1,l2,l3} value: empty or NULL label sets are left out. */
static void sample(struct buf *b, const char *name, const char *l1, const char *l2,
		   const char *l3, double v)
{
	const char *ls[3] = { l1, l2, l3 };
	bool open = false;

	buf_puts(b, name);
	for (int i = 0; i < 3; i++) {
		if (!ls[i] || !ls[i][0])
			continue;
		buf_puts(b, open ? "," : "{");
		buf_puts(b, ls[i]);
		open = true;
	}
	buf_puts(b, open ? "} " : " ");
	buf_value(b, v);
	buf_put(b, "\n", 1);
}

struct render {
	struct buf b;
	const struct report *r;
	const char *src;     /* source="estimate", or "" */
	char **zl;           /* zone="...",name="..." per zone */
	char **il;           /* per process, cgroup or VM */
	size_t nil;
};

static void render_zones(struct render *rd, const char *energy, const char *power,
			 const char *what)
{
	const struct report *r = rd->r;
	char help[160];

	snprintf(help, sizeof(help), "Energy of a powercap zone %s, in joules.", what);
	family(&rd->b, energy, "counter", help);
	for (size_t i = 0; i < r->nzones; i++)
		sample(&rd->b, energy, rd->zl[i], rd->src, NULL, r->zones[i].energy_j);
	family(&rd->b, power, "gauge", "Power of a powercap zone over the last report's interval, in watts.");
	for (size_t i = 0; i < r->nzones; i++)
		if (r->zones[i].valid)
			sample(&rd->b, power, rd->zl[i], rd->src, NULL, r->zones[i].power_w);
	/*
	 * A guest's agent measures its VM, not a machine: its own name, so
	 * that a sum over the host's and its guests' jobs counts nothing
	 * twice. The old name stays for one release there, deprecated.
	 */
	if (r->guest) {
		family(&rd->b, "vpowercap_guest_power_watts", "gauge",
		       "Power of this virtual machine as its host attributes it (psys, or packages plus DRAM), "
		       "in watts.");
		if (r->host_valid)
			sample(&rd->b, "vpowercap_guest_power_watts", rd->src, NULL, NULL, r->host_power_w);
	}
	family(&rd->b, "vpowercap_machine_power_watts", "gauge",
	       r->guest ? "Deprecated in a guest, to be removed in 0.2: vpowercap_guest_power_watts, "
			  "the same figure."
			: "Power of the whole machine (psys, or packages plus DRAM), in watts.");
	if (r->host_valid)
		sample(&rd->b, "vpowercap_machine_power_watts", rd->src, NULL, NULL, r->host_power_w);
}

/* The label sets of containers (@pods false) or pods, into rd->il (sized for the processes or more). */
static int container_labels(struct render *rd, bool pods)
{
	const struct report *r = rd->r;
	size_t n = pods ? r->npods : r->ncontainers;

	for (size_t i = 0; i < rd->nil; i++) {
		free(rd->il[i]);
		rd->il[i] = NULL;
	}
	if (n > rd->nil) {
		char **il = realloc(rd->il, n * sizeof(*il));

		if (!il)
			return -ENOMEM;
		rd->il = il;
		memset(il + rd->nil, 0, (n - rd->nil) * sizeof(*il));
		rd->nil = n;
	}
	for (size_t i = 0; i < n; i++) {
		if (pods) {
			const char *kv[] = { "pod_uid", r->pods[i].uid, "qos", r->pods[i].qos };

			rd->il[i] = label_set(kv, 2, false);
		} else {
			const struct report_container *c = &r->container_list[i];
			const char *kv[] = {
				"container_id", c->labels->id, "container_name", c->name,
				"runtime", container_runtime_name(c->labels->runtime),
				"pod_uid", c->labels->pod_uid, "qos", pod_qos_name(c->labels->qos),
			};

			rd->il[i] = label_set(kv, sizeof(kv) / sizeof(kv[0]) / 2, false);
		}
		if (!rd->il[i])
			return -ENOMEM;
	}
	return 0;
}

/* Per container and per pod: every one that used CPU in the step. */
static int render_containers(struct render *rd)
{
	const struct report *r = rd->r;
	int ret = container_labels(rd, false);

	if (ret < 0)
		return ret;
	family(&rd->b, "vpowercap_container_power_watts", "gauge",
	       "Power of the processes of one container over the last report's interval, in watts.");
	for (size_t i = 0; i < r->ncontainers; i++)
		sample(&rd->b, "vpowercap_container_power_watts", rd->il[i], rd->src, NULL,
		       r->container_list[i].power_w);
	family(&rd->b, "vpowercap_container_energy_joules_total", "counter",
	       "Energy of the processes of one container since the agent first saw it use CPU, in joules.");
	for (size_t i = 0; i < r->ncontainers; i++)
		sample(&rd->b, "vpowercap_container_energy_joules_total", rd->il[i], rd->src, NULL,
		       r->container_list[i].energy_j);
	family(&rd->b, "vpowercap_container_processes", "gauge",
	       "Processes of one container that used CPU over the last report's interval.");
	for (size_t i = 0; i < r->ncontainers; i++)
		sample(&rd->b, "vpowercap_container_processes", rd->il[i], NULL, NULL,
		       r->container_list[i].nprocesses);
	ret = container_labels(rd, true);
	if (ret < 0)
		return ret;
	family(&rd->b, "vpowercap_pod_power_watts", "gauge",
	       "Power of the processes of one Kubernetes pod over the last report's interval, in watts.");
	for (size_t i = 0; i < r->npods; i++)
		sample(&rd->b, "vpowercap_pod_power_watts", rd->il[i], rd->src, NULL, r->pods[i].power_w);
	family(&rd->b, "vpowercap_pod_energy_joules_total", "counter",
	       "Energy of the processes of one Kubernetes pod since the agent first saw it use CPU, in joules.");
	for (size_t i = 0; i < r->npods; i++)
		sample(&rd->b, "vpowercap_pod_energy_joules_total", rd->il[i], rd->src, NULL,
		       r->pods[i].energy_j);
	return 0;
}

static int render_agent(struct render *rd)
{
	const struct report *r = rd->r;
	size_t n = r->nprocesses > r->ncgroups ? r->nprocesses : r->ncgroups;

	render_zones(rd, "vpowercap_zone_energy_joules_total", "vpowercap_zone_power_watts",
		     "since the agent started");
	rd->il = calloc(n ? n : 1, sizeof(*rd->il));
	if (!rd->il)
		return -ENOMEM;
	rd->nil = n;
	for (size_t i = 0; i < r->nprocesses; i++) {
		const struct report_process *p = &r->processes[i];
		const struct container_labels *l = p->container;
		char pid[24];

		snprintf(pid, sizeof(pid), "%d", (int)p->pid);
		if (l) {
			const char *kv[] = {
				"pid", pid, "comm", p->comm,
				"container_id", l->id, "container_name", p->container_name,
				"runtime", container_runtime_name(l->runtime),
				"pod_uid", l->pod_uid, "qos", pod_qos_name(l->qos),
				"systemd_unit", l->unit, "systemd_slice", l->slice,
			};

			rd->il[i] = label_set(kv, sizeof(kv) / sizeof(kv[0]) / 2, false);
		} else {
			rd->il[i] = label_pair("pid", pid, "comm", p->comm);
		}
		if (!rd->il[i])
			return -ENOMEM;
	}
	family(&rd->b, "vpowercap_process_power_watts", "gauge",
	       "Power of one of the top processes over the last report's interval, in watts.");
	for (size_t i = 0; i < r->nprocesses; i++)
		sample(&rd->b, "vpowercap_process_power_watts", rd->il[i], rd->src, NULL,
		       r->processes[i].power_w);
	family(&rd->b, "vpowercap_process_energy_joules_total", "counter",
	       "Energy of one of the top processes since the agent first saw it among them, in joules.");
	for (size_t i = 0; i < r->nprocesses; i++)
		sample(&rd->b, "vpowercap_process_energy_joules_total", rd->il[i], rd->src, NULL,
		       r->processes[i].energy_j);
	for (size_t i = 0; i < r->nprocesses; i++) {
		free(rd->il[i]);
		rd->il[i] = NULL;
	}
	family(&rd->b, "vpowercap_cgroup_power_watts", "gauge",
	       "Power of the processes of one of the top cgroups (systemd unit, container), in watts.");
	for (size_t i = 0; i < r->ncgroups; i++) {
		if (!(rd->il[i] = label_pair("cgroup", r->cgroups[i].path, NULL, NULL)))
			return -ENOMEM;
		sample(&rd->b, "vpowercap_cgroup_power_watts", rd->il[i], rd->src, NULL,
		       r->cgroups[i].power_w);
	}
	return r->containers ? render_containers(rd) : 0;
}

static int render_host(struct render *rd)
{
	const struct report *r = rd->r;

	render_zones(rd, "vpowercap_host_energy_joules_total", "vpowercap_host_power_watts",
		     "of the host, counted by the daemon across restarts");
	family(&rd->b, "vpowercap_unattributed_energy_joules_total", "counter",
	       "Energy of a host zone that no VM was given (the host remainder), in joules.");
	for (size_t i = 0; i < r->nzones; i++)
		sample(&rd->b, "vpowercap_unattributed_energy_joules_total", rd->zl[i], rd->src, NULL,
		       r->zones[i].unattributed_j);
	family(&rd->b, "vpowercap_unattributed_power_watts", "gauge",
	       "Power of a host zone that no VM was given over the last report's interval, in watts.");
	for (size_t i = 0; i < r->nzones; i++)
		if (r->zones[i].valid)
			sample(&rd->b, "vpowercap_unattributed_power_watts", rd->zl[i], rd->src, NULL,
			       r->zones[i].unattributed_w);

	rd->il = calloc(r->nvms ? r->nvms : 1, sizeof(*rd->il));
	if (!rd->il)
		return -ENOMEM;
	rd->nil = r->nvms;
	for (size_t v = 0; v < r->nvms; v++)
		if (!(rd->il[v] = vm_labels(&r->vms[v])))
			return -ENOMEM;
	family(&rd->b, "vpowercap_vm_energy_joules_total", "counter",
	       "Energy of a VM in a host zone, the counter its powercap tree shows before wrapping, in joules.");
	for (size_t v = 0; v < r->nvms; v++)
		for (size_t z = 0; z < r->nzones; z++)
			if (!r->zones[z].host_only)
				sample(&rd->b, "vpowercap_vm_energy_joules_total", rd->il[v], rd->zl[z], rd->src,
				       r->vms[v].zones[z].energy_j);
	family(&rd->b, "vpowercap_vm_power_watts", "gauge",
	       "Power of a VM in a host zone over the last report's interval, in watts.");
	for (size_t v = 0; v < r->nvms; v++)
		for (size_t z = 0; z < r->nzones; z++)
			if (r->zones[z].valid && !r->zones[z].host_only)
				sample(&rd->b, "vpowercap_vm_power_watts", rd->il[v], rd->zl[z], rd->src,
				       r->vms[v].zones[z].power_w);
	family(&rd->b, "vpowercap_vm_vcpus", "gauge", "Virtual CPUs of a VM.");
	for (size_t v = 0; v < r->nvms; v++)
		sample(&rd->b, "vpowercap_vm_vcpus", rd->il[v], NULL, NULL, r->vms[v].vcpus);
	family(&rd->b, "vpowercap_vm_running", "gauge", "Whether a VM is running (1) or defined but shut off (0).");
	for (size_t v = 0; v < r->nvms; v++)
		sample(&rd->b, "vpowercap_vm_running", rd->il[v], NULL, NULL, r->vms[v].running);
	return 0;
}

/* The metrics about the exporting program itself. */
static void render_self(struct render *rd, unsigned long reports)
{
	const struct report *r = rd->r;
	char *version = label_pair("version", VPOWERCAP_VERSION, NULL, NULL);

	family(&rd->b, "vpowercap_build_info", "gauge", "Always 1; the version of vpowercap in a label.");
	sample(&rd->b, "vpowercap_build_info", version ? version : "", NULL, NULL, 1);
	free(version);
	if (!version)
		rd->b.failed = true;
	family(&rd->b, "vpowercap_reports_total", "counter", "Reports (steps) published since start.");
	sample(&rd->b, "vpowercap_reports_total", NULL, NULL, NULL, (double)reports);
	if (!r)
		return;
	family(&rd->b, "vpowercap_tick_duration_seconds", "gauge",
	       "How long the last tick took to read the sensors and split the energy, in seconds.");
	sample(&rd->b, "vpowercap_tick_duration_seconds", NULL, NULL, NULL, r->tick_s);
	if (r->tree_served) {
		family(&rd->b, "vpowercap_tree_stall_seconds", "gauge",
		       "How long the VMs' counters stood still, no daemon feeding their trees, before this daemon began.");
		sample(&rd->b, "vpowercap_tree_stall_seconds", NULL, NULL, NULL, r->tree_stall_s);
	}
	if (r->host) {
		family(&rd->b, "vpowercap_state_saved", "gauge",
		       "Whether the last save of the counters worked (1); 0: they stand still until saves work again.");
		sample(&rd->b, "vpowercap_state_saved", NULL, NULL, NULL, r->state_saved);
	}
	if (r->host) {
		char *cur = r->currency && r->currency[0] ? label_pair("currency", r->currency, NULL, NULL) : NULL;

		family(&rd->b, "vpowercap_wall_factor", "gauge",
		       "Wall (and building) energy per RAPL energy at this host, as configured ([billing] wall_factor): "
		       "what the billing rules multiply RAPL energy by.");
		sample(&rd->b, "vpowercap_wall_factor", NULL, NULL, NULL, r->wall_factor);
		if (r->price_per_kwh > 0) {
			family(&rd->b, "vpowercap_energy_price_per_kwh", "gauge",
			       "The site's energy price per kWh, as configured ([billing] price_per_kwh).");
			sample(&rd->b, "vpowercap_energy_price_per_kwh", cur ? cur : "", NULL, NULL, r->price_per_kwh);
		}
		if (r->carbon_grams_per_kwh > 0) {
			family(&rd->b, "vpowercap_carbon_intensity_grams_per_kwh", "gauge",
			       "The site's carbon intensity, grams of CO2e per kWh, as configured "
			       "([billing] carbon_grams_per_kwh).");
			sample(&rd->b, "vpowercap_carbon_intensity_grams_per_kwh", NULL, NULL, NULL,
			       r->carbon_grams_per_kwh);
		}
		free(cur);
	}
	if (r->host && r->vm_source) {
		char *src = label_pair("vm_source", r->vm_source, NULL, NULL);

		family(&rd->b, "vpowercap_vm_source_up", "gauge",
		       "Whether the VM source (libvirt, proc) answered for the last report (1) or is away (0).");
		sample(&rd->b, "vpowercap_vm_source_up", src ? src : "", NULL, NULL, r->vm_source_up);
		if (!src)
			rd->b.failed = true;
		free(src);
	}
	family(&rd->b, "vpowercap_report_interval_seconds", "gauge",
	       "The interval the last report's power figures are averaged over, in seconds.");
	sample(&rd->b, "vpowercap_report_interval_seconds", NULL, NULL, NULL, r->interval_s);
	family(&rd->b, "vpowercap_last_report_timestamp_seconds", "gauge",
	       "When the last report was published, in seconds since the Unix epoch.");
	sample(&rd->b, "vpowercap_last_report_timestamp_seconds", NULL, NULL, NULL, r->timestamp);
	if (!r->nexporters)
		return;
	family(&rd->b, "vpowercap_exporter_dropped_total", "counter",
	       "Steps a network exporter dropped, its queue full while its server was away or slow.");
	for (size_t i = 0; i < r->nexporters; i++) {
		char *l = label_pair("exporter", r->exporters[i].name, NULL, NULL);

		if (!l) {
			rd->b.failed = true;
			return;
		}
		sample(&rd->b, "vpowercap_exporter_dropped_total", l, NULL, NULL, (double)r->exporters[i].dropped);
		free(l);
	}
}

static int render_all(struct render *rd0, const struct report *r, unsigned long reports)
{
	struct render rd = *rd0;
	int ret = 0;

	rd.r = r;
	buf_reserve(&rd.b, rd.b.sink ? BUF_CHUNK : 16384);
	if (r) {
		if (r->source && !strcmp(r->source, "estimate"))
			rd.src = "source=\"estimate\"";
		rd.zl = calloc(r->nzones ? r->nzones : 1, sizeof(*rd.zl));
		if (!rd.zl) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < r->nzones; i++)
			if (!(rd.zl[i] = label_pair("zone", r->zones[i].id, "name", r->zones[i].name))) {
				ret = -ENOMEM;
				goto out;
			}
		ret = r->host ? render_host(&rd) : render_agent(&rd);
		if (ret < 0)
			goto out;
	}
	render_self(&rd, reports);
out:
	if (rd.zl)
		for (size_t i = 0; i < r->nzones; i++)
			free(rd.zl[i]);
	free(rd.zl);
	for (size_t i = 0; i < rd.nil; i++)
		free(rd.il[i]);
	free(rd.il);
	if (ret == 0)
		buf_flush(&rd.b);
	if (ret == 0 && rd.b.failed)
		ret = -ENOMEM;
	*rd0 = rd;
	return ret;
}

int prometheus_render(const struct report *r, unsigned long reports, char **text, size_t *len)
{
	struct render rd = { .src = "" };
	int ret = render_all(&rd, r, reports);

	if (ret < 0) {
		free(rd.b.p);
		return ret;
	}
	*text = rd.b.p;
	*len = rd.b.len;
	return 0;
}

int prometheus_render_to(const struct report *r, unsigned long reports, prometheus_sink *sink, void *ctx)
{
	struct render rd = { .src = "", .b = { .sink = sink, .ctx = ctx } };
	int ret = render_all(&rd, r, reports);

	free(rd.b.p);
	return ret;
}
