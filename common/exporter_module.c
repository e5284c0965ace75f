// SPDX-License-Identifier: MIT
/* Loading the network exporters' module: see exporter_module_i.h. */
#include "common/exporter_module_i.h"

#include <pthread.h>

/* Present when the program was linked with the module's objects (the tests). */
extern const struct exporter_module vpowercap_exporter_module __attribute__((weak));

static const struct exporter_module *loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	if (&vpowercap_exporter_module) {
		loaded = &vpowercap_exporter_module;
		return;
	}
	loaded = module_load(EXPORTER_MODULE_FILE, "vpowercap_exporter_module", sizeof(*loaded),
			     "the network exporters' module",
			     "install it: the vpowercap-exporters package, or 'make install-agent', "
			     "to use prometheus-push, riemann or warp10");
}

const struct exporter_ops *exporter_module_ops(enum exporter_kind kind)
{
	pthread_once(&load_once, load);
	if (!loaded)
		return NULL;
	switch (kind) {
	case EXPORTER_PROMETHEUS_PUSH:
		return loaded->push;
	case EXPORTER_RIEMANN:
		return loaded->riemann;
	case EXPORTER_WARP10:
		return loaded->warp10;
	default:
		return NULL;
	}
}
