// SPDX-License-Identifier: MIT
/* The terminal exporter: a readable table per step. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "common/exporter_i.h"
#include "common/log.h"

static void print_watts(FILE *out, bool valid, double w)
{
	if (valid && isfinite(w))
		fprintf(out, "%10.2f W", w);
	else
		fprintf(out, "%12s", "n/a");
}

static void write_vms(FILE *out, const struct report *r)
{
	fprintf(out, "%-22s %-16s ", "(unattributed)", "");
	print_watts(out, r->host_valid, r->unattributed_w);
	fprintf(out, "\n\n%-24s %-36s %5s %8s %12s\n", "DOMAIN", "UUID", "VCPUS", "CPU%", "POWER");
	for (size_t i = 0; i < r->nvms; i++) {
		const struct report_vm *vm = &r->vms[i];

		fprintf(out, "%-24.24s %-36.36s %5u %8.1f ", vm->domain, vm->uuid, vm->vcpus, vm->cpu_percent);
		if (vm->running)
			print_watts(out, r->host_valid, vm->power_w);
		else
			fprintf(out, "%12s", "shut off");
		putc('\n', out);
	}
	if (r->nvms == 0)
		fputs("(no VM)\n", out);
}

/* A container in a column: its name, else its id cut short as docker ps does. */
static const char *container_column(const struct container_labels *l, const char *name,
				    char *buf, size_t size)
{
	if (!l || (!l->id[0] && !l->pod_uid[0]))
		return "-";
	if (name)
		return name;
	if (l->id[0])
		snprintf(buf, size, "%.12s", l->id);
	else
		snprintf(buf, size, "pod %.8s", l->pod_uid);
	return buf;
}

static void write_containers(FILE *out, const struct report *r)
{
	char col[32];

	fprintf(out, "\n%-24s %-12s %-36s %5s %12s\n", "CONTAINER", "RUNTIME", "POD", "PROCS", "POWER");
	for (size_t i = 0; i < r->ncontainers; i++) {
		const struct report_container *c = &r->container_list[i];

		fprintf(out, "%-24.24s %-12s %-36s %5u ",
			container_column(c->labels, c->name, col, sizeof(col)),
			container_runtime_name(c->labels->runtime),
			c->labels->pod_uid[0] ? c->labels->pod_uid : "-", c->nprocesses);
		print_watts(out, true, c->power_w);
		putc('\n', out);
	}
	if (r->ncontainers == 0)
		fputs("(no container used CPU in this interval)\n", out);
	if (r->npods == 0)
		return;
	fprintf(out, "\n%-36s %-11s %10s %12s\n", "POD", "QOS", "CONTAINERS", "POWER");
	for (size_t i = 0; i < r->npods; i++) {
		const struct report_pod *pod = &r->pods[i];

		fprintf(out, "%-36s %-11s %10u ", pod->uid, pod->qos, pod->ncontainers);
		print_watts(out, true, pod->power_w);
		putc('\n', out);
	}
}

static int stdout_write(struct exporter *e, const struct report *r)
{
	FILE *out = e->out;
	bool estimate = !strcmp(r->source, "estimate");
	time_t t = (time_t)r->timestamp;
	struct tm tm;
	char when[32];

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (e->steps)
		putc('\n', out);
	if (estimate && r->root && strcmp(r->root, "estimate"))
		fprintf(out, "%s  source: ESTIMATE, the host's, from its CPU use (%s)  interval %.2f s\n",
			when, r->root, r->interval_s);
	else if (estimate)
		fprintf(out, "%s  source: ESTIMATE from CPU utilisation (no powercap tree)  interval %.2f s\n",
			when, r->interval_s);
	else
		fprintf(out, "%s  source: powercap (%s)  interval %.2f s\n", when, r->root, r->interval_s);
	fprintf(out, "%s%s", r->guest ? "VM power (this guest's)" : "Host power", estimate ? " (estimate)" : "");
	print_watts(out, r->host_valid, r->host_power_w);
	fputs("\n\n", out);

	fprintf(out, "%-22s %-16s %12s %14s\n", "ZONE", "NAME", "POWER", "ENERGY");
	for (size_t i = 0; i < r->nzones; i++) {
		const struct report_zone *z = &r->zones[i];
		char id[64];

		snprintf(id, sizeof(id), "%*s%s", (int)(2 * z->depth), "", z->id);
		fprintf(out, "%-22s %-16s ", id, z->name);
		print_watts(out, z->valid, z->power_w);
		fprintf(out, " %12.2f J\n", z->energy_j);
	}
	if (r->host) {
		write_vms(out, r);
		goto flush;
	}
	fprintf(out, "\n%-8s %-16s %8s %12s%s\n", "PID", "COMM", "CPU%", "POWER",
		r->containers ? "  CONTAINER" : "");
	for (size_t i = 0; i < r->nprocesses; i++) {
		const struct report_process *p = &r->processes[i];
		char col[32];

		fprintf(out, "%-8d %-16.16s %8.1f ", (int)p->pid, p->comm, p->cpu_percent);
		print_watts(out, true, p->power_w);
		if (r->containers)
			fprintf(out, "  %s", container_column(p->container, p->container_name, col,
							      sizeof(col)));
		putc('\n', out);
	}
	if (r->nprocesses == 0)
		fputs("(no process used CPU in this interval)\n", out);
	if (r->containers)
		write_containers(out, r);
flush:
	if (fflush(out) == EOF || ferror(out))
		return log_error(-EIO, "stdout: cannot write: %s", strerror(errno));
	return 0;
}

const struct exporter_ops stdout_exporter_ops = {
	.name = "stdout",
	.write = stdout_write,
};
