#include "cli/report_out.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "triage/shard.h"
#include "util/tmp.h"

void report_out_init(struct report_out *o)
{
	memset(o, 0, sizeof *o);
	o->format = REPORT_TEXT;
}

int report_out_option(struct report_out *o, int id, const char *value)
{
	if (id == OPT_REPORT_OUTPUT) {
		o->format = (enum report_format)report_format_parse(value);
		o->format_set = 1;
		return 0;
	}
	if (id == OPT_REPORT_SHARD) {
		o->shard = 1;
		return 0;
	}
	return 1;
}

int report_out_ready(struct report_out *o, struct common *c)
{
	o->err = cli_warn_sink(c);
	if (o->shard && o->format_set && o->format != REPORT_JSON) {
		cli_errorf("--shard writes JSON: use it with --output json");
		return 2;
	}
	if (o->shard)
		o->format = REPORT_JSON;
	return 0;
}

void report_out_warning(struct report_out *o, const struct diag *d)
{
	char line[2048];

	if (o->t) {
		diag_format(d, line, sizeof line);
		triage_warning(o->t, line);
	}
	o->err.fn(o->err.ctx, d);
}

int report_out_verdict_at(const struct report_out *o, enum level level)
{
	const struct triage_report *rep = o->rep;

	return level != LEVEL_NEVER && rep && rep->verdict && rep->verdict->rule->level >= level;
}

static int write_shard(const struct triage_report *rep, struct triage *t, const struct ruleset *rs)
{
	json_t *report = report_json_object(rep);
	int rc = report && shard_write(stdout, report, rep, t, rs) == 0 && fflush(stdout) == 0 ? 0 : -1;

	json_decref(report);
	return rc;
}

int report_out_finish(struct report_out *o, struct common *c, const struct ruleset *rs)
{
	const struct triage_report *rep = triage_finish(o->t);
	struct report_opts ro;

	if (!rep) {
		if (tmp_full(errno))
			cli_errorf("cannot correlate findings: a temporary file in %s: %s", tmp_dir(),
				   strerror(errno));
		else
			cli_errorf("cannot correlate findings: %s", strerror(errno));
		return -1;
	}
	o->rep = rep;
	ro.color = common_color(c, stdout);
	if (o->shard ? write_shard(rep, o->t, rs) < 0 : report_write(o->format, stdout, rep, &ro) < 0) {
		cli_errorf("write error: %s", strerror(errno));
		return -1;
	}
	return 0;
}
