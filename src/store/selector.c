/* selector.c — Kubernetes label selectors: the text syntax the `-l` filter takes
 * (k8s.io/apimachinery/pkg/labels.Parse), matching, and kubectl's formatting. */
#include "kdeck/model.h"
#include "model_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers ---------------------------------------------------------- */

void ksel_sort(ksel_req_t *reqs, size_t n)
{
	/* Values sorted within a requirement, requirements by key (stable), as
	 * labels.Selector.String() prints them. */
	for (size_t i = 0; i < n; i++) {
		const char **v = (const char **)reqs[i].values;
		for (size_t a = 1; a < reqs[i].nvalues; a++)
			for (size_t c = a; c > 0 && strcmp(v[c - 1], v[c]) > 0; c--) {
				const char *t = v[c];
				v[c] = v[c - 1];
				v[c - 1] = t;
			}
	}
	for (size_t a = 1; a < n; a++)
		for (size_t c = a; c > 0 && strcmp(reqs[c - 1].key, reqs[c].key) > 0; c--) {
			ksel_req_t t = reqs[c];
			reqs[c] = reqs[c - 1];
			reqs[c - 1] = t;
		}
}

/* ---- parser ------------------------------------------------------------------- */

typedef enum { T_END, T_ID, T_NOT, T_NE, T_EQ, T_DEQ, T_IN, T_NOTIN, T_OPEN, T_CLOSE, T_COMMA, T_GT, T_LT } tok_t;

typedef struct lex {
	const char *s;
	size_t pos;
	tok_t tok;
	const char *id;  /* T_ID: start, length idlen */
	size_t idlen;
	size_t tokpos;
} lex_t;

static bool lex_special(char c)
{
	return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

static void lex_next(lex_t *l)
{
	const char *s = l->s;
	while (s[l->pos] && isspace((unsigned char)s[l->pos]))
		l->pos++;
	l->tokpos = l->pos;
	char c = s[l->pos];
	if (!c) {
		l->tok = T_END;
		return;
	}
	if (lex_special(c)) {
		l->pos++;
		char d = s[l->pos];
		switch (c) {
		case '!':
			if (d == '=') {
				l->pos++;
				l->tok = T_NE;
			} else {
				l->tok = T_NOT;
			}
			return;
		case '=':
			if (d == '=') {
				l->pos++;
				l->tok = T_DEQ;
			} else {
				l->tok = T_EQ;
			}
			return;
		case '(': l->tok = T_OPEN; return;
		case ')': l->tok = T_CLOSE; return;
		case ',': l->tok = T_COMMA; return;
		case '<': l->tok = T_LT; return;
		default: l->tok = T_GT; return;
		}
	}
	size_t start = l->pos;
	while (s[l->pos] && !isspace((unsigned char)s[l->pos]) && !lex_special(s[l->pos]))
		l->pos++;
	l->id = s + start;
	l->idlen = l->pos - start;
	l->tok = T_ID;
	if (l->idlen == 2 && memcmp(l->id, "in", 2) == 0)
		l->tok = T_IN;
	else if (l->idlen == 5 && memcmp(l->id, "notin", 5) == 0)
		l->tok = T_NOTIN;
}

/* A DNS-1123 label-ish name: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63. */
static const char *check_name(const char *s, size_t n, bool allow_empty)
{
	if (n == 0)
		return allow_empty ? NULL : "must not be empty";
	if (n > 63)
		return "must be no more than 63 characters";
	if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return "must begin and end with an alphanumeric character";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return "may contain only alphanumerics, '-', '_' and '.'";
	return NULL;
}

static const char *check_key(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return check_name(s, n, false);
	size_t plen = (size_t)(slash - s);
	if (plen == 0 || plen > 253)
		return "has an invalid prefix";
	for (size_t i = 0; i < plen; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return "has an invalid prefix";
	return check_name(slash + 1, n - plen - 1, false);
}

typedef struct parse {
	kb_t *b;
	lex_t l;
	char *err;
	size_t errlen;
	bool failed;
} parse_t;

static void perr(parse_t *p, const char *fmt, const char *a, size_t alen, const char *why)
{
	if (p->failed)
		return;
	p->failed = true;
	if (p->err && p->errlen) {
		int n = snprintf(p->err, p->errlen, "label selector at column %zu: ", p->l.tokpos + 1);
		if (n >= 0 && (size_t)n < p->errlen) {
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
			snprintf(p->err + n, p->errlen - (size_t)n, fmt, (int)alen, a, why);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
		}
	}
}

/* One requirement into r; false on error. */
static bool parse_req(parse_t *p, ksel_req_t *r)
{
	lex_t *l = &p->l;
	bool neg = false;
	if (l->tok == T_NOT) {
		neg = true;
		lex_next(l);
	}
	if (l->tok != T_ID) {
		perr(p, "expected a label key%.*s%s", "", 0, "");
		return false;
	}
	const char *why = check_key(l->id, l->idlen);
	if (why) {
		perr(p, "key \"%.*s\" %s", l->id, l->idlen, why);
		return false;
	}
	r->key = kb_strn(p->b, l->id, l->idlen);
	lex_next(l);
	if (neg) {
		r->op = KSEL_NOTEXISTS;
		return true;
	}
	switch (l->tok) {
	case T_END:
	case T_COMMA:
		r->op = KSEL_EXISTS;
		return true;
	case T_EQ:
	case T_DEQ:
	case T_NE:
	case T_GT:
	case T_LT: {
		r->op = l->tok == T_NE ? KSEL_NE : l->tok == T_GT ? KSEL_GT : l->tok == T_LT ? KSEL_LT : KSEL_EQ;
		lex_next(l);
		const char *v = "";
		size_t vlen = 0;
		if (l->tok == T_ID || l->tok == T_IN || l->tok == T_NOTIN) {
			v = l->id;
			vlen = l->idlen;
			lex_next(l);
		} else if (l->tok != T_END && l->tok != T_COMMA) {
			perr(p, "expected a value%.*s%s", "", 0, "");
			return false;
		}
		if ((why = check_name(v, vlen, r->op != KSEL_GT && r->op != KSEL_LT))) {
			perr(p, "value \"%.*s\" %s", v, vlen, why);
			return false;
		}
		if (r->op == KSEL_GT || r->op == KSEL_LT) {
			char tmp[64], *end;
			snprintf(tmp, sizeof tmp, "%.*s", (int)vlen, v);
			errno = 0;
			(void)strtoll(tmp, &end, 10);
			if (*end || errno) {
				perr(p, "value \"%.*s\" %s", v, vlen, "must be an integer for > and <");
				return false;
			}
		}
		const char **vals = KB_NEW(p->b, const char *, 1);
		vals[0] = kb_strn(p->b, v, vlen);
		r->values = vals;
		r->nvalues = 1;
		return true;
	}
	case T_IN:
	case T_NOTIN: {
		r->op = l->tok == T_IN ? KSEL_IN : KSEL_NOTIN;
		lex_next(l);
		if (l->tok != T_OPEN) {
			perr(p, "expected '(' after in/notin%.*s%s", "", 0, "");
			return false;
		}
		/* Values are counted in a first scan of the text, then copied. */
		lex_t save = *l;
		size_t n = 0;
		lex_next(l);
		if (l->tok == T_CLOSE) {
			perr(p, "%.*sthe value list of in/notin must not be empty%s", "", 0, "");
			return false;
		}
		for (;;) {
			if (l->tok == T_ID || l->tok == T_IN || l->tok == T_NOTIN) {
				if ((why = check_name(l->id, l->idlen, true))) {
					perr(p, "value \"%.*s\" %s", l->id, l->idlen, why);
					return false;
				}
				lex_next(l);
			} else if (l->tok != T_COMMA && l->tok != T_CLOSE) {
				perr(p, "expected a value, ',' or ')' in a value list%.*s%s", "", 0, "");
				return false;
			}
			n++; /* "in (a,,b)" has an empty value */
			if (l->tok == T_CLOSE)
				break;
			if (l->tok != T_COMMA) {
				perr(p, "expected ',' or ')' in a value list%.*s%s", "", 0, "");
				return false;
			}
			lex_next(l);
		}
		*l = save;
		const char **vals = KB_NEW(p->b, const char *, n);
		size_t k = 0;
		lex_next(l);
		for (;;) {
			if (l->tok == T_ID || l->tok == T_IN || l->tok == T_NOTIN) {
				vals[k++] = kb_strn(p->b, l->id, l->idlen);
				lex_next(l);
			} else {
				vals[k++] = "";
			}
			if (l->tok == T_CLOSE)
				break;
			lex_next(l);
		}
		lex_next(l);
		/* A set: drop duplicates after sorting happens in ksel_sort; keep them here. */
		r->values = vals;
		r->nvalues = (uint16_t)(k > UINT16_MAX ? UINT16_MAX : k);
		return true;
	}
	default:
		perr(p, "expected an operator after key%.*s%s", "", 0, "");
		return false;
	}
}

static ksel_t *parse_all(parse_t *p, const char *text)
{
	ksel_t *s = KB_NEW(p->b, ksel_t, 1);
	size_t n = 0;
	/* Count commas outside parentheses for the requirement array's size. */
	size_t cap = 1, depth = 0;
	for (const char *c = text; *c; c++) {
		if (*c == '(')
			depth++;
		else if (*c == ')' && depth)
			depth--;
		else if (*c == ',' && !depth)
			cap++;
	}
	ksel_req_t *reqs = KB_NEW(p->b, ksel_req_t, cap);
	p->l.s = text;
	lex_next(&p->l);
	if (p->l.tok == T_END) {
		s->reqs = reqs;
		return s;
	}
	for (;;) {
		if (n == cap || n == UINT16_MAX) {
			perr(p, "too many requirements%.*s%s", "", 0, "");
			return NULL;
		}
		if (!parse_req(p, &reqs[n]))
			return NULL;
		n++;
		if (p->l.tok == T_END)
			break;
		if (p->l.tok != T_COMMA) {
			perr(p, "expected ',' between requirements%.*s%s", "", 0, "");
			return NULL;
		}
		lex_next(&p->l);
	}
	ksel_sort(reqs, n);
	s->reqs = reqs;
	s->n = (uint16_t)n;
	return s;
}

ksel_t *ksel_parse(const char *text, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!text)
		text = "";
	/* Two passes like kobj_decode: the result is one block, freed with free(). */
	kb_t m = {.measure = true};
	parse_t p = {.b = &m, .err = err, .errlen = errlen};
	ksel_t *ok = parse_all(&p, text);
	size_t size = m.off;
	kb_release(&m);
	if (!ok)
		return NULL;
	kb_t f = {.measure = false, .cap = size};
	f.block = malloc(size);
	if (!f.block)
		return NULL;
	parse_t q = {.b = &f};
	return parse_all(&q, text);
}

void ksel_free(ksel_t *s)
{
	free(s);
}

/* ---- matching and formatting ----------------------------------------------- */

static const char *label_find(const kobj_label_t *labels, size_t n, const char *key)
{
	/* Labels are sorted by key: binary search. */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(labels[mid].key, key);
		if (c == 0)
			return labels[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool in_values(const ksel_req_t *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

static bool int_cmp(const char *have, const char *want, int sign)
{
	char *e1, *e2;
	errno = 0;
	long long a = strtoll(have, &e1, 10);
	long long b = strtoll(want, &e2, 10);
	if (*have == '\0' || *e1 || *e2 || errno)
		return false;
	return sign > 0 ? a > b : a < b;
}

bool ksel_matches(const ksel_t *s, const kobj_label_t *labels, size_t nlabels)
{
	if (!s)
		return true;
	if (s->nothing)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		const ksel_req_t *r = &s->reqs[i];
		const char *v = label_find(labels, nlabels, r->key);
		bool ok;
		switch (r->op) {
		case KSEL_EQ: ok = v && r->nvalues && strcmp(v, r->values[0]) == 0; break;
		case KSEL_NE: ok = !v || !r->nvalues || strcmp(v, r->values[0]) != 0; break;
		case KSEL_IN: ok = v && in_values(r, v); break;
		case KSEL_NOTIN: ok = !v || !in_values(r, v); break;
		case KSEL_EXISTS: ok = v != NULL; break;
		case KSEL_NOTEXISTS: ok = v == NULL; break;
		case KSEL_GT: ok = v && r->nvalues && int_cmp(v, r->values[0], 1); break;
		case KSEL_LT: ok = v && r->nvalues && int_cmp(v, r->values[0], -1); break;
		default: ok = false; break;
		}
		if (!ok)
			return false;
	}
	return true;
}

int ksel_format(const ksel_t *s, char *buf, size_t len)
{
	static const char *const ops[] = {
		[KSEL_EQ] = "=", [KSEL_NE] = "!=", [KSEL_IN] = " in ", [KSEL_NOTIN] = " notin ",
		[KSEL_EXISTS] = "", [KSEL_NOTEXISTS] = "", [KSEL_GT] = ">", [KSEL_LT] = "<",
	};
	size_t n = 0;
	if (len)
		buf[0] = '\0';
#define PUT(...)                                                                        \
	do {                                                                            \
		int w_ = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__); \
		if (w_ > 0)                                                             \
			n += (size_t)w_;                                                \
	} while (0)
	for (size_t i = 0; s && i < s->n; i++) {
		const ksel_req_t *r = &s->reqs[i];
		PUT("%s%s%s%s", i ? "," : "", r->op == KSEL_NOTEXISTS ? "!" : "", r->key, ops[r->op]);
		if (r->op == KSEL_IN || r->op == KSEL_NOTIN) {
			PUT("(");
			for (size_t k = 0; k < r->nvalues; k++)
				if (!k || strcmp(r->values[k], r->values[k - 1]) != 0) /* a set */
					PUT("%s%s", k ? "," : "", r->values[k]);
			PUT(")");
		} else if (r->op != KSEL_EXISTS && r->op != KSEL_NOTEXISTS && r->nvalues) {
			PUT("%s", r->values[0]);
		}
	}
#undef PUT
	return (int)n;
}

bool kobj_matches_labels(const kobj_t *o, const char *selector)
{
	if (!o)
		return false;
	ksel_t *s = ksel_parse(selector, NULL, 0);
	if (!s)
		return false;
	bool ok = ksel_matches(s, o->labels, o->nlabels);
	ksel_free(s);
	return ok;
}

bool kobj_selects(const kobj_t *sel, const kobj_t *o)
{
	if (!sel || !o || kobj_strcmp(sel->ns, o->ns) != 0)
		return false;
	switch (sel->kind) {
	case KIND_DEPLOYMENT:
	case KIND_REPLICASET:
	case KIND_STATEFULSET:
	case KIND_DAEMONSET:
	case KIND_JOB:
	case KIND_CRONJOB:
		return ksel_matches(&sel->u.wl.selector, o->labels, o->nlabels);
	case KIND_NETWORKPOLICY:
		return ksel_matches(&sel->u.misc.selector, o->labels, o->nlabels);
	case KIND_SERVICE: {
		/* A service without a selector manages no endpoints: it selects nothing. */
		const kobj_service_t *s = &sel->u.svc;
		if (!s->nselector)
			return false;
		for (size_t i = 0; i < s->nselector; i++) {
			const char *v = label_find(o->labels, o->nlabels, s->selector[i].key);
			if (!v || strcmp(v, s->selector[i].value) != 0)
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}
