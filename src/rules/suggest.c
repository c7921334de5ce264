#include "rules/suggest.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A YAML double-quoted scalar: JSON's escapes are YAML's too. */
static int yq(struct buf *out, const char *s)
{
	json_t *v = json_stringn_nocheck(s, strlen(s));
	size_t n = v ? json_dumpb(v, NULL, 0, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : 0;
	int rc = -1;

	/* json_dumpb, not json_dumps: jansson's memory is not malloc's (jpool) */
	if (n && buf_reserve(out, n + 1) == 0 &&
	    json_dumpb(v, out->p + out->len, n, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) == n) {
		out->len += n;
		out->p[out->len] = '\0';
		rc = 0;
	}
	json_decref(v);
	return rc;
}

/* The first literal words of the pattern, as an id's last part. */
static void slug(const struct pattern *p, char *out, size_t n)
{
	size_t i, k = 0;
	int dash = 0;

	for (i = 0; i < p->ntok && k + 1 < n && k < 40; i++) {
		const char *c;

		if (p->tok[i].kind != PATTERN_LITERAL)
			continue;
		for (c = p->tok[i].text; *c && k + 1 < n && k < 40; c++) {
			if (isalnum((unsigned char)*c)) {
				if (dash && k)
					out[k++] = '-';
				dash = 0;
				out[k++] = (char)tolower((unsigned char)*c);
			} else {
				dash = 1;
			}
		}
		dash = 1;
		if (k >= 24)
			break;
	}
	while (k && out[k - 1] == '-')
		k--;
	if (!k)
		k = (size_t)snprintf(out, n, "%s", p->id);
	out[k] = '\0';
}

int suggest_yaml(const struct suggest *s, struct buf *out)
{
	struct buf re = BUF_INIT(0), tmpl = BUF_INIT(0), t = BUF_INIT(0);
	char name[64];
	size_t i;
	int rc = 0, first;

	if (pattern_regex(s->p, &re, &tmpl) < 0 || pattern_render(s->p, &t) < 0) {
		rc = -1;
		goto out;
	}
	slug(s->p, name, sizeof name);
	rc |= buf_adds(out, "# suggested by logwhy rules suggest from pattern ");
	rc |= buf_adds(out, s->p->id);
	rc |= buf_adds(out, ": review it, then keep it with your rules\nid: ");
	if (s->id)
		rc |= buf_adds(out, s->id);
	else
		rc |= buf_addf(out, "%s.%s", s->category, name);
	rc |= buf_adds(out, "\ntitle: ");
	{
		char title[200];

		snprintf(title, sizeof title, "%.*s%s", 120, t.p, t.len > 120 ? "..." : "");
		rc |= yq(out, title);
	}
	rc |= buf_addf(out, "\ncategory: %s\nrole: %s\nseverity: %s\nmatch:\n  message: ",
		       s->category, rule_role_name(s->role), rule_level_name(s->level));
	rc |= yq(out, re.p);
	rc |= buf_adds(out, "\nmessage: ");
	rc |= yq(out, tmpl.p);
	if (s->nexplains) {
		char why[512];
		size_t n = 0;

		for (i = 0; i < s->nexplains && n < sizeof why; i++)
			n += (size_t)snprintf(why + n, sizeof why - n, "%s%s", i ? ", " : "",
					      s->explains[i]->id);
		if (n < sizeof why)
			snprintf(why + n, sizeof why - n,
				 " came right after this error (%ld of %ld unexplained, median %ld ms before)",
				 s->symptoms, s->unexplained, s->lead_ms);
		rc |= buf_adds(out, "\nwhy:\n  - ");
		rc |= yq(out, why);
		rc |= buf_adds(out, "\n  - ");
		rc |= yq(out, tmpl.p);
		rc |= buf_adds(out, "\nexplains: [");
		for (i = 0; i < s->nexplains; i++)
			rc |= buf_addf(out, "%s%s", i ? ", " : "", s->explains[i]->id);
		rc |= buf_adds(out, "]");
	}
	if (s->within_ms) {
		rc |= buf_addf(out, "\ncorrelate: { within: %ldms", s->within_ms);
		if (s->by) {
			rc |= buf_adds(out, ", by: [");
			for (i = 0, first = 1; rule_corr_names[i]; i++)
				if (s->by & (1u << i)) {
					rc |= buf_addf(out, "%s%s", first ? "" : ", ", rule_corr_names[i]);
					first = 0;
				}
			rc |= buf_adds(out, "]");
		}
		rc |= buf_adds(out, " }");
	}
	rc |= buf_adds(out, "\nexamples:\n  match:");
	for (i = 0; i < s->p->nex; i++) {
		rc |= buf_adds(out, "\n    - ");
		rc |= yq(out, s->p->ex[i].text);
	}
	if (s->nnomatch) {
		rc |= buf_adds(out, "\n  nomatch:");
		for (i = 0; i < s->nnomatch; i++) {
			rc |= buf_adds(out, "\n    - ");
			rc |= yq(out, s->nomatch[i]);
		}
	}
	rc |= buf_adds(out, "\n");
out:
	buf_free(&re);
	buf_free(&tmpl);
	buf_free(&t);
	return rc ? -1 : 0;
}
