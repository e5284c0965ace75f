// SPDX-License-Identifier: MIT
/* The snapshot publisher: reference counts, no lock between the sides. */
#include "common/publish_i.h"

void publisher_init(struct publisher *p, struct published *first, void (*free_fn)(struct published *))
{
	first->refs = 1;
	first->next = NULL;
	p->current = first;
	p->taking = 0;
	p->retired = NULL;
	p->free = free_fn;
}

/*
 * Free the retired snapshots no reader holds. A reader that loaded the
 * current pointer before a swap counts its reference before it leaves
 * "taking": with no reader taking, after the swap, the counts are final.
 */
static void sweep(struct publisher *p)
{
	if (__atomic_load_n(&p->taking, __ATOMIC_SEQ_CST) != 0)
		return;  /* a reader is between load and count: next time */
	for (struct published **pp = &p->retired; *pp;) {
		struct published *s = *pp;

		if (__atomic_load_n(&s->refs, __ATOMIC_ACQUIRE) == 0) {
			*pp = s->next;
			p->free(s);
		} else {
			pp = &s->next;
		}
	}
}

void publisher_publish(struct publisher *p, struct published *s)
{
	struct published *old;

	s->refs = 1;
	s->next = NULL;
	old = __atomic_exchange_n(&p->current, s, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&old->refs, 1, __ATOMIC_SEQ_CST);
	old->next = p->retired;
	p->retired = old;
	sweep(p);
}

struct published *publisher_get(struct publisher *p)
{
	struct published *s;

	__atomic_add_fetch(&p->taking, 1, __ATOMIC_SEQ_CST);
	s = __atomic_load_n(&p->current, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&p->taking, 1, __ATOMIC_SEQ_CST);
	return s;
}

void publisher_put(struct publisher *p, struct published *s)
{
	(void)p;
	__atomic_sub_fetch(&s->refs, 1, __ATOMIC_RELEASE);
}

size_t publisher_retired(const struct publisher *p)
{
	size_t n = 0;

	for (const struct published *s = p->retired; s; s = s->next)
		n++;
	return n;
}

void publisher_release(struct publisher *p)
{
	while (p->retired) {
		struct published *s = p->retired;

		p->retired = s->next;
		p->free(s);
	}
	if (p->current)
		p->free(p->current);
	p->current = NULL;
}
