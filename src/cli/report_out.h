#ifndef LOGWHY_REPORT_OUT_H
#define LOGWHY_REPORT_OUT_H

#include "cli/cli.h"
#include "emit/report.h"
#include "triage/triage.h"

/*
 * What triage and merge share at their output end: --output and --shard,
 * warnings kept in the report as well as printed, and writing the report
 * (or a shard) once the findings are correlated.
 */
enum { OPT_REPORT_OUTPUT = 100, OPT_REPORT_SHARD, OPT_REPORT_NEXT };

struct report_out {
	enum report_format format;
	int format_set, shard;
	struct triage *t;           /* set once made: warnings go into its report */
	const struct triage_report *rep;   /* set by report_out_finish */
	struct warn_sink err;       /* where warnings are printed */
};

void report_out_init(struct report_out *o);
/* 0: id was --output or --shard and is taken; 1: not one of them. */
int report_out_option(struct report_out *o, int id, const char *value);
/* After parsing: --shard means JSON; warnings print as c says. 0, or 2
 * (usage) after an error. */
int report_out_ready(struct report_out *o, struct common *c);
/* Keep a located warning for the report and print it. */
void report_out_warning(struct report_out *o, const struct diag *d);
/* Correlate and write the report (or the shard) to stdout. 0, or -1 after
 * printing why. */
int report_out_finish(struct report_out *o, struct common *c, const struct ruleset *rs);
/* After finish: 1 when the verdict's cause is at or above level (never:
 * 0). */
int report_out_verdict_at(const struct report_out *o, enum level level);

#endif
