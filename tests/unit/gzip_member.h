#ifndef LOGWHY_TEST_GZIP_MEMBER_H
#define LOGWHY_TEST_GZIP_MEMBER_H

/* Test helper shared by the reading tests: one gzip member of data,
 * written to out (which must be big enough); returns its size. */

#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

static size_t gz_member(const char *data, size_t len, unsigned char *out, size_t cap)
{
	z_stream z;
	size_t n;

	memset(&z, 0, sizeof z);
	cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

#endif
