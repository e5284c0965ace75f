/* SPDX-License-Identifier: MIT */
/*
 * The network exporters (prometheus-push, riemann, warp10) live in a
 * module, vpowercap-exporters.so, loaded when one of them is named: a
 * program that names none never loads libcurl or the Riemann client, and a
 * package can recommend them rather than depend on them.
 */
#ifndef VPOWERCAP_EXPORTER_MODULE_I_H
#define VPOWERCAP_EXPORTER_MODULE_I_H

#include <stddef.h>

#include "common/exporter.h"
#include "common/module.h"

#define EXPORTER_MODULE_FILE "vpowercap-exporters.so"

/* What the module exports, as the symbol vpowercap_exporter_module. */
struct exporter_module {
	struct module_head head;  /* its build's version, sizeof(struct exporter_module) */
	const struct exporter_ops *push, *riemann, *warp10;
};

/**
 * The ops of network exporter @kind, from the module (loaded once, and
 * kept); NULL after logging why (not installed, another build's).
 */
const struct exporter_ops *exporter_module_ops(enum exporter_kind kind);

#endif
