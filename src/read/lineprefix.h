#ifndef LOGWHY_LINEPREFIX_H
#define LOGWHY_LINEPREFIX_H

#include <stddef.h>
#include <stdint.h>

/*
 * The prefix a container runtime, a log collector or a host writes before
 * every line an application prints: CRI/containerd ("TS stderr F "),
 * docker-compose ("web_1  | "), Cloud Foundry ("TS [APP/PROC/WEB/0] ERR "),
 * syslog and the journal's short forms ("Sep 08 04:33:03 host unit[pid]: ",
 * "2025-09-08T04:33:03+0000 host unit[pid]: "), gunicorn's error log
 * ("[2025-09-08 04:33:03 +0000] [7] [ERROR] ") and `aws logs tail`
 * ("TS log/stream/name "). What follows the prefix is the application's
 * line, byte for byte (its indentation too), so a traceback printed under
 * a prefix still reads as one.
 */
enum lp_kind {
	LP_NONE = 0,
	LP_CRI,
	LP_COMPOSE,
	LP_CLOUDFOUNDRY,
	LP_SYSLOG,        /* syslog / journalctl short (month name, no year) */
	LP_SYSLOG_ISO,    /* journalctl -o short-iso, rsyslog's ISO form */
	LP_GUNICORN,
	LP_AWS_TAIL,
};

#define LP_ALL 0xffu
#define LP_BIT(k) (1u << (k))

struct line_prefix {
	enum lp_kind kind;
	size_t msg;                 /* offset of the application's line */
	int has_ts;
	int64_t ts_us;
	int yearless;               /* the time had no year: year was used */
	const char *level;          /* a level the prefix states (span), or NULL */
	size_t nlevel;
	const char *instance;       /* a span into the line, or NULL */
	size_t ninstance;
	const char *stream;         /* idem: stdout/stderr, OUT/ERR, a unit */
	size_t nstream;
	int partial;                /* CRI "P": the line goes on in the next */
};

/* 1 when the line (one line, no '\n' needed) starts with a prefix of one
 * of the kinds in mask (LP_BIT(kind) bits); year serves syslog's month
 * form. 0 otherwise, lp->kind = LP_NONE. */
int lineprefix_parse(const char *s, size_t n, unsigned mask, int year,
		     struct line_prefix *lp);

const char *lineprefix_name(enum lp_kind k);

#endif
