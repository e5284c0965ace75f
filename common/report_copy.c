// SPDX-License-Identifier: MIT
/*
 * A report copied into one block (report_copy.h). Two walks of the same
 * code: the first, with no block, counts the bytes; the second copies.
 */
#include "common/report_copy.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct block {
	char *base;    /* NULL: counting */
	size_t used;
};

/* Room for @n bytes aligned for any of the report's types; NULL when counting. */
static void *take(struct block *b, size_t n, size_t align)
{
	void *p;

	b->used = (b->used + align - 1) & ~(align - 1);
	p = b->base ? b->base + b->used : NULL;
	b->used += n;
	return p;
}

static const char *copy_str(struct block *b, const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	p = take(b, n, 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* @n elements of @size bytes from @src; the copy, or NULL when counting or none. */
static void *copy_array(struct block *b, const void *src, size_t n, size_t size, size_t align)
{
	void *p;

	if (!src || !n)
		return NULL;
	p = take(b, n * size, align);
	if (p)
		memcpy(p, src, n * size);
	return p;
}

#define COPY_ARRAY(b, src, n) copy_array((b), (src), (n), sizeof(*(src)), alignof(__typeof__(*(src))))

/* One walk: into @b->base when it is set (@out is then the copy's report). */
static void walk(struct block *b, const struct report *r, struct report *out)
{
	struct report_zone *zones;
	struct report_process *procs;
	struct report_vm *vms;
	struct report_cgroup *cgroups;
	struct report_container *cs;
	struct report_pod *pods;
	struct report_exporter *ex;

	if (out) {
		*out = *r;
		out->source = copy_str(b, r->source);
		out->root = copy_str(b, r->root);
		out->vm_source = copy_str(b, r->vm_source);
		out->currency = copy_str(b, r->currency);
	} else {
		copy_str(b, r->source);
		copy_str(b, r->root);
		copy_str(b, r->vm_source);
		copy_str(b, r->currency);
	}

	zones = COPY_ARRAY(b, r->zones, r->nzones);
	for (size_t i = 0; i < r->nzones; i++) {
		const char *id = copy_str(b, r->zones[i].id), *name = copy_str(b, r->zones[i].name);

		if (zones) {
			zones[i].id = id;
			zones[i].name = name;
		}
	}

	procs = COPY_ARRAY(b, r->processes, r->nprocesses);
	for (size_t i = 0; i < r->nprocesses; i++) {
		const struct report_process *p = &r->processes[i];
		const char *comm = copy_str(b, p->comm), *cname = copy_str(b, p->container_name);
		const struct container_labels *labels = p->container ? COPY_ARRAY(b, p->container, 1) : NULL;

		if (procs) {
			procs[i].comm = comm;
			procs[i].container_name = cname;
			procs[i].container = labels;
		}
	}

	vms = COPY_ARRAY(b, r->vms, r->nvms);
	for (size_t i = 0; i < r->nvms; i++) {
		const struct report_vm *v = &r->vms[i];
		const char *domain = copy_str(b, v->domain), *uuid = copy_str(b, v->uuid);
		struct report_label *labels = COPY_ARRAY(b, v->labels, v->nlabels);
		const struct report_vm_zone *vz = COPY_ARRAY(b, v->zones, v->zones ? r->nzones : 0);

		for (size_t l = 0; l < v->nlabels; l++) {
			const char *name = copy_str(b, v->labels[l].name), *value = copy_str(b, v->labels[l].value);

			if (labels) {
				labels[l].name = name;
				labels[l].value = value;
			}
		}
		if (vms) {
			vms[i].domain = domain;
			vms[i].uuid = uuid;
			vms[i].labels = labels;
			vms[i].zones = vz;
		}
	}

	cgroups = COPY_ARRAY(b, r->cgroups, r->ncgroups);
	for (size_t i = 0; i < r->ncgroups; i++) {
		const char *path = copy_str(b, r->cgroups[i].path);

		if (cgroups)
			cgroups[i].path = path;
	}

	cs = COPY_ARRAY(b, r->container_list, r->ncontainers);
	for (size_t i = 0; i < r->ncontainers; i++) {
		const struct report_container *c = &r->container_list[i];
		const char *name = copy_str(b, c->name);
		const struct container_labels *labels = c->labels ? COPY_ARRAY(b, c->labels, 1) : NULL;

		if (cs) {
			cs[i].name = name;
			cs[i].labels = labels;
		}
	}

	pods = COPY_ARRAY(b, r->pods, r->npods);
	for (size_t i = 0; i < r->npods; i++) {
		const char *uid = copy_str(b, r->pods[i].uid), *qos = copy_str(b, r->pods[i].qos);

		if (pods) {
			pods[i].uid = uid;
			pods[i].qos = qos;
		}
	}

	ex = COPY_ARRAY(b, r->exporters, r->nexporters);
	for (size_t i = 0; i < r->nexporters; i++) {
		const char *name = copy_str(b, r->exporters[i].name);

		if (ex)
			ex[i].name = name;
	}

	if (out) {
		out->zones = zones;
		out->processes = procs;
		out->vms = vms;
		out->cgroups = cgroups;
		out->container_list = cs;
		out->pods = pods;
		out->exporters = ex;
	}
}

struct report *report_copy(const struct report *r)
{
	struct block b = { 0 };
	struct report *out;

	take(&b, sizeof(*out), alignof(struct report));
	walk(&b, r, NULL);
	b.base = malloc(b.used);
	if (!b.base)
		return NULL;
	b.used = 0;
	out = take(&b, sizeof(*out), alignof(struct report));
	walk(&b, r, out);
	return out;
}
