#include <criterion/criterion.h>

#include "gzip_member.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "read/source.h"

struct warns {
	int n;
	char last[1200];
};

static void sink(void *ctx, const struct diag *d)
{
	struct warns *w = ctx;

	w->n++;
	diag_format(d, w->last, sizeof w->last);
}

/* Read everything with reads of at most chunk bytes. */
static char *slurp(struct source *s, size_t chunk, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	struct diag d;

	for (;;) {
		long r;

		if (cap - n < chunk) {
			cap = cap * 2 + chunk;
			out = realloc(out, cap);
		}
		r = source_read(s, out + n, chunk, &d);
		cr_assert_geq(r, 0, "read error: %s", d.msg);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return out;
}

static char *pattern(size_t n)
{
	char *p = malloc(n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)("0123456789abcdef\n"[(i * 7 + i / 91) % 17]);
	return p;
}

/*
 * Every gzip case runs twice: inflated by the reader, and by the
 * read-ahead thread. Both must give the same bytes and warnings.
 */
#define GZ_TEST(name)                                                   \
	static void name##_body(int ra);                                \
	Test(source, name) { name##_body(0); }                          \
	Test(source_readahead, name) { name##_body(1); }                \
	static void name##_body(int ra)

static char *tmpfile_with(const void *data, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof path, "/tmp/logwhy-src-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

Test(source, memory_plain)
{
	const char *text = "hello\nworld\n";
	struct source *s = source_open_mem("m", text, strlen(text), NULL);
	size_t n;
	char *got = slurp(s, 5, &n);

	cr_assert_eq(n, strlen(text));
	cr_assert(memcmp(got, text, n) == 0);
	cr_assert_str_eq(source_name(s), "m");
	cr_assert_not(source_is_gzip(s));
	cr_assert_eq(source_consumed(s), (long long)n);
	free(got);
	source_close(s);
}

Test(source, empty_and_one_byte)
{
	struct source *s = source_open_mem("e", "", 0, NULL);
	char b[4];
	struct diag d;

	cr_assert_eq(source_read(s, b, sizeof b, &d), 0);
	cr_assert_eq(source_read(s, b, sizeof b, &d), 0);
	source_close(s);

	s = source_open_mem("one", "\x1f", 1, NULL);   /* half a gzip magic */
	cr_assert_eq(source_read(s, b, sizeof b, &d), 1);
	cr_assert_eq(b[0], 0x1f);
	cr_assert_eq(source_read(s, b, sizeof b, &d), 0);
	cr_assert_not(source_is_gzip(s));
	source_close(s);
}

Test(source, file_plain_large)
{
	size_t len = 1 << 20, n;
	char *data = pattern(len);
	char *path = tmpfile_with(data, len);
	struct diag d;
	struct source *s = source_open(path, NULL, &d);
	char *got;

	cr_assert_not_null(s, "%s", d.msg);
	cr_assert_eq(source_size(s), (long long)len);
	cr_assert_str_eq(source_name(s), path);
	got = slurp(s, 100000, &n);
	cr_assert_eq(n, len);
	cr_assert(memcmp(got, data, len) == 0);
	cr_assert_eq(source_consumed(s), (long long)len);
	free(got);
	free(data);
	source_close(s);
	unlink(path);
}

Test(source, stdin_is_named)
{
	const char *text = "from stdin\n";
	char *path = tmpfile_with(text, strlen(text));
	int fd = open(path, O_RDONLY);
	struct diag d;
	struct source *s;
	size_t n;
	char *got;

	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	s = source_open("-", NULL, &d);
	cr_assert_not_null(s);
	cr_assert_str_eq(source_name(s), "<stdin>");
	got = slurp(s, 64, &n);
	cr_assert_eq(n, strlen(text));
	free(got);
	source_close(s);
	cr_assert_neq(fcntl(STDIN_FILENO, F_GETFD), -1, "stdin must stay open");
	unlink(path);
}

Test(source, missing_file)
{
	struct diag d;

	memset(&d, 0, sizeof d);
	cr_assert_null(source_open("/nonexistent/logwhy/x.json", NULL, &d));
	cr_assert_str_eq(d.msg,
			 "cannot open '/nonexistent/logwhy/x.json': No such file or directory");
}

Test(source, directory_refused)
{
	struct diag d;

	memset(&d, 0, sizeof d);
	cr_assert_null(source_open("/tmp", NULL, &d));
	cr_assert_str_eq(d.msg, "'/tmp': is a directory");
}

/* Five megabytes: many blocks through the read-ahead ring, read in sizes
 * that never line up with them. */
GZ_TEST(gzip_single_member)
{
	size_t len = 5u << 20, n, zn;
	char *data = pattern(len);
	unsigned char *z = malloc(len + 1024);
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s;
	char *got;

	zn = gz_member(data, len, z, len + 1024);
	s = source_open_mem("a.gz", (char *)z, zn, &ws);
	source_readahead(s, ra);
	got = slurp(s, 4099, &n);
	cr_assert(source_is_gzip(s));
	cr_assert_eq(n, len);
	cr_assert(memcmp(got, data, len) == 0);
	cr_assert_eq(w.n, 0, "%s", w.last);
	cr_assert_eq(source_consumed(s), (long long)zn);
	free(got);
	free(z);
	free(data);
	source_close(s);
}

GZ_TEST(gzip_multi_member)
{
	const char *a = "first member\n", *b = "second member\n", *c = "third\n";
	unsigned char z[1024];
	size_t zn = 0, n;
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s;
	char *got;

	zn += gz_member(a, strlen(a), z + zn, sizeof z - zn);
	zn += gz_member(b, strlen(b), z + zn, sizeof z - zn);
	zn += gz_member(c, strlen(c), z + zn, sizeof z - zn);
	s = source_open_mem("m.gz", (char *)z, zn, &ws);
	source_readahead(s, ra);
	got = slurp(s, 7, &n);
	cr_assert_eq(n, strlen(a) + strlen(b) + strlen(c));
	cr_assert(memcmp(got, "first member\nsecond member\nthird\n", n) == 0);
	cr_assert_eq(w.n, 0, "%s", w.last);
	free(got);
	source_close(s);
}

GZ_TEST(gzip_empty_member_then_data)
{
	unsigned char z[256];
	size_t zn = 0, n;
	struct source *s;
	char *got;

	zn += gz_member("", 0, z + zn, sizeof z - zn);
	zn += gz_member("x\n", 2, z + zn, sizeof z - zn);
	s = source_open_mem("e.gz", (char *)z, zn, NULL);
	source_readahead(s, ra);
	got = slurp(s, 64, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(got[0], 'x');
	free(got);
	source_close(s);
}

GZ_TEST(gzip_truncated_reports_once)
{
	size_t len = 500000, n, zn;
	char *data = pattern(len);
	unsigned char *z = malloc(len + 1024);
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s;
	char *got;
	char want[128];
	struct diag d;
	char b[16];

	zn = gz_member(data, len, z, len + 1024);
	cr_assert_gt(zn, 2000);
	s = source_open_mem("cut.gz", (char *)z, zn / 2, &ws);
	source_readahead(s, ra);
	got = slurp(s, 8192, &n);
	cr_assert_gt(n, 0);
	cr_assert_lt(n, len);
	cr_assert(memcmp(got, data, n) == 0, "bytes before the cut are intact");
	cr_assert_eq(w.n, 1);
	snprintf(want, sizeof want, "cut.gz: gzip stream truncated after %zu bytes", zn / 2);
	cr_assert_str_eq(w.last, want);
	cr_assert_eq(source_read(s, b, sizeof b, &d), 0);
	cr_assert_eq(w.n, 1);
	free(got);
	free(z);
	free(data);
	source_close(s);
}

GZ_TEST(gzip_truncated_trailer)
{
	const char *text = "all the data arrives, the CRC does not\n";
	unsigned char z[256];
	size_t zn = gz_member(text, strlen(text), z, sizeof z), n;
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s = source_open_mem("t.gz", (char *)z, zn - 4, &ws);
	char *got;

	source_readahead(s, ra);
	got = slurp(s, 4096, &n);
	cr_assert_eq(n, strlen(text));
	cr_assert_eq(w.n, 1);
	cr_assert(strstr(w.last, "t.gz: gzip stream truncated"));
	free(got);
	source_close(s);
}

GZ_TEST(gzip_corrupt)
{
	size_t len = 300000, n, zn;
	char *data = pattern(len);
	unsigned char *z = malloc(len + 1024);
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s;
	char *got;

	zn = gz_member(data, len, z, len + 1024);
	z[10] |= 0x06;   /* first block: type 3, which does not exist */
	s = source_open_mem("bad.gz", (char *)z, zn, &ws);
	source_readahead(s, ra);
	got = slurp(s, 8192, &n);
	cr_assert_eq(n, 0);
	cr_assert_eq(w.n, 1);
	cr_assert(strstr(w.last, "bad.gz: gzip stream corrupt after "), "%s", w.last);
	cr_assert(strstr(w.last, "invalid block type"), "%s", w.last);
	free(got);
	free(z);
	free(data);
	source_close(s);
}

GZ_TEST(gzip_trailing_garbage)
{
	unsigned char z[256];
	size_t zn = gz_member("ok\n", 3, z, sizeof z), n;
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s;
	char *got;

	memcpy(z + zn, "garbage", 7);
	s = source_open_mem("g.gz", (char *)z, zn + 7, &ws);
	source_readahead(s, ra);
	got = slurp(s, 64, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(w.n, 1);
	cr_assert(strstr(w.last, "trailing garbage"));
	free(got);
	source_close(s);
}

GZ_TEST(gzip_file_from_gzopen)
{
	char path[] = "/tmp/logwhy-gz-XXXXXX";
	int fd = mkstemp(path);
	gzFile g;
	struct diag d;
	struct source *s;
	size_t n;
	char *got;

	cr_assert_geq(fd, 0);
	close(fd);
	g = gzopen(path, "wb");
	gzputs(g, "{\"severity\":\"ERROR\"}\n");
	gzclose(g);
	g = gzopen(path, "ab");   /* a second member, as `gzip >>` makes */
	gzputs(g, "{\"severity\":\"INFO\"}\n");
	gzclose(g);
	s = source_open(path, NULL, &d);
	source_readahead(s, ra);
	cr_assert_not_null(s);
	got = slurp(s, 1, &n);
	cr_assert(source_is_gzip(s));
	cr_assert_eq(n, 41);
	cr_assert(memcmp(got, "{\"severity\":\"ERROR\"}\n{\"severity\":\"INFO\"}\n", n) == 0);
	free(got);
	source_close(s);
	unlink(path);
}

Test(source, close_null)
{
	source_close(NULL);
}

GZ_TEST(gzip_bad_crc_keeps_data)
{
	const char *text = "every byte arrives, the checksum is wrong\n";
	unsigned char z[256];
	size_t zn = gz_member(text, strlen(text), z, sizeof z), n;
	struct warns w = { 0 };
	struct warn_sink ws = { sink, &w };
	struct source *s;
	char *got;

	z[zn - 8] ^= 0xff;
	s = source_open_mem("crc.gz", (char *)z, zn, &ws);
	source_readahead(s, ra);
	got = slurp(s, 4096, &n);
	cr_assert_eq(n, strlen(text));
	cr_assert_eq(w.n, 1);
	cr_assert(strstr(w.last, "crc.gz: gzip stream corrupt after "), "%s", w.last);
	free(got);
	source_close(s);
}

/* Closing while the thread waits in read(2) on a pipe whose writer is
 * still there must not hang: the thread is cancelled in that read. */
Test(source_readahead, close_while_pipe_stays_open, .timeout = 10)
{
	size_t len = 100000, zn;
	char *data = pattern(len);
	unsigned char *z = malloc(len + 1024);
	char path[64] = "/tmp/logwhy-fifo-XXXXXX";   /* room for "/f" */
	char b[4096];
	struct diag d;
	struct source *s;
	int wfd;

	zn = gz_member(data, len, z, len + 1024);
	cr_assert_not_null(mkdtemp(path));
	strcat(path, "/f");
	cr_assert_eq(mkfifo(path, 0600), 0);
	wfd = open(path, O_RDWR);   /* a writer that never closes */
	cr_assert_geq(wfd, 0);
	cr_assert_eq(write(wfd, z, zn / 2), (ssize_t)(zn / 2));
	s = source_open(path, NULL, &d);
	cr_assert_not_null(s);
	source_readahead(s, 1);
	cr_assert_gt(source_read(s, b, sizeof b, &d), 0);
	cr_assert(memcmp(b, data, 16) == 0);
	source_close(s);
	close(wfd);
	unlink(path);
	*strrchr(path, '/') = 0;
	rmdir(path);
	free(z);
	free(data);
}

/* A part of a regular file: its bytes from an offset on, read as they are
 * (gzip's magic bytes too), the file's descriptor left open. */
Test(source, part_of_a_file)
{
	char path[] = "/tmp/logwhy-part-XXXXXX", buf[64];
	const char data[] = "\x1f\x8b" "0123456789";
	int fd = mkstemp(path);
	struct source *s;
	struct diag d;
	long n, got = 0;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, sizeof data - 1), (ssize_t)(sizeof data - 1));
	s = source_open_part("part", fd, 2, 6, (long long)(sizeof data - 1));
	cr_assert_not_null(s);
	cr_expect_eq(source_size(s), 10);
	cr_expect_eq(source_read(s, buf, sizeof buf, &d), 4, "short at the soft end");
	got = 4;
	while ((n = source_read(s, buf + got, 3, &d)) > 0)
		got += n;
	cr_expect_eq(n, 0);
	cr_expect_eq(got, 10);
	cr_expect(!memcmp(buf, "0123456789", 10));
	source_close(s);
	s = source_open_part("part", fd, 0, 0, (long long)(sizeof data - 1));
	cr_assert_not_null(s);
	cr_expect_eq(source_read(s, buf, sizeof buf, &d), 12);
	cr_expect(!memcmp(buf, data, 12), "no gzip: the bytes as they are");
	cr_expect(!source_is_gzip(s));
	source_close(s);
	cr_expect_eq(fcntl(fd, F_GETFD), 0, "the descriptor stays open");
	close(fd);
	unlink(path);
}
