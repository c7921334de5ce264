#include "read/source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Raw reads this large keep syscalls and inflate calls well amortised. */
#define SOURCE_CHUNK ((size_t)256 << 10)

/*
 * Read-ahead: a gzip file or pipe is inflated by a second thread into a
 * ring of blocks, while the caller frames and matches what came before.
 * The ring is a strict queue and the thread never speaks itself (its one
 * possible warning waits in the source until the reader reaches the end),
 * so what the reader sees, and when warnings appear, is the same as
 * without the thread.
 */
#define RA_SLOTS 4
#define RA_BLOCK SOURCE_CHUNK

struct ra_block {
	char *data;
	size_t len, off;
	long long consumed;  /* raw bytes read when the block was filled */
	int end;             /* 0 data, 1 end of input, -1 read error (err) */
	struct diag err;
};

struct readahead {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t put, get;   /* a slot is free / a block is ready */
	struct ra_block blk[RA_SLOTS];
	unsigned head, count;      /* the reader's block; blocks ready */
	int stop;
};

struct source {
	char *name;
	int fd;              /* -1 for memory */
	int own_fd;
	const char *mem;
	size_t mem_len, mem_pos;
	long long size;
	long long consumed;
	struct warn_sink warn;

	/* Raw bytes read ahead: the magic-byte sniff and the inflate input. */
	unsigned char *in;
	size_t in_pos, in_len;
	int raw_eof;
	int sniffed;

	int gzip;
	z_stream z;
	int z_live;          /* inflateInit2 done */
	int member_open;     /* a gzip member started and has not ended */
	int done;            /* gzip: nothing more will be produced */
	int follow;          /* at the end of a regular file, wait for more */
	int regular;
	/* gzip's one warning (truncated, corrupt, trailing garbage), given
	 * when the reader reaches the end of what was inflated before it */
	char pending[160];
	long long part;      /* source_open_part: the offset it starts at, else -1 */
	long long part_soft; /* and where reads stop short until they reach it */
	int want_ra;         /* source_readahead(s, 1) */
	int ra_tried;
	struct readahead *ra;
	long long ra_consumed;   /* consumed as of the reader's block */
};

static struct source *source_new(const char *name, const struct warn_sink *w)
{
	struct source *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return NULL;
	}
	s->fd = -1;
	s->size = -1;
	s->part = -1;
	if (w)
		s->warn = *w;
	return s;
}

struct source *source_open(const char *path, const struct warn_sink *w,
			   struct diag *d)
{
	struct source *s;
	struct stat st;
	int is_stdin = strcmp(path, "-") == 0;
	int fd;

	if (is_stdin) {
		fd = STDIN_FILENO;
	} else {
		do
			fd = open(path, O_RDONLY | O_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			diag_set(d, NULL, 0, 0, "cannot open '%s': %s", path,
				 strerror(errno));
			return NULL;
		}
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!is_stdin)
			close(fd);
		diag_set(d, NULL, 0, 0, "'%s': is a directory", path);
		return NULL;
	}
	s = source_new(is_stdin ? "<stdin>" : path, w);
	if (!s) {
		if (!is_stdin)
			close(fd);
		diag_set(d, NULL, 0, 0, "cannot open '%s': %s", path,
			 strerror(ENOMEM));
		return NULL;
	}
	s->fd = fd;
	s->own_fd = !is_stdin;
	if (S_ISREG(st.st_mode)) {
		s->regular = 1;
		s->size = (long long)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	return s;
}

struct source *source_open_mem(const char *name, const char *data, size_t len,
			       const struct warn_sink *w)
{
	struct source *s = source_new(name ? name : "<memory>", w);

	if (!s)
		return NULL;
	s->mem = data;
	s->mem_len = len;
	s->size = (long long)len;
	return s;
}

struct source *source_open_part(const char *name, int fd, long long off, long long soft,
				long long size)
{
	struct source *s = source_new(name, NULL);

	if (!s)
		return NULL;
	s->fd = fd;
	s->part = off;
	s->part_soft = soft;
	s->regular = 1;
	s->size = size - off;
	s->sniffed = 1;   /* plain bytes: the caller knows it is no gzip */
	return s;
}

/*
 * read(2) that retries on EINTR and, when following a regular file, waits
 * at its end for the writer to append (as tail -f does). A pipe's end is
 * final: its writer has gone.
 */
/*
 * Following by name at the end of a regular file: 1 when the path now
 * names another file (rotated: the old one is drained, so the new one is
 * opened and read from its start) or the file shrank (truncated in place:
 * read again from the start), after saying so; 0 when nothing changed.
 */
static int follow_moved(struct source *s)
{
	struct stat now, cur;
	off_t off;
	int fd;

	if (!s->own_fd || fstat(s->fd, &cur) < 0 || stat(s->name, &now) < 0)
		return 0;   /* renamed away and not made again yet: wait */
	if (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev) {
		if (!S_ISREG(now.st_mode))
			return 0;
		do
			fd = open(s->name, O_RDONLY | O_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			return 0;
		close(s->fd);
		s->fd = fd;
		warn_emit(&s->warn, s->name, 0, 0, "replaced (rotated): following the new file");
		return 1;
	}
	off = lseek(s->fd, 0, SEEK_CUR);
	if (off > 0 && cur.st_size < off) {
		lseek(s->fd, 0, SEEK_SET);
		warn_emit(&s->warn, s->name, 0, 0, "truncated: reading it again from the start");
		return 1;
	}
	return 0;
}

static ssize_t fd_read(struct source *s, void *buf, size_t n)
{
	for (;;) {
		long long at = s->part + s->consumed;
		ssize_t r;

		if (s->part >= 0 && at < s->part_soft && (long long)n > s->part_soft - at)
			n = (size_t)(s->part_soft - at);
		r = s->part >= 0 ? pread(s->fd, buf, n, (off_t)at) : read(s->fd, buf, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && s->follow && s->regular) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			if (!follow_moved(s))
				nanosleep(&ts, NULL);
			continue;
		}
		return r;
	}
}

int source_ready(struct source *s, int ms)
{
	struct timespec t0, t, nap = { 0, 50 * 1000 * 1000 };
	struct stat st;

	if (s->gzip || s->ra || s->fd < 0 || s->raw_eof || s->in_len > s->in_pos)
		return 1;
	if (!s->regular) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		int rc;

		do
			rc = poll(&p, 1, ms);
		while (rc < 0 && errno == EINTR);
		return rc != 0;
	}
	if (!s->follow)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		off_t off = lseek(s->fd, 0, SEEK_CUR);
		struct stat now;

		if (fstat(s->fd, &st) < 0 || st.st_size != off)
			return 1;
		if (s->own_fd && stat(s->name, &now) == 0 &&
		    (now.st_ino != st.st_ino || now.st_dev != st.st_dev))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return 0;
		nanosleep(&nap, NULL);
	}
}

void source_follow(struct source *s, int on)
{
	s->follow = on;
}

/* Fill s->in from the underlying stream, keeping unread bytes. Returns bytes
 * added, 0 at end of input, -1 on a read error. */
static long raw_fill(struct source *s, struct diag *d)
{
	size_t room;
	ssize_t n;

	if (s->raw_eof)
		return 0;
	if (!s->in && !(s->in = malloc(SOURCE_CHUNK)))
		return diag_set(d, NULL, 0, 0, "cannot read '%s': %s", s->name, strerror(ENOMEM));
	if (s->in_pos > 0) {
		memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
		s->in_len -= s->in_pos;
		s->in_pos = 0;
	}
	room = SOURCE_CHUNK - s->in_len;
	if (room == 0)
		return 0;
	if (s->fd < 0) {
		n = (ssize_t)(s->mem_len - s->mem_pos);
		if ((size_t)n > room)
			n = (ssize_t)room;
		memcpy(s->in + s->in_len, s->mem + s->mem_pos, (size_t)n);
		s->mem_pos += (size_t)n;
	} else {
		/* the read-ahead thread may be cancelled only while it
		 * waits here: source_close of a pipe that never ends */
		if (s->ra)
			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		n = fd_read(s, s->in + s->in_len, room);
		if (s->ra)
			pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (n < 0)
			return diag_set(d, NULL, 0, 0, "cannot read '%s': %s",
					s->name, strerror(errno));
	}
	if (n == 0)
		s->raw_eof = 1;
	s->in_len += (size_t)n;
	s->consumed += n;
	return (long)n;
}

/* Decide gzip or plain from the first two bytes. A pipe may deliver them
 * one at a time, so keep reading until two are here or the input ends. */
static int sniff(struct source *s, struct diag *d)
{
	while (s->in_len - s->in_pos < 2 && !s->raw_eof)
		if (raw_fill(s, d) < 0)
			return -1;
	s->sniffed = 1;
	if (s->in_len - s->in_pos >= 2 && s->in[s->in_pos] == 0x1f &&
	    s->in[s->in_pos + 1] == 0x8b) {
		memset(&s->z, 0, sizeof s->z);
		/* 15+32: zlib or gzip header, detected */
		if (inflateInit2(&s->z, 15 + 32) != Z_OK)
			return diag_set(d, NULL, 0, 0, "cannot read '%s': %s",
					s->name, "zlib initialisation failed");
		s->z_live = 1;
		s->gzip = 1;
	}
	return 0;
}

static void gz_stop(struct source *s, const char *what, const char *why)
{
	s->done = 1;
	snprintf(s->pending, sizeof s->pending, "gzip stream %s after %lld bytes%s%s%s",
		 what, s->consumed - (long long)(s->in_len - s->in_pos),
		 why ? " (" : "", why ? why : "", why ? ")" : "");
}

static long gz_read(struct source *s, char *buf, size_t n, struct diag *d)
{
	size_t produced = 0;

	while (produced < n && !s->done) {
		int rc;
		size_t before_in;

		if (s->in_pos == s->in_len) {
			long r;

			/* what is inflated goes out before waiting on a pipe */
			if (produced)
				break;
			r = raw_fill(s, d);

			if (r < 0)
				return -1;
			if (r == 0) {
				if (s->member_open)
					gz_stop(s, "truncated", NULL);
				s->done = 1;
				break;
			}
		}
		s->z.next_in = s->in + s->in_pos;
		s->z.avail_in = (uInt)(s->in_len - s->in_pos);
		s->z.next_out = (unsigned char *)buf + produced;
		s->z.avail_out = (uInt)(n - produced > UINT_MAX ? UINT_MAX
							    : n - produced);
		before_in = s->z.avail_in;
		rc = inflate(&s->z, Z_NO_FLUSH);
		if (s->z.avail_in != before_in)
			s->member_open = 1;
		produced = (size_t)((char *)s->z.next_out - buf);
		s->in_pos = s->in_len - s->z.avail_in;
		if (rc == Z_STREAM_END) {
			s->member_open = 0;
			inflateReset(&s->z);
			/* Padding zeros after the last member (tape archives,
			 * some uploaders) are not a new member. */
			while (1) {
				while (s->in_pos < s->in_len && s->in[s->in_pos] == 0)
					s->in_pos++;
				if (s->in_pos < s->in_len)
					break;
				if (raw_fill(s, d) <= 0)
					break;
			}
			if (s->in_pos < s->in_len && s->in[s->in_pos] != 0x1f) {
				s->done = 1;
				snprintf(s->pending, sizeof s->pending, "%s",
					 "trailing garbage after gzip stream ignored");
			}
			continue;
		}
		if (rc == Z_OK)
			continue;
		/* Z_BUF_ERROR only means "no progress": fine when input ran
		 * out (refilled above), a stuck stream otherwise. */
		if (rc == Z_BUF_ERROR && (s->in_pos == s->in_len || produced == n))
			continue;
		gz_stop(s, "corrupt", s->z.msg ? s->z.msg : "inflate failed");
	}
	return (long)produced;
}

/* The read-ahead thread: fill blocks in order until the end or an error. */
static void *ra_main(void *arg)
{
	struct source *s = arg;
	struct readahead *ra = s->ra;
	unsigned slot = 0;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		struct ra_block *b = &ra->blk[slot];
		long r;
		int stop;

		pthread_mutex_lock(&ra->mu);
		while (ra->count == RA_SLOTS && !ra->stop)
			pthread_cond_wait(&ra->put, &ra->mu);
		stop = ra->stop;
		pthread_mutex_unlock(&ra->mu);
		if (stop)
			break;
		r = gz_read(s, b->data, RA_BLOCK, &b->err);
		b->off = 0;
		b->len = r > 0 ? (size_t)r : 0;
		b->end = r > 0 ? 0 : r == 0 ? 1 : -1;
		b->consumed = s->consumed;
		pthread_mutex_lock(&ra->mu);
		ra->count++;
		pthread_cond_signal(&ra->get);
		pthread_mutex_unlock(&ra->mu);
		if (b->end)
			break;
		slot = (slot + 1) % RA_SLOTS;
	}
	return NULL;
}

static void ra_free(struct readahead *ra)
{
	int i;

	for (i = 0; i < RA_SLOTS; i++)
		free(ra->blk[i].data);
	free(ra);
}

/* Start the thread once the stream is known to be gzip; on any failure
 * the source simply stays single-threaded. */
static void ra_start(struct source *s)
{
	struct readahead *ra = calloc(1, sizeof *ra);
	int i;

	if (!ra)
		return;
	for (i = 0; i < RA_SLOTS; i++)
		if (!(ra->blk[i].data = malloc(RA_BLOCK))) {
			ra_free(ra);
			return;
		}
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->put, NULL);
	pthread_cond_init(&ra->get, NULL);
	s->ra = ra;
	if (pthread_create(&ra->th, NULL, ra_main, s) != 0) {
		s->ra = NULL;
		pthread_mutex_destroy(&ra->mu);
		pthread_cond_destroy(&ra->put);
		pthread_cond_destroy(&ra->get);
		ra_free(ra);
	}
}

static void ra_stop(struct source *s)
{
	struct readahead *ra = s->ra;

	pthread_mutex_lock(&ra->mu);
	ra->stop = 1;
	pthread_cond_signal(&ra->put);
	pthread_mutex_unlock(&ra->mu);
	/* only takes effect in a read(2) that may never return */
	pthread_cancel(ra->th);
	pthread_join(ra->th, NULL);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->put);
	pthread_cond_destroy(&ra->get);
	ra_free(ra);
	s->ra = NULL;
}

/* The reader's side: copy from the oldest block; the end and an error
 * stay in the ring, so they are given again on every later call. */
static long ra_read(struct source *s, char *buf, size_t n, struct diag *d)
{
	struct readahead *ra = s->ra;

	for (;;) {
		struct ra_block *b;

		pthread_mutex_lock(&ra->mu);
		while (ra->count == 0)
			pthread_cond_wait(&ra->get, &ra->mu);
		b = &ra->blk[ra->head];
		pthread_mutex_unlock(&ra->mu);
		if (b->end > 0)
			return 0;
		if (b->end < 0) {
			if (d)
				*d = b->err;
			return -1;
		}
		if (b->off < b->len) {
			size_t k = b->len - b->off < n ? b->len - b->off : n;

			memcpy(buf, b->data + b->off, k);
			b->off += k;
			s->ra_consumed = b->consumed;
			return (long)k;
		}
		pthread_mutex_lock(&ra->mu);
		ra->head = (ra->head + 1) % RA_SLOTS;
		ra->count--;
		pthread_cond_signal(&ra->put);
		pthread_mutex_unlock(&ra->mu);
	}
}

void source_readahead(struct source *s, int on)
{
	s->want_ra = on;
}

/* gzip: inflated bytes, then the pending warning once at the end */
static long gz_next(struct source *s, char *buf, size_t n, struct diag *d)
{
	long r;

	if (s->want_ra && !s->ra_tried) {
		s->ra_tried = 1;
		if (!s->follow)
			ra_start(s);
	}
	r = s->ra ? ra_read(s, buf, n, d) : gz_read(s, buf, n, d);
	if (r == 0 && s->pending[0]) {
		warn_emit(&s->warn, s->name, 0, 0, "%s", s->pending);
		s->pending[0] = 0;
	}
	return r;
}

long source_read(struct source *s, char *buf, size_t n, struct diag *d)
{
	size_t have;

	if (n == 0)
		return 0;
	if (!s->sniffed && sniff(s, d) < 0)
		return -1;
	if (s->gzip)
		return gz_next(s, buf, n, d);
	have = s->in_len - s->in_pos;
	if (have) {
		if (have > n)
			have = n;
		memcpy(buf, s->in + s->in_pos, have);
		s->in_pos += have;
		return (long)have;
	}
	if (s->raw_eof)
		return 0;
	if (s->fd < 0) {
		have = s->mem_len - s->mem_pos;
		if (have > n)
			have = n;
		memcpy(buf, s->mem + s->mem_pos, have);
		s->mem_pos += have;
		s->consumed += (long long)have;
		if (!have)
			s->raw_eof = 1;
		return (long)have;
	} else {
		ssize_t r;

		if (n > (size_t)LONG_MAX)
			n = (size_t)LONG_MAX;
		r = fd_read(s, buf, n);
		if (r < 0)
			return diag_set(d, NULL, 0, 0, "cannot read '%s': %s",
					s->name, strerror(errno));
		if (r == 0)
			s->raw_eof = 1;
		s->consumed += r;
		return (long)r;
	}
}

const char *source_name(const struct source *s)
{
	return s->name;
}

long long source_size(const struct source *s)
{
	return s->size;
}

long long source_consumed(const struct source *s)
{
	return s->ra ? s->ra_consumed : s->consumed;
}

int source_is_gzip(const struct source *s)
{
	return s->gzip;
}

void source_close(struct source *s)
{
	if (!s)
		return;
	if (s->ra)
		ra_stop(s);
	if (s->z_live)
		inflateEnd(&s->z);
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s->in);
	free(s->name);
	free(s);
}
