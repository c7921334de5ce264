#include "triage/spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/tmp.h"

#define BLOCK 1024               /* findings per cache block (64 KiB) */
#define NCACHE 64                /* cached blocks: 4 MiB */

struct cblock {
	long id;                 /* block number, -1 empty */
	int dirty;
	struct spot *v;
};

struct spool {
	struct spot *mem;        /* current run (or everything, when it fits) */
	size_t nmem;
	FILE *runs;              /* sorted runs of SPOOL_RUN findings */
	size_t nruns;
	size_t total;
	uint32_t seq;
	FILE *sorted;            /* merged result when runs were spilled */
	struct cblock cache[NCACHE];
};

static int spot_cmp(const void *a, const void *b)
{
	const struct spot *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct spool *spool_new(void)
{
	struct spool *s = calloc(1, sizeof *s);
	size_t i;

	if (!s)
		return NULL;
	s->mem = malloc(SPOOL_RUN * sizeof *s->mem);
	if (!s->mem) {
		free(s);
		return NULL;
	}
	for (i = 0; i < NCACHE; i++)
		s->cache[i].id = -1;
	return s;
}

static int spill(struct spool *s)
{
	if (!s->runs && !(s->runs = tmp_file()))
		return -1;
	qsort(s->mem, s->nmem, sizeof *s->mem, spot_cmp);
	if (fwrite(s->mem, sizeof *s->mem, s->nmem, s->runs) != s->nmem)
		return -1;
	s->nruns++;
	s->nmem = 0;
	return 0;
}

int spool_add(struct spool *s, const struct spot *f)
{
	if (s->nmem == SPOOL_RUN && spill(s) < 0)
		return -1;
	s->mem[s->nmem] = *f;
	s->mem[s->nmem].seq = s->seq++;
	s->nmem++;
	s->total++;
	return 0;
}

/* k-way merge of the runs into s->sorted, through one small buffer per run. */
static int merge(struct spool *s)
{
	enum { RB = 256 };
	struct run { size_t next, end, have, pos; struct spot buf[RB]; } *r;
	size_t k = s->nruns, i;
	int rc = -1;

	r = calloc(k, sizeof *r);
	if (!r || !(s->sorted = tmp_file()))
		goto out;
	for (i = 0; i < k; i++) {
		r[i].next = i * SPOOL_RUN;
		r[i].end = i + 1 == k ? s->total : (i + 1) * SPOOL_RUN;
	}
	for (;;) {
		size_t best = k;

		for (i = 0; i < k; i++) {
			if (r[i].pos == r[i].have && r[i].next < r[i].end) {
				size_t n = r[i].end - r[i].next;

				if (n > RB)
					n = RB;
				if (fseeko(s->runs, (off_t)(r[i].next * sizeof(struct spot)), SEEK_SET) < 0 ||
				    fread(r[i].buf, sizeof(struct spot), n, s->runs) != n)
					goto out;
				r[i].next += n;
				r[i].have = n;
				r[i].pos = 0;
			}
			if (r[i].pos < r[i].have &&
			    (best == k || spot_cmp(&r[i].buf[r[i].pos], &r[best].buf[r[best].pos]) < 0))
				best = i;
		}
		if (best == k)
			break;
		if (fwrite(&r[best].buf[r[best].pos++], sizeof(struct spot), 1, s->sorted) != 1)
			goto out;
	}
	rc = fflush(s->sorted);
out:
	free(r);
	return rc;
}

int spool_each(struct spool *s, int (*fn)(void *ctx, const struct spot *f), void *ctx)
{
	struct spot chunk[256];
	size_t i, n;

	if (s->runs) {
		if (fflush(s->runs) != 0 || fseeko(s->runs, 0, SEEK_SET) < 0)
			return -1;
		while ((n = fread(chunk, sizeof *chunk, sizeof chunk / sizeof *chunk, s->runs)) > 0)
			for (i = 0; i < n; i++)
				if (fn(ctx, &chunk[i]))
					return -1;
		if (ferror(s->runs) || fseeko(s->runs, 0, SEEK_END) < 0)
			return -1;
	}
	for (i = 0; i < s->nmem; i++)
		if (fn(ctx, &s->mem[i]))
			return -1;
	return 0;
}

int spool_sort(struct spool *s)
{
	if (!s->nruns) {
		qsort(s->mem, s->nmem, sizeof *s->mem, spot_cmp);
		return 0;
	}
	/* the last run is written like the others, then everything merges */
	if (s->nmem && spill(s) < 0)
		return -1;
	if (fflush(s->runs) != 0 || merge(s) < 0)
		return -1;
	fclose(s->runs);
	s->runs = NULL;
	return 0;
}

size_t spool_count(const struct spool *s)
{
	return s->total;
}

static int flush_block(struct spool *s, struct cblock *b)
{
	size_t n = BLOCK;

	if (!b->dirty)
		return 0;
	if ((size_t)b->id * BLOCK + n > s->total)
		n = s->total - (size_t)b->id * BLOCK;
	if (fseeko(s->sorted, (off_t)b->id * BLOCK * (off_t)sizeof(struct spot), SEEK_SET) < 0 ||
	    fwrite(b->v, sizeof(struct spot), n, s->sorted) != n)
		return -1;
	b->dirty = 0;
	return 0;
}

static struct spot *at(struct spool *s, size_t i)
{
	long id = (long)(i / BLOCK);
	struct cblock *b = &s->cache[id % NCACHE];

	if (!s->sorted)
		return &s->mem[i];
	if (b->id != id) {
		size_t n = BLOCK;

		if (b->id >= 0 && flush_block(s, b) < 0)
			return NULL;
		if (!b->v && !(b->v = malloc(BLOCK * sizeof *b->v)))
			return NULL;
		if ((size_t)id * BLOCK + n > s->total)
			n = s->total - (size_t)id * BLOCK;
		if (fseeko(s->sorted, (off_t)id * BLOCK * (off_t)sizeof(struct spot), SEEK_SET) < 0 ||
		    fread(b->v, sizeof(struct spot), n, s->sorted) != n) {
			b->id = -1;
			return NULL;
		}
		b->id = id;
	}
	return &b->v[i % BLOCK];
}

int spool_get(struct spool *s, size_t i, struct spot *out)
{
	struct spot *p = i < s->total ? at(s, i) : NULL;

	if (!p)
		return -1;
	*out = *p;
	return 0;
}

int spool_put(struct spool *s, size_t i, const struct spot *f)
{
	struct spot *p = i < s->total ? at(s, i) : NULL;

	if (!p)
		return -1;
	*p = *f;
	if (s->sorted)
		s->cache[(i / BLOCK) % NCACHE].dirty = 1;
	return 0;
}

void spool_free(struct spool *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < NCACHE; i++)
		free(s->cache[i].v);
	if (s->runs)
		fclose(s->runs);
	if (s->sorted)
		fclose(s->sorted);
	free(s->mem);
	free(s);
}
