// SPDX-License-Identifier: MIT
/* Fuzz the tree server's snapshot decoder (fuse/feed.c), and re-encode what it accepts. */
#include <stdlib.h>
#include <string.h>

#include "fuse/feed.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree_snapshot *s, *again;
	uint64_t seq, seq2;
	char why[128];
	void *buf;
	size_t len;

	s = feed_decode_snapshot(data, size, &seq, why, sizeof(why));
	if (!s)
		return 0;
	/* what is accepted encodes, and decodes to the same counts */
	if (feed_encode_snapshot(s, seq, &buf, &len) == 0) {
		again = feed_decode_snapshot(buf, len, &seq2, why, sizeof(why));
		if (!again || again->nvms != s->nvms || again->nzones != s->nzones || seq2 != seq)
			__builtin_trap();
		tree_snapshot_free(again);
		free(buf);
	}
	tree_snapshot_free(s);
	return 0;
}
