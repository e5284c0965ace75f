// SPDX-License-Identifier: MIT
/* Fuzz the config file loader (common/options.c) with a row of each kind. */
#include <stdio.h>
#include <string.h>

#include "common/options.h"
#include "tests/fuzz/fuzz_lib.h"

struct fuzz_config {
	char path[64];
	char list[128];
	unsigned count;
	double watts;
	int choice;
};

static const char *const choice_names[] = { "one", "two", NULL };

#define OPTIONS_STRUCT struct fuzz_config
static const struct option_spec specs[] = {
	OPT_STRING("daemon", "path", 0, path, "DIR", "a string"),
	OPT_LIST("prometheus", "listen", 0, list, "ADDR:PORT", "a list"),
	OPT_UNSIGNED("output", "count", 'n', count, 0, 100000, "N", "a whole number"),
	OPT_DOUBLE("attribution", "watts", 0, watts, 0, 1000, "W", "a number"),
	OPT_CHOICE("daemon", "choice", 0, choice, choice_names, "a choice"),
};
#undef OPTIONS_STRUCT

static const struct options_program program = {
	.name = "fuzz-options",
	.synopsis = "",
	.specs = specs,
	.nspecs = sizeof(specs) / sizeof(specs[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_config cfg = { .count = 1 };
	char path[128];

	snprintf(path, sizeof(path), "%s/config", fuzz_dir());
	if (fuzz_write_file(path, data, size) < 0)
		return 0;
	options_load_file(&program, &cfg, path);
	if (strnlen(cfg.path, sizeof(cfg.path)) == sizeof(cfg.path) ||
	    strnlen(cfg.list, sizeof(cfg.list)) == sizeof(cfg.list) || cfg.count > 100000 ||
	    !(cfg.watts >= 0 && cfg.watts <= 1000) || cfg.choice < 0 || cfg.choice > 1)
		__builtin_trap();
	return 0;
}
