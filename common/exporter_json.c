// SPDX-License-Identifier: MIT
/* The JSON exporter: one object per line per step (schema in docs/json.md). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "common/exporter_i.h"
#include "common/log.h"

static int json_open(struct exporter *e, const struct exporter_config *cfg)
{
	if (!cfg->file || !cfg->file[0])
		return 0;
	e->out = fopen(cfg->file, "ae");
	if (!e->out)
		return log_error(-errno, "json: cannot open '%s' for appending: %s", cfg->file, strerror(errno));
	e->own_out = true;
	return 0;
}

static void write_vms(FILE *out, const struct report *r)
{
	fputs("],\"unattributed_watts\":", out);
	json_write_number(out, r->host_valid ? r->unattributed_w : NAN, 3);
	fputs(",\"vms\":[", out);
	for (size_t i = 0; i < r->nvms; i++) {
		const struct report_vm *vm = &r->vms[i];

		fputs(i ? ",{\"domain\":" : "{\"domain\":", out);
		json_write_string(out, vm->domain);
		fputs(",\"uuid\":", out);
		json_write_string(out, vm->uuid);
		if (vm->nlabels) {
			fputs(",\"labels\":{", out);
			for (size_t l = 0; l < vm->nlabels; l++) {
				if (l)
					putc(',', out);
				json_write_string(out, vm->labels[l].name);
				putc(':', out);
				json_write_string(out, vm->labels[l].value);
			}
			putc('}', out);
		}
		fprintf(out, ",\"vcpus\":%u,\"running\":%s,\"cpu_percent\":", vm->vcpus,
			vm->running ? "true" : "false");
		json_write_number(out, vm->cpu_percent, 2);
		fputs(",\"power_watts\":", out);
		json_write_number(out, vm->power_w, 3);
		fputs(",\"zones\":[", out);
		for (size_t z = 0, first = 1; z < r->nzones; z++) {
			if (r->zones[z].host_only)
				continue;
			fputs(first ? "{\"zone\":" : ",{\"zone\":", out);
			first = 0;
			json_write_string(out, r->zones[z].id);
			fputs(",\"power_watts\":", out);
			json_write_number(out, r->zones[z].valid ? vm->zones[z].power_w : NAN, 3);
			fputs(",\"energy_joules\":", out);
			json_write_number(out, vm->zones[z].energy_j, 6);
			fprintf(out, ",\"energy_uj\":%llu}", vm->zones[z].shown_uj);
		}
		fputs("]}", out);
	}
	putc(']', out);
}

/* ,"key":"value", left out when the value is empty or NULL. */
static void write_field(FILE *out, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	fprintf(out, ",\"%s\":", key);
	json_write_string(out, value);
}

static void write_process_labels(FILE *out, const struct report_process *p)
{
	const struct container_labels *l = p->container;

	if (!l)
		return;
	write_field(out, "container_id", l->id);
	write_field(out, "container_name", p->container_name);
	write_field(out, "container_runtime", container_runtime_name(l->runtime));
	write_field(out, "pod_uid", l->pod_uid);
	write_field(out, "pod_qos", pod_qos_name(l->qos));
	write_field(out, "systemd_unit", l->unit);
	write_field(out, "systemd_slice", l->slice);
}

/* ,"containers":[...],"pods":[...] */
static void write_containers(FILE *out, const struct report *r)
{
	fputs(",\"containers\":[", out);
	for (size_t i = 0; i < r->ncontainers; i++) {
		const struct report_container *c = &r->container_list[i];

		fputs(i ? ",{\"id\":" : "{\"id\":", out);
		json_write_string(out, c->labels->id);
		write_field(out, "name", c->name);
		write_field(out, "runtime", container_runtime_name(c->labels->runtime));
		write_field(out, "pod_uid", c->labels->pod_uid);
		write_field(out, "pod_qos", pod_qos_name(c->labels->qos));
		fprintf(out, ",\"processes\":%u,\"power_watts\":", c->nprocesses);
		json_write_number(out, c->power_w, 3);
		fputs(",\"energy_joules\":", out);
		json_write_number(out, c->energy_j, 6);
		putc('}', out);
	}
	fputs("],\"pods\":[", out);
	for (size_t i = 0; i < r->npods; i++) {
		const struct report_pod *pod = &r->pods[i];

		fputs(i ? ",{\"uid\":" : "{\"uid\":", out);
		json_write_string(out, pod->uid);
		write_field(out, "qos", pod->qos);
		fprintf(out, ",\"containers\":%u,\"power_watts\":", pod->ncontainers);
		json_write_number(out, pod->power_w, 3);
		fputs(",\"energy_joules\":", out);
		json_write_number(out, pod->energy_j, 6);
		putc('}', out);
	}
	putc(']', out);
}

static int json_write(struct exporter *e, const struct report *r)
{
	FILE *out = e->out;

	fputs("{\"timestamp\":", out);
	json_write_number(out, r->timestamp, 3);
	fputs(",\"source\":", out);
	json_write_string(out, r->source);
	fputs(",\"interval_seconds\":", out);
	json_write_number(out, r->interval_s, 3);
	fputs(",\"machine\":", out);
	json_write_string(out, r->guest ? "guest" : "host");
	/* in a guest, host_power_watts (the same figure) is kept for one release: deprecated */
	if (r->guest) {
		fputs(",\"guest_power_watts\":", out);
		json_write_number(out, r->host_valid ? r->host_power_w : NAN, 3);
	}
	fputs(",\"host_power_watts\":", out);
	json_write_number(out, r->host_valid ? r->host_power_w : NAN, 3);
	fputs(",\"zones\":[", out);
	for (size_t i = 0; i < r->nzones; i++) {
		const struct report_zone *z = &r->zones[i];

		fputs(i ? ",{\"zone\":" : "{\"zone\":", out);
		json_write_string(out, z->id);
		fputs(",\"name\":", out);
		json_write_string(out, z->name);
		fputs(",\"power_watts\":", out);
		json_write_number(out, z->valid ? z->power_w : NAN, 3);
		fputs(",\"energy_joules\":", out);
		json_write_number(out, z->energy_j, 6);
		if (r->host) {
			fputs(",\"unattributed_watts\":", out);
			json_write_number(out, z->valid ? z->unattributed_w : NAN, 3);
			fputs(",\"unattributed_joules\":", out);
			json_write_number(out, z->unattributed_j, 6);
		}
		putc('}', out);
	}
	if (r->host) {
		write_vms(out, r);
		goto end;
	}
	fputs("],\"processes\":[", out);
	for (size_t i = 0; i < r->nprocesses; i++) {
		const struct report_process *p = &r->processes[i];

		fprintf(out, "%s{\"pid\":%d,\"comm\":", i ? "," : "", (int)p->pid);
		json_write_string(out, p->comm);
		fputs(",\"cpu_percent\":", out);
		json_write_number(out, p->cpu_percent, 2);
		fputs(",\"power_watts\":", out);
		json_write_number(out, p->power_w, 3);
		write_process_labels(out, p);
		putc('}', out);
	}
	putc(']', out);
	if (r->containers)
		write_containers(out, r);
end:
	fputs("}\n", out);
	if (fflush(out) == EOF || ferror(out))
		return log_error(-EIO, "json: cannot write: %s", strerror(errno));
	return 0;
}

/* The new file is opened before the old one is let go: a failure keeps it. */
static int json_reopen(struct exporter *e, const struct exporter_config *cfg)
{
	struct exporter fresh = { .out = stdout };
	int ret = json_open(&fresh, cfg);

	if (ret < 0)
		return ret;
	if (e->own_out)
		fclose(e->out);
	else
		fflush(e->out);
	e->out = fresh.out;
	e->own_out = fresh.own_out;
	return 0;
}

const struct exporter_ops json_exporter_ops = {
	.name = "json",
	.open = json_open,
	.write = json_write,
	.reopen = json_reopen,
};
