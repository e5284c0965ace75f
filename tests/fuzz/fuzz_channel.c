// SPDX-License-Identifier: MIT
/*
 * Fuzz the guest's reading of the channel (common/channel.c): the input is
 * what a port delivers, in pieces of varied sizes; every frame that comes
 * out re-encodes and decodes to itself, and is counted into a guest tree
 * (guest/channel_tree.c, counting alone) whose counters never go back.
 */
#include <string.h>

#include "common/channel.h"
#include "guest/channel_tree.h"
#include "tests/fuzz/fuzz_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct channel_reader r;
	static struct channel_tree t;
	static char buf[CHANNEL_FRAME_MAX];
	size_t off = 0, piece = size ? (size_t)data[0] % 61 + 1 : 1;

	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	while (off < size) {
		struct channel_frame f, g;
		size_t room, n;
		char *space = channel_reader_space(&r, &room), why[160];
		int ret;

		n = size - off < piece ? size - off : piece;
		n = n < room ? n : room;
		memcpy(space, data + off, n);
		channel_reader_add(&r, n);
		off += n;
		while ((ret = channel_reader_next(&r, &f, why, sizeof(why))) != 0) {
			uint64_t before[CHANNEL_ZONES_MAX];
			int len;

			if (ret < 0)
				continue;
			len = channel_encode(&f, buf, sizeof(buf));
			if (len < 0)
				__builtin_trap();
			{
				const char *nl = memchr(buf, '\n', (size_t)len);

				if (!nl || channel_parse(nl + 1, (size_t)(buf + len - nl - 1), &g, why, sizeof(why)) < 0 ||
				    g.nzones != f.nzones || g.epoch != f.epoch || strcmp(g.host, f.host))
					__builtin_trap();
			}
			for (size_t i = 0; i < t.nzones; i++)
				before[i] = t.zones[i].energy_uj;
			if (!channel_tree_count(&t, &f)) {
				/* a counter only goes back by wrapping within its range */
				for (size_t i = 0; i < t.nzones; i++)
					if (t.zones[i].energy_uj < before[i] && !t.zones[i].max_energy_range_uj)
						__builtin_trap();
			}
		}
	}
	return 0;
}
