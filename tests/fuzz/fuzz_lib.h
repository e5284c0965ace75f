/* SPDX-License-Identifier: MIT */
/* What the fuzz harnesses share: the input as a NUL-terminated string, or in a file. */
#ifndef VPOWERCAP_FUZZ_LIB_H
#define VPOWERCAP_FUZZ_LIB_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, called once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** A malloc'd copy of @data with a NUL after it (NUL bytes inside stay). */
char *fuzz_string(const uint8_t *data, size_t size);

/**
 * Write @data to @path (truncating it). Returns 0, or -1: the harness then
 * skips the input.
 */
int fuzz_write_file(const char *path, const uint8_t *data, size_t size);

/** A private directory made once per run (mkdtemp), removed at exit. */
const char *fuzz_dir(void);

#endif
