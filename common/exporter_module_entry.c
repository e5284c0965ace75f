// SPDX-License-Identifier: MIT
/* The network exporters' module's one symbol: see exporter_module_i.h. */
#include "common/exporter_i.h"
#include "common/exporter_module_i.h"
#include "common/version.h"

__attribute__((visibility("default")))
const struct exporter_module vpowercap_exporter_module = {
	.head = { .version = VPOWERCAP_VERSION, .size = sizeof(struct exporter_module) },
	.push = &push_exporter_ops,
	.riemann = &riemann_exporter_ops,
	.warp10 = &warp10_exporter_ops,
};
