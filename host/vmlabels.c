// SPDX-License-Identifier: MIT
/* VMs' labels: the allowlist, the book by UUID, the label file. */
#include "host/vmlabels.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/options.h"
#include "common/utf8.h"
#include "host/vmsource.h"

/* The per-VM metrics' own labels, and those Prometheus gives every target. */
static const char *const reserved_names[] = {
	"domain", "uuid", "zone", "name", "source", "vm_source", "job", "instance", "le", "quantile",
};

int vm_label_set_add(struct vm_label_set *s, const char *name, const char *value)
{
	char *n, *v;

	if (ALLOC_GROW(s->labels, s->n + 1, s->alloc) < 0)
		return -ENOMEM;
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	s->labels[s->n++] = (struct report_label){ .name = n, .value = v };
	return 0;
}

void vm_label_set_release(struct vm_label_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->labels[i].name);
		free((char *)s->labels[i].value);
	}
	free(s->labels);
	memset(s, 0, sizeof(*s));
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= VM_LABEL_NAME_MAX || isdigit((unsigned char)s[0]) ||
	    (len >= 2 && s[0] == '_' && s[1] == '_'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Call @fn on each name of comma-separated @list, spaces trimmed; stops at its first nonzero. */
static int each_name(const char *list, int (*fn)(const char *name, size_t len, void *arg), void *arg)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ','), *q;
		size_t len;
		int ret;

		if (!end)
			end = p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		q = end;
		while (q > p && isspace((unsigned char)q[-1]))
			q--;
		len = (size_t)(q - p);
		if (len && (ret = fn(p, len, arg)))
			return ret;
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct check_ctx {
	char *why;
	size_t size;
	unsigned n;
};

static int check_one(const char *name, size_t len, void *arg)
{
	struct check_ctx *c = arg;

	if (!valid_name(name, len)) {
		snprintf(c->why, c->size, "labels: '%.*s' is not a label name (letters, digits and '_', "
			 "not a digit first, not '__' first, under %d bytes)", (int)len, name, VM_LABEL_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strlen(reserved_names[i]) == len && !memcmp(reserved_names[i], name, len)) {
			snprintf(c->why, c->size, "labels: '%.*s' is a label the metrics or Prometheus "
				 "already set", (int)len, name);
			return -EINVAL;
		}
	if (++c->n > VM_LABELS_MAX) {
		snprintf(c->why, c->size, "labels: more than %d names", VM_LABELS_MAX);
		return -EINVAL;
	}
	return 0;
}

int vm_labels_check_allow(const char *allow, char *why, size_t size)
{
	struct check_ctx c = { .why = why, .size = size };

	return each_name(allow, check_one, &c);
}

void vm_labels_put(const struct vm_labels *l)
{
	struct vm_labels *m = (struct vm_labels *)l;

	if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

static const struct vm_labels *labels_get(const struct vm_labels *l)
{
	if (l)
		__atomic_add_fetch(&((struct vm_labels *)l)->refs, 1, __ATOMIC_RELAXED);
	return l;
}

static int compare_label(const void *a, const void *b)
{
	return strcmp(((const struct report_label *)a)->name, ((const struct report_label *)b)->name);
}

/*
 * One block holding @n labels of @from (their strings too), sorted by
 * name, one reference; NULL when @n is 0 or out of memory (*@nomem).
 */
static struct vm_labels *labels_new(const struct report_label *from, size_t n, bool *nomem)
{
	size_t size = sizeof(struct vm_labels) + n * sizeof(struct report_label);
	struct vm_labels *l;
	char *p;

	*nomem = false;
	if (!n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		size += strlen(from[i].name) + strlen(from[i].value) + 2;
	l = malloc(size);
	if (!l) {
		*nomem = true;
		return NULL;
	}
	l->refs = 1;
	l->n = n;
	p = (char *)&l->labels[n];
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(from[i].name) + 1, vl = strlen(from[i].value) + 1;

		l->labels[i].name = memcpy(p, from[i].name, nl);
		p += nl;
		l->labels[i].value = memcpy(p, from[i].value, vl);
		p += vl;
	}
	qsort(l->labels, n, sizeof(l->labels[0]), compare_label);
	return l;
}

struct book_entry {
	char uuid[VM_UUID_MAX];
	struct vm_labels *source;  /* from the VM source, allowed */
	struct vm_labels *file;    /* from the label file, allowed */
	struct vm_labels *merged;  /* what readers get; NULL: to be made */
	bool put;                  /* the source put its labels (maybe none) */
	bool kept;                 /* put or kept since the last sweep */
};

struct vm_label_book {
	pthread_mutex_t lock;
	char allow[VM_LABELS_MAX][VM_LABEL_NAME_MAX];
	size_t nallow;
	struct book_entry *entries;  /* sorted by uuid */
	size_t n, alloc;
};

static int add_allowed(const char *name, size_t len, void *arg)
{
	struct vm_label_book *b = arg;

	if (b->nallow < VM_LABELS_MAX && len < VM_LABEL_NAME_MAX) {
		memcpy(b->allow[b->nallow], name, len);
		b->allow[b->nallow++][len] = '\0';
	}
	return 0;
}

struct vm_label_book *vm_label_book_new(const char *allow)
{
	struct vm_label_book *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	pthread_mutex_init(&b->lock, NULL);
	each_name(allow, add_allowed, b);
	return b;
}

static void entry_release(struct book_entry *e)
{
	vm_labels_put(e->source);
	vm_labels_put(e->file);
	vm_labels_put(e->merged);
}

void vm_label_book_free(struct vm_label_book *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		entry_release(&b->entries[i]);
	free(b->entries);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

bool vm_label_book_allows(const struct vm_label_book *b, const char *name)
{
	for (size_t i = 0; i < b->nallow; i++)
		if (!strcmp(b->allow[i], name))
			return true;
	return false;
}

/* The entry of @uuid, or where it would go (*@found false). Under the lock. */
static size_t find_entry(const struct vm_label_book *b, const char *uuid, bool *found)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(b->entries[mid].uuid, uuid);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* The entry of @uuid, added when missing; NULL when out of memory. Under the lock. */
static struct book_entry *entry_of(struct vm_label_book *b, const char *uuid)
{
	bool found;
	size_t at = find_entry(b, uuid, &found);
	struct book_entry *e;

	if (found)
		return &b->entries[at];
	if (strlen(uuid) >= VM_UUID_MAX || ALLOC_GROW(b->entries, b->n + 1, b->alloc) < 0)
		return NULL;
	memmove(&b->entries[at + 1], &b->entries[at], (b->n - at) * sizeof(b->entries[0]));
	b->n++;
	e = &b->entries[at];
	memset(e, 0, sizeof(*e));
	snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
	return e;
}

/* The allowed labels of @raw, values cleaned; *@out NULL when none. */
static int allowed_labels(const struct vm_label_book *b, const struct vm_label_set *raw,
			  struct vm_labels **out)
{
	struct report_label keep[VM_LABELS_MAX];
	char values[VM_LABELS_MAX][VM_LABEL_VALUE_MAX];
	size_t n = 0;
	bool nomem;

	for (size_t i = 0; i < raw->n; i++) {
		bool dup = false;

		if (!vm_label_book_allows(b, raw->labels[i].name))
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= !strcmp(keep[j].name, raw->labels[i].name);
		if (dup || n == VM_LABELS_MAX)
			continue;  /* the first of a name wins */
		utf8_copy_clean(values[n], sizeof(values[n]), raw->labels[i].value);
		keep[n] = (struct report_label){ .name = raw->labels[i].name, .value = values[n] };
		n++;
	}
	*out = labels_new(keep, n, &nomem);
	return nomem ? -ENOMEM : 0;
}

int vm_label_book_put(struct vm_label_book *b, const char *uuid, const struct vm_label_set *raw)
{
	struct vm_labels *l;
	struct book_entry *e;
	int ret = allowed_labels(b, raw, &l);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&b->lock);
	e = entry_of(b, uuid);
	if (e) {
		vm_labels_put(e->source);
		e->source = l;
		vm_labels_put(e->merged);
		e->merged = NULL;
		e->put = e->kept = true;
	}
	pthread_mutex_unlock(&b->lock);
	if (!e) {
		vm_labels_put(l);
		return -ENOMEM;
	}
	return 0;
}

bool vm_label_book_keep(struct vm_label_book *b, const char *uuid)
{
	bool found, had;
	size_t at;

	pthread_mutex_lock(&b->lock);
	at = find_entry(b, uuid, &found);
	/* an entry of the file alone has not had its source's labels yet */
	had = found && b->entries[at].put;
	if (found)
		b->entries[at].kept = true;
	pthread_mutex_unlock(&b->lock);
	return had;
}

void vm_label_book_sweep(struct vm_label_book *b)
{
	size_t n = 0;

	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < b->n; i++) {
		struct book_entry *e = &b->entries[i];

		if (!e->kept && e->put) {
			vm_labels_put(e->source);
			e->source = NULL;
			vm_labels_put(e->merged);
			e->merged = NULL;
			e->put = false;
		}
		e->kept = false;
		if (!e->file && !e->put) {
			entry_release(e);
			continue;
		}
		b->entries[n++] = *e;
	}
	b->n = n;
	pthread_mutex_unlock(&b->lock);
}

/* The source's labels, then the file's of other names. Under the lock. */
static struct vm_labels *merge(const struct book_entry *e)
{
	struct report_label all[2 * VM_LABELS_MAX];
	size_t n = 0;
	bool nomem;

	if (!e->file)
		return (struct vm_labels *)labels_get(e->source);
	if (!e->source)
		return (struct vm_labels *)labels_get(e->file);
	for (size_t i = 0; i < e->source->n; i++)
		all[n++] = e->source->labels[i];
	for (size_t i = 0; i < e->file->n; i++) {
		bool dup = false;

		for (size_t j = 0; j < e->source->n; j++)
			dup |= !strcmp(e->source->labels[j].name, e->file->labels[i].name);
		if (!dup)
			all[n++] = e->file->labels[i];
	}
	return labels_new(all, n, &nomem);
}

const struct vm_labels *vm_label_book_get(struct vm_label_book *b, const char *uuid)
{
	const struct vm_labels *l = NULL;
	bool found;
	size_t at;

	pthread_mutex_lock(&b->lock);
	at = find_entry(b, uuid, &found);
	if (found) {
		struct book_entry *e = &b->entries[at];

		if (!e->merged)
			e->merged = merge(e);
		l = labels_get(e->merged);
	}
	pthread_mutex_unlock(&b->lock);
	return l;
}

struct load_ctx {
	struct vm_label_book *book;
	char section[VM_UUID_MAX];   /* lowercase */
	char raw_section[VM_UUID_MAX];  /* as written */
	struct vm_label_set set;
	int error;
	struct ini_reader r;         /* the line and the reason of the first error */
};

/* The labels gathered for the last section go into the book. */
static int load_flush(struct load_ctx *c)
{
	struct vm_labels *l;
	struct book_entry *e;
	int ret;

	if (!c->section[0])
		return 0;
	ret = allowed_labels(c->book, &c->set, &l);
	vm_label_set_release(&c->set);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&c->book->lock);
	e = entry_of(c->book, c->section);
	if (e) {
		vm_labels_put(e->file);
		e->file = l;
		vm_labels_put(e->merged);
		e->merged = NULL;
	}
	pthread_mutex_unlock(&c->book->lock);
	if (!e) {
		vm_labels_put(l);
		return -ENOMEM;
	}
	return 0;
}

static int load_line(void *arg, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = arg;

	if (c->r.error_line)
		return 0;  /* the first error is the one told */
	if (!section[0]) {
		c->error = -EINVAL;
		ini_reader_refuse(&c->r, "'%s' outside a [UUID] section", name);
		return 0;
	}
	if (!c->raw_section[0] || strcmp(section, c->raw_section)) {
		if (load_flush(c) < 0) {
			c->error = -ENOMEM;
			ini_reader_refuse(&c->r, "out of memory");
			return 0;
		}
		if (strlen(section) >= VM_UUID_MAX) {
			c->error = -EINVAL;
			ini_reader_refuse(&c->r, "section '%s' is not a VM's UUID", section);
			return 0;
		}
		snprintf(c->section, sizeof(c->section), "%s", section);
		snprintf(c->raw_section, sizeof(c->raw_section), "%s", section);
		for (char *p = c->section; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (!valid_name(name, strlen(name))) {
		c->error = -EINVAL;
		ini_reader_refuse(&c->r, "'%s' is not a label name", name);
		return 0;
	}
	if (c->set.n >= VM_LABELS_MAX || !vm_label_book_allows(c->book, name))
		return 1;  /* dropped by the allowlist anyway: bounded whatever the file holds */
	if (vm_label_set_add(&c->set, name, value) < 0) {
		c->error = -ENOMEM;
		ini_reader_refuse(&c->r, "out of memory");
		return 0;
	}
	return 1;
}

int vm_label_book_load(struct vm_label_book *b, const char *path)
{
	struct load_ctx c = { .book = b };
	int line = ini_reader_parse(&c.r, path, load_line, &c);

	if (line == 0 && load_flush(&c) < 0) {
		vm_label_set_release(&c.set);
		return log_error(-ENOMEM, "labels: out of memory");
	}
	vm_label_set_release(&c.set);
	if (line < 0)
		return log_error(line, "labels: cannot read '%s': %s", path, strerror(-line));
	if (line > 0)
		return log_error(c.error ? c.error : -EINVAL, "%s:%d: %s", path, line,
				 c.r.why[0] ? c.r.why : "not 'name = value' nor '[UUID]'");
	return 0;
}
