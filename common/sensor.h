/* SPDX-License-Identifier: MIT */
/*
 * Sensors: where a machine's energy comes from. The powercap sensor reads a
 * powercap tree; the estimate sensor models power from CPU utilisation where
 * there is no tree. Both present their energy as powercap zones, so everything
 * downstream reads one kind of data.
 */
#ifndef VPOWERCAP_SENSOR_H
#define VPOWERCAP_SENSOR_H

#include <stdbool.h>

#include "common/powercap.h"
#include "common/proc.h"

enum sensor_kind {
	SENSOR_AUTO,
	SENSOR_POWERCAP,
	SENSOR_ESTIMATE,
	SENSOR_KIND_COUNT,
};

/** "auto", "powercap", "estimate", NULL-terminated, indexed by the enum. */
extern const char *const sensor_kind_names[];

struct sensor_config {
	const char *powercap_root;
	/*
	 * Whether the user named @powercap_root: then "auto" reads it or
	 * fails, and falls back to the estimate only from the default path.
	 */
	bool root_given;
	/*
	 * The estimate's linear model, per CPU: idle_watts at 0% busy rising
	 * to max_watts at 100% busy.
	 */
	double idle_watts_per_cpu;
	double max_watts_per_cpu;
};

struct sensor;

struct sensor_ops {
	const char *name;  /* what outputs call the source: "powercap", "estimate" */
	int (*open)(struct sensor *s, const struct sensor_config *cfg);
	/*
	 * Take one sample; @cpu is the machine's CPU time read just now and
	 * @interval_s the time since the previous sample (0 at the first).
	 */
	void (*sample)(struct sensor *s, const struct cpu_times *cpu, double interval_s);
	void (*close)(struct sensor *s);
};

struct sensor {
	const struct sensor_ops *ops;
	struct powercap *zones;  /* the sensor's zones, owned by the sensor */
	void *priv;              /* the backend's own state */
};

/**
 * Open the sensor of @kind. SENSOR_AUTO opens the powercap tree when it is
 * readable and the estimate otherwise, logging which and why. Returns NULL
 * after logging the reason (a forced powercap sensor with no tree).
 */
struct sensor *sensor_open(enum sensor_kind kind, const struct sensor_config *cfg);

/** Close and free @s; NULL is fine. */
void sensor_free(struct sensor *s);

static inline void sensor_sample(struct sensor *s, const struct cpu_times *cpu, double interval_s)
{
	s->ops->sample(s, cpu, interval_s);
}

static inline const char *sensor_source(const struct sensor *s)
{
	return s->ops->name;
}

/** The id of the estimate's one zone (a powercap tree's ids all hold a ':'). */
#define SENSOR_ESTIMATE_ZONE_ID "estimate"

/** Whether @s is the estimate: its figures are modelled, not measured. */
bool sensor_is_estimate(const struct sensor *s);

#endif
