/* SPDX-License-Identifier: MIT */
/* The exporter backends, for the registry in exporter.c. */
#ifndef VPOWERCAP_EXPORTER_I_H
#define VPOWERCAP_EXPORTER_I_H

#include "common/exporter.h"

extern const struct exporter_ops stdout_exporter_ops;
extern const struct exporter_ops json_exporter_ops;
extern const struct exporter_ops prometheus_exporter_ops;

#endif
