// SPDX-License-Identifier: MIT
/* The powercap and estimate sensors. */
#include "common/sensor.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sensor_kind_names[] = {
	[SENSOR_AUTO] = "auto",
	[SENSOR_POWERCAP] = "powercap",
	[SENSOR_ESTIMATE] = "estimate",
	[SENSOR_KIND_COUNT] = NULL,
};

static int powercap_sensor_open(struct sensor *s, const struct sensor_config *cfg)
{
	s->zones = powercap_open(cfg->powercap_root);
	if (!s->zones)
		return -errno;
	powercap_sample(s->zones);  /* prime the counters */
	return 0;
}

static void powercap_sensor_sample(struct sensor *s, const struct cpu_times *cpu, double interval_s)
{
	(void)cpu;
	(void)interval_s;
	powercap_sample(s->zones);
}

static void powercap_sensor_close(struct sensor *s)
{
	powercap_free(s->zones);
}

static const struct sensor_ops powercap_sensor_ops = {
	.name = "powercap",
	.open = powercap_sensor_open,
	.sample = powercap_sensor_sample,
	.close = powercap_sensor_close,
};

#define ESTIMATE_MAX_ENERGY_RANGE_UJ 262143328850ULL

/* The estimate's model (see estimate_sensor_sample) and its last sample. */
struct estimate {
	double idle_watts_per_cpu;
	double max_watts_per_cpu;
	struct cpu_times last_cpu;
	bool primed;
};

/* One synthetic zone holds the estimate, so it reads like a package. */
static int estimate_sensor_open(struct sensor *s, const struct sensor_config *cfg)
{
	struct powercap *pc = calloc(1, sizeof(*pc));
	struct estimate *est = calloc(1, sizeof(*est));
	struct zone *z;

	if (!pc || !est) {
		free(pc);
		free(est);
		return -ENOMEM;
	}
	pc->zones = z = calloc(1, sizeof(*z));
	pc->root = strdup("estimate");
	if (!pc->zones || !pc->root) {
		powercap_free(pc);
		free(est);
		return -ENOMEM;
	}
	pc->nzones = pc->alloc = 1;
	strcpy(z->id, SENSOR_ESTIMATE_ZONE_ID);
	strcpy(z->name, "cpu");
	z->kind = ZONE_PACKAGE;
	/* Served to VMs as a package: it wraps where Intel's packages do. */
	z->max_energy_range_uj = ESTIMATE_MAX_ENERGY_RANGE_UJ;
	z->parent = -1;
	z->fd = -1;
	est->idle_watts_per_cpu = cfg->idle_watts_per_cpu;
	est->max_watts_per_cpu = cfg->max_watts_per_cpu;
	s->zones = pc;
	s->priv = est;
	return 0;
}

/*
 * The model: each CPU draws idle_watts when idle and max_watts when fully
 * busy, linearly in between; the machine's utilisation is its busy share of
 * all CPU time over the interval. Energy is that power over the measured
 * interval (CPU ticks are too coarse to time it).
 */
static void estimate_sensor_sample(struct sensor *s, const struct cpu_times *cpu, double interval_s)
{
	struct estimate *est = s->priv;
	struct zone *z = &s->zones->zones[0];
	uint64_t dtotal, dbusy;
	double util, watts;

	z->valid = false;
	z->delta_uj = 0;
	if (est->primed && interval_s > 0 && cpu->total > est->last_cpu.total &&
	    cpu->busy >= est->last_cpu.busy) {
		dtotal = cpu->total - est->last_cpu.total;
		dbusy = cpu->busy - est->last_cpu.busy;
		util = fmin(1.0, (double)dbusy / (double)dtotal);
		watts = cpu->ncpu * (est->idle_watts_per_cpu +
				     (est->max_watts_per_cpu - est->idle_watts_per_cpu) * util);
		z->delta_uj = (uint64_t)llround(watts * interval_s * 1e6);
		z->energy_uj += z->delta_uj;
		z->valid = true;
	}
	est->last_cpu = *cpu;
	est->primed = true;
}

static void estimate_sensor_close(struct sensor *s)
{
	powercap_free(s->zones);
	free(s->priv);
}

static const struct sensor_ops estimate_sensor_ops = {
	.name = "estimate",
	.open = estimate_sensor_open,
	.sample = estimate_sensor_sample,
	.close = estimate_sensor_close,
};

static const struct sensor_ops *const sensor_backends[] = {
	[SENSOR_POWERCAP] = &powercap_sensor_ops,
	[SENSOR_ESTIMATE] = &estimate_sensor_ops,
};

static struct sensor *sensor_try(enum sensor_kind kind, const struct sensor_config *cfg, int *err)
{
	struct sensor *s = calloc(1, sizeof(*s));

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->ops = sensor_backends[kind];
	*err = s->ops->open(s, cfg);
	if (*err < 0) {
		free(s);
		return NULL;
	}
	return s;
}

struct sensor *sensor_open(enum sensor_kind kind, const struct sensor_config *cfg)
{
	enum log_level level;
	const char *hint;
	struct sensor *s;
	int err;

	if (kind == SENSOR_ESTIMATE) {
		log_info("estimating power from CPU utilisation (%.1f W idle to %.1f W busy per CPU), "
			 "as asked: every figure is an estimate", cfg->idle_watts_per_cpu, cfg->max_watts_per_cpu);
		return sensor_try(SENSOR_ESTIMATE, cfg, &err);
	}
	/* a root the user named is read or is an error: a typo never becomes an estimate */
	if (kind == SENSOR_AUTO && cfg->root_given)
		kind = SENSOR_POWERCAP;
	s = sensor_try(SENSOR_POWERCAP, cfg, &err);
	if (s)
		return s;
	level = kind == SENSOR_AUTO ? LOG_LEVEL_WARNING : LOG_LEVEL_ERROR;
	hint = cfg->root_given ? " (the powercap root given: give the right one, or --sensor estimate)" : "";
	if (err == -EACCES)
		log_msg(level, "cannot read energy_uj under '%s': it is root-only since Linux 5.10; "
			"run as root or grant CAP_DAC_READ_SEARCH", cfg->powercap_root);
	else if (err == -ENOENT || err == -ENOTDIR)
		log_msg(level, "no powercap tree at '%s'%s", cfg->powercap_root, hint);
	else
		log_msg(level, "no readable powercap zone under '%s': %s%s", cfg->powercap_root,
			strerror(-err), hint);
	if (kind == SENSOR_POWERCAP)
		return NULL;
	log_warning("estimating power from CPU utilisation (%.1f W idle to %.1f W busy per CPU); "
		    "every figure is an estimate", cfg->idle_watts_per_cpu, cfg->max_watts_per_cpu);
	return sensor_try(SENSOR_ESTIMATE, cfg, &err);
}

bool sensor_is_estimate(const struct sensor *s)
{
	return s->ops == &estimate_sensor_ops;
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s);
}
