#include <criterion/criterion.h>

#include <string.h>

#include "read/lineprefix.h"
#include "util/timefmt.h"
#include "util/timeparse.h"

static const char *fmt(int64_t us)
{
	static char out[40];

	timefmt_rfc3339(us, out, sizeof out);
	return out;
}

static size_t rfc(const char *s, int64_t *us)
{
	return timeparse_rfc3339(s, strlen(s), us);
}

Test(timeparse, rfc3339_offsets_and_fractions)
{
	int64_t us;

	cr_assert_eq(rfc("2025-09-08T04:33:03.141200000Z x", &us), 30);
	cr_assert_str_eq(fmt(us), "2025-09-08T04:33:03.141200Z");
	cr_assert_eq(rfc("2025-09-08T06:33:03+02:00", &us), 25);
	cr_assert_str_eq(fmt(us), "2025-09-08T04:33:03.000000Z");
	cr_assert_eq(rfc("2025-09-07T23:33:03.14-0500", &us), 27);
	cr_assert_str_eq(fmt(us), "2025-09-08T04:33:03.140000Z");
	/* gunicorn and journalctl put a space before the offset */
	cr_assert_eq(rfc("2025-09-08 04:33:03 +0000] [7]", &us), 25);
	cr_assert_str_eq(fmt(us), "2025-09-08T04:33:03.000000Z");
	/* a Python logging line's " - logger" is no offset */
	cr_assert_eq(rfc("2025-09-08 04:33:03,040 - app - INFO - x", &us), 23);
	cr_assert_eq(rfc("2025-09-08 04:33:03 -12 items", &us), 19);
	cr_assert_eq(rfc("2025-13-08T04:33:03Z", &us), 0);
	cr_assert_eq(rfc("2025-09-08", &us), 0);
}

Test(timeparse, syslog_clf_and_years)
{
	int64_t us;

	cr_assert_eq(timeparse_syslog("Sep 08 04:33:03 host", 20, 2025, &us), 15);
	cr_assert_str_eq(fmt(us), "2025-09-08T04:33:03.000000Z");
	cr_assert_eq(timeparse_syslog("Sep  8 04:33:03.141200 h", 24, 2024, &us), 22);
	cr_assert_str_eq(fmt(us), "2024-09-08T04:33:03.141200Z");
	cr_assert_eq(timeparse_syslog("Sept 8 04:33:03", 15, 2025, &us), 0);
	cr_assert_eq(timeparse_clf("08/Sep/2025:06:33:03 +0200]", 27, &us), 26);
	cr_assert_str_eq(fmt(us), "2025-09-08T04:33:03.000000Z");
	cr_assert_eq(timeparse_clf("08/Foo/2025:06:33:03 +0200]", 27, &us), 0);
	cr_assert_eq(timeparse_year(0), 1970);
	rfc("2000-02-29T23:59:59Z", &us);
	cr_assert_eq(timeparse_year(us), 2000);
	rfc("1969-12-31T23:59:59Z", &us);
	cr_assert_eq(timeparse_year(us), 1969);
}

static struct line_prefix lp;

static int parse(const char *s, unsigned mask)
{
	return lineprefix_parse(s, strlen(s), mask, 2025, &lp);
}

static const char *rest(const char *s)
{
	return s + lp.msg;
}

Test(lineprefix, cri_keeps_the_line_byte_for_byte)
{
	const char *s = "2022-05-21T21:41:37.822853908+00:00 stderr F \t/home/k/main.go:18 +0x27";

	cr_assert_eq(parse(s, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_CRI);
	cr_assert_str_eq(rest(s), "\t/home/k/main.go:18 +0x27");
	cr_assert_eq(lp.nstream, 6);
	cr_assert_eq(memcmp(lp.stream, "stderr", 6), 0);
	cr_assert_eq(lp.partial, 0);
	cr_assert_eq(parse("2020-12-07T15:32:38.994574754Z stdout P Hello", LP_ALL), 1);
	cr_assert_eq(lp.partial, 1);
	/* an empty line: "F" and nothing after it */
	cr_assert_eq(parse("2022-05-21T21:41:37.822853908+00:00 stderr F", LP_ALL), 1);
	cr_assert_eq(parse("2022-05-21T21:41:37.8Z stdin F x", LP_ALL), 0);
	cr_assert_eq(parse("2022-05-21T21:41:37.8Z stderr F x", LP_BIT(LP_COMPOSE)), 0);
}

Test(lineprefix, compose_cloudfoundry_gunicorn)
{
	const char *c = "web_1  |   File \"/code/manage.py\", line 10, in main";
	const char *cf = "   2025-09-08T04:33:03.14+0000 [APP/PROC/WEB/0] ERR Traceback (most recent call last):";
	const char *g = "[2025-09-08 04:33:03 +0000] [9] [ERROR] Exception in worker process";

	cr_assert_eq(parse(c, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_COMPOSE);
	cr_assert_str_eq(rest(c), "  File \"/code/manage.py\", line 10, in main");
	cr_assert_eq(lp.ninstance, 5);
	cr_assert_eq(parse("\x1b[36mweb-1  |\x1b[0m hello", LP_ALL), 1);
	cr_assert_str_eq(rest("\x1b[36mweb-1  |\x1b[0m hello"), "hello");
	cr_assert_eq(parse("ERROR | not a container", LP_ALL), 0);
	cr_assert_eq(parse(cf, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_CLOUDFOUNDRY);
	cr_assert_str_eq(rest(cf), "Traceback (most recent call last):");
	cr_assert_eq(lp.nstream, 3);
	cr_assert_eq(parse(g, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_GUNICORN);
	cr_assert_eq(lp.nlevel, 5);
	cr_assert_str_eq(rest(g), "Exception in worker process");
}

Test(lineprefix, journal_and_aws_tail)
{
	const char *j = "Sep 08 04:33:03 web-7f9c netra-backend[812]:   File \"x.py\"";
	const char *iso = "2025-09-08T04:33:03+0000 web-7f9c netra-backend[812]: Message: 'x'";
	const char *aws = "2025-09-08T04:33:03.141000+00:00 ecs/netra/3f2a --- Logging error ---";

	cr_assert_eq(parse(j, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_SYSLOG);
	cr_assert_eq(lp.yearless, 1);
	cr_assert_str_eq(fmt(lp.ts_us), "2025-09-08T04:33:03.000000Z");
	cr_assert_str_eq(rest(j), "  File \"x.py\"");
	cr_assert_eq(parse(iso, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_SYSLOG_ISO);
	cr_assert_str_eq(rest(iso), "Message: 'x'");
	/* without a pid, "TS word word: text" is a plain timestamped line */
	cr_assert_eq(parse("2025-09-08T04:33:03Z WebSocket error: boom", LP_ALL), 0);
	cr_assert_eq(parse(aws, LP_ALL), 1);
	cr_assert_eq(lp.kind, LP_AWS_TAIL);
	cr_assert_str_eq(rest(aws), "--- Logging error ---");
	cr_assert_eq(parse("2025-09-08T04:33:03Z /usr/bin/x failed", LP_ALL), 0);
}
