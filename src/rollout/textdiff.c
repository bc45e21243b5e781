/* textdiff: Myers' O(ND) diff in linear space (middle snake, divide and conquer), as GNU diff
 * does it, after two cheap reductions: the common prefix/suffix, and lines that occur in only one
 * text (they can never match, so an all-changed diff costs nothing). A cost cap per split bounds
 * the time on very different inputs: past it the furthest-reaching point is taken as the split,
 * which keeps the diff correct but maybe not minimal. */
#include "kdeck/textdiff.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeck/strutil.h"

/* ---- lines and ids --------------------------------------------------------------------------- */

typedef struct span { const char *s; size_t len; } span_t;

static span_t *split_lines(const char *t, size_t len, size_t *n)
{
    size_t cnt = 0;
    for (size_t i = 0; i < len; i++)
        cnt += t[i] == '\n';
    if (len && t[len - 1] != '\n')
        cnt++;
    *n = cnt;
    span_t *v = malloc((cnt ? cnt : 1) * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0, start = 0;
    for (size_t i = 0; i < len; i++)
        if (t[i] == '\n') {
            v[k].s = t + start;
            v[k++].len = i - start;
            start = i + 1;
        }
    if (start < len) {
        v[k].s = t + start;
        v[k].len = len - start;
    }
    return v;
}

static uint64_t hash_line(const span_t *l)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < l->len; i++)
        h = (h ^ (unsigned char)l->s[i]) * 1099511628211ULL;
    return h;
}

/* Gives equal lines equal ids; counts occurrences on each side. */
static bool assign_ids(const span_t *a, size_t na, const span_t *b, size_t nb, int *ida, int *idb,
                       int **cnt_a, int **cnt_b)
{
    size_t cap = 16;
    while (cap < 2 * (na + nb))
        cap *= 2;
    struct slot { uint64_t h; const span_t *line; int id; } *tab = calloc(cap, sizeof *tab);
    int *ca = calloc(na + nb + 1, sizeof *ca), *cb = calloc(na + nb + 1, sizeof *cb);
    if (!tab || !ca || !cb) {
        free(tab);
        free(ca);
        free(cb);
        return false;
    }
    int next = 0;
    for (size_t side = 0; side < 2; side++) {
        const span_t *v = side ? b : a;
        size_t n = side ? nb : na;
        int *ids = side ? idb : ida, *cnt = side ? cb : ca;
        for (size_t i = 0; i < n; i++) {
            uint64_t h = hash_line(&v[i]);
            size_t at = (size_t)h & (cap - 1);
            while (tab[at].line && !(tab[at].h == h && tab[at].line->len == v[i].len &&
                                     !memcmp(tab[at].line->s, v[i].s, v[i].len)))
                at = (at + 1) & (cap - 1);
            if (!tab[at].line) {
                tab[at].h = h;
                tab[at].line = &v[i];
                tab[at].id = next++;
            }
            ids[i] = tab[at].id;
            cnt[ids[i]]++;
        }
    }
    free(tab);
    *cnt_a = ca;
    *cnt_b = cb;
    return true;
}

/* ---- Myers ---------------------------------------------------------------------------------------- */

typedef struct ctx {
    const int *x, *y;          /* ids of the reduced sequences */
    char *mx, *my;             /* 1 = matched (kept) */
    int *fd, *bd;              /* furthest-reaching x per diagonal, forward and backward */
    int too_expensive;
    bool approximate;
} ctx_t;

typedef struct split { int x, y; } split_t;

/* Finds where a shortest edit script crosses the middle (the "middle snake"); past the cost cap
 * the better of the furthest-reaching forward and backward points. */
static split_t middle(ctx_t *c, int xoff, int xlim, int yoff, int ylim)
{
    int *fd = c->fd, *bd = c->bd;
    const int *x = c->x, *y = c->y;
    const int dmin = xoff - ylim, dmax = xlim - yoff, fmid = xoff - yoff, bmid = xlim - ylim;
    int fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
    const bool odd = (fmid - bmid) & 1;
    fd[fmid] = xoff;
    bd[bmid] = xlim;
    for (int cost = 1;; cost++) {
        if (fmin > dmin)
            fd[--fmin - 1] = -1;
        else
            ++fmin;
        if (fmax < dmax)
            fd[++fmax + 1] = -1;
        else
            --fmax;
        for (int d = fmax; d >= fmin; d -= 2) {
            int tlo = fd[d - 1], thi = fd[d + 1];
            int px = tlo >= thi ? tlo + 1 : thi, py = px - d;
            while (px < xlim && py < ylim && x[px] == y[py]) {
                px++;
                py++;
            }
            fd[d] = px;
            if (odd && bmin <= d && d <= bmax && bd[d] <= px)
                return (split_t){px, py};
        }
        if (bmin > dmin)
            bd[--bmin - 1] = INT_MAX;
        else
            ++bmin;
        if (bmax < dmax)
            bd[++bmax + 1] = INT_MAX;
        else
            --bmax;
        for (int d = bmax; d >= bmin; d -= 2) {
            int tlo = bd[d - 1], thi = bd[d + 1];
            int px = tlo < thi ? tlo : thi - 1, py = px - d;
            while (px > xoff && py > yoff && x[px - 1] == y[py - 1]) {
                px--;
                py--;
            }
            bd[d] = px;
            if (!odd && fmin <= d && d <= fmax && px <= fd[d])
                return (split_t){px, py};
        }
        if (cost >= c->too_expensive) {
            c->approximate = true;
            int fbest = -1, fx = xoff, bbest = INT_MAX, bx = xlim;
            for (int d = fmax; d >= fmin; d -= 2) {
                int px = fd[d] < xlim ? fd[d] : xlim, py = px - d;
                if (py > ylim) {
                    px = ylim + d;
                    py = ylim;
                }
                if (px + py > fbest) {
                    fbest = px + py;
                    fx = px;
                }
            }
            for (int d = bmax; d >= bmin; d -= 2) {
                int px = bd[d] > xoff ? bd[d] : xoff, py = px - d;
                if (py < yoff) {
                    px = yoff + d;
                    py = yoff;
                }
                if (px + py < bbest) {
                    bbest = px + py;
                    bx = px;
                }
            }
            if ((xlim + ylim) - bbest < fbest - (xoff + yoff))
                return (split_t){fx, fbest - fx};
            return (split_t){bx, bbest - bx};
        }
    }
}

static void compare(ctx_t *c, int xoff, int xlim, int yoff, int ylim)
{
    for (;;) {
        while (xoff < xlim && yoff < ylim && c->x[xoff] == c->y[yoff]) {
            c->mx[xoff++] = 1;
            c->my[yoff++] = 1;
        }
        while (xoff < xlim && yoff < ylim && c->x[xlim - 1] == c->y[ylim - 1]) {
            c->mx[--xlim] = 1;
            c->my[--ylim] = 1;
        }
        if (xoff == xlim || yoff == ylim)
            return;
        split_t s = middle(c, xoff, xlim, yoff, ylim);
        bool at_start = s.x == xoff && s.y == yoff, at_end = s.x == xlim && s.y == ylim;
        if (at_start || at_end || s.x < xoff || s.x > xlim || s.y < yoff || s.y > ylim) {
            c->approximate = true;      /* no progress: leave the box as one change */
            return;
        }
        /* Recurse on the smaller half, loop on the larger: the stack stays logarithmic. */
        if ((s.x - xoff) + (s.y - yoff) < (xlim - s.x) + (ylim - s.y)) {
            compare(c, xoff, s.x, yoff, s.y);
            xoff = s.x;
            yoff = s.y;
        } else {
            compare(c, s.x, xlim, s.y, ylim);
            xlim = s.x;
            ylim = s.y;
        }
    }
}

/* Marks ma/mb (1 = line kept) with a longest common subsequence, or close to one. */
static bool lcs(const int *ida, size_t na, const int *idb, size_t nb, const int *cnt_a,
                const int *cnt_b, char *ma, char *mb, bool *approximate)
{
    /* Only lines present on both sides take part. */
    int *xa = malloc((na ? na : 1) * sizeof *xa), *yb = malloc((nb ? nb : 1) * sizeof *yb);
    size_t *mapa = malloc((na ? na : 1) * sizeof *mapa), *mapb = malloc((nb ? nb : 1) * sizeof *mapb);
    size_t n = 0, m = 0;
    bool ok = xa && yb && mapa && mapb;
    for (size_t i = 0; ok && i < na; i++)
        if (cnt_b[ida[i]]) {
            mapa[n] = i;
            xa[n++] = ida[i];
        }
    for (size_t j = 0; ok && j < nb; j++)
        if (cnt_a[idb[j]]) {
            mapb[m] = j;
            yb[m++] = idb[j];
        }
    ctx_t c = {.x = xa, .y = yb};
    int *diag = ok ? malloc((n + m + 3) * 2 * sizeof *diag) : NULL;
    c.mx = ok ? calloc(n + 1, 1) : NULL;
    c.my = ok ? calloc(m + 1, 1) : NULL;
    ok = ok && diag && c.mx && c.my;
    if (ok && n && m) {
        c.fd = diag + m + 1;
        c.bd = diag + (n + m + 3) + m + 1;
        double root = sqrt((double)(n + m));
        c.too_expensive = root > 256 ? (int)root : 256;
        compare(&c, 0, (int)n, 0, (int)m);
        for (size_t i = 0; i < n; i++)
            ma[mapa[i]] = c.mx[i];
        for (size_t j = 0; j < m; j++)
            mb[mapb[j]] = c.my[j];
        *approximate = c.approximate;
    }
    free(diag);
    free(c.mx);
    free(c.my);
    free(xa);
    free(yb);
    free(mapa);
    free(mapb);
    return ok;
}

/* ---- hunks ---------------------------------------------------------------------------------------- */

typedef struct op { char tag; size_t a, b; } op_t;   /* a, b: 0-based line indexes */

static char *dup_text(const char *t, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        if (len)
            memcpy(s, t, len);
        s[len] = '\0';
    }
    return s;
}

void textdiff_free(textdiff_t *d)
{
    if (!d)
        return;
    free(d->lines);
    free(d->hunks);
    free(d->old_text);
    free(d->new_text);
    free(d);
}

static bool build_hunks(textdiff_t *d, const op_t *ops, size_t nops, const span_t *a,
                        const span_t *b, int context)
{
    d->lines = malloc((nops ? nops : 1) * sizeof *d->lines);
    d->hunks = malloc((nops ? nops : 1) * sizeof *d->hunks);
    if (!d->lines || !d->hunks)
        return false;
    size_t ctx = context < 0 ? SIZE_MAX / 4 : (size_t)context;
    size_t i = 0;
    while (i < nops) {
        while (i < nops && ops[i].tag == ' ')
            i++;
        if (i == nops)
            break;
        size_t start = i > ctx ? i - ctx : 0, last = i;
        for (size_t k = i + 1; k < nops; k++) {
            if (ops[k].tag == ' ')
                continue;
            if (k - last - 1 > 2 * ctx)
                break;
            last = k;
        }
        size_t end = nops - last - 1 > ctx ? last + 1 + ctx : nops;
        textdiff_hunk_t *h = &d->hunks[d->n_hunks++];
        memset(h, 0, sizeof *h);
        h->first = d->n_lines;
        size_t old_before = ops[start].a, new_before = ops[start].b;
        for (size_t k = start; k < end; k++) {
            textdiff_line_t *l = &d->lines[d->n_lines++];
            l->tag = ops[k].tag;
            const span_t *src = ops[k].tag == '+' ? &b[ops[k].b] : &a[ops[k].a];
            l->text = src->s;
            l->len = src->len;
            l->old_no = ops[k].tag != '+' ? ops[k].a + 1 : 0;
            l->new_no = ops[k].tag != '-' ? ops[k].b + 1 : 0;
            h->old_count += ops[k].tag != '+';
            h->new_count += ops[k].tag != '-';
        }
        h->count = d->n_lines - h->first;
        /* diff -u: an empty range names the line before it. */
        h->old_start = h->old_count ? old_before + 1 : old_before;
        h->new_start = h->new_count ? new_before + 1 : new_before;
        i = end;
    }
    return true;
}

textdiff_t *textdiff_new(const char *old_text, size_t old_len, const char *new_text,
                         size_t new_len, int context)
{
    textdiff_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->old_text = dup_text(old_text ? old_text : "", old_text ? old_len : 0);
    d->new_text = dup_text(new_text ? new_text : "", new_text ? new_len : 0);
    size_t na = 0, nb = 0;
    span_t *a = d->old_text ? split_lines(d->old_text, old_text ? old_len : 0, &na) : NULL;
    span_t *b = d->new_text ? split_lines(d->new_text, new_text ? new_len : 0, &nb) : NULL;
    int *ida = a && b ? malloc((na + 1) * sizeof *ida) : NULL;
    int *idb = ida ? malloc((nb + 1) * sizeof *idb) : NULL;
    char *ma = idb ? calloc(na + 1, 1) : NULL, *mb = ma ? calloc(nb + 1, 1) : NULL;
    op_t *ops = mb ? malloc((na + nb + 1) * sizeof *ops) : NULL;
    int *cnt_a = NULL, *cnt_b = NULL;
    bool ok = ops && na < INT_MAX / 4 && nb < INT_MAX / 4 &&
              assign_ids(a, na, b, nb, ida, idb, &cnt_a, &cnt_b) &&
              lcs(ida, na, idb, nb, cnt_a, cnt_b, ma, mb, &d->approximate);
    if (ok) {
        size_t i = 0, j = 0, n = 0;
        while (i < na || j < nb) {
            if (i < na && !ma[i]) {
                ops[n++] = (op_t){'-', i++, j};
                d->removed++;
            } else if (j < nb && !mb[j]) {
                ops[n++] = (op_t){'+', i, j++};
                d->added++;
            } else {
                ops[n++] = (op_t){' ', i++, j++};
            }
        }
        ok = build_hunks(d, ops, n, a, b, context);
    }
    free(a);
    free(b);
    free(ida);
    free(idb);
    free(ma);
    free(mb);
    free(ops);
    free(cnt_a);
    free(cnt_b);
    if (!ok) {
        textdiff_free(d);
        return NULL;
    }
    return d;
}

char *textdiff_unified(const textdiff_t *d, const char *old_name, const char *new_name)
{
    strbuf_t b = {0};
    bool ok = strbuf_add(&b, "", 0);
    if (ok && d->n_hunks)
        ok = strbuf_addf(&b, "--- %s\n+++ %s\n", old_name ? old_name : "live",
                         new_name ? new_name : "desired");
    for (size_t h = 0; ok && h < d->n_hunks; h++) {
        const textdiff_hunk_t *hk = &d->hunks[h];
        ok = strbuf_addf(&b, "@@ -%zu,%zu +%zu,%zu @@\n", hk->old_start, hk->old_count,
                         hk->new_start, hk->new_count);
        for (size_t i = hk->first; ok && i < hk->first + hk->count; i++) {
            ok = strbuf_add(&b, &d->lines[i].tag, 1) &&
                 strbuf_add(&b, d->lines[i].text, d->lines[i].len) && strbuf_add(&b, "\n", 1);
        }
    }
    if (!ok) {
        strbuf_free(&b);
        return NULL;
    }
    return b.s;
}

/* ---- YAML-like rendering ----------------------------------------------------------------------- */

static bool needs_quotes(const char *s)
{
    if (!*s || isspace((unsigned char)s[0]) || isspace((unsigned char)s[strlen(s) - 1]))
        return true;
    if (s[0] == '-' && (!s[1] || s[1] == ' '))
        return true;
    if (s[0] != '-' && strchr("?:,[]{}#&*!|>'\"%@`", s[0]))
        return true;
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "y", "n",
                                        "null", "~"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcasecmp(s, words[i]))
            return true;
    char *end;
    strtod(s, &end);
    if (*end == '\0')
        return true;                   /* a number to YAML */
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || (*p == ':' && (p[1] == ' ' || !p[1])) ||
            (*p == '#' && p > s && p[-1] == ' '))
            return true;
    return false;
}

static bool add_scalar(strbuf_t *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        if (!needs_quotes(v->valuestring))
            return strbuf_add(b, v->valuestring, strlen(v->valuestring));
        cJSON *tmp = cJSON_CreateString(v->valuestring);
        char *q = tmp ? cJSON_PrintUnformatted(tmp) : NULL;   /* JSON quoting is valid YAML */
        bool ok = q && strbuf_add(b, q, strlen(q));
        free(q);
        cJSON_Delete(tmp);
        return ok;
    }
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        if (x == floor(x) && fabs(x) < 1e15)
            return strbuf_addf(b, "%.0f", x);
        char buf[64];
        snprintf(buf, sizeof buf, "%.15g", x);
        if (strtod(buf, NULL) != x)
            snprintf(buf, sizeof buf, "%.17g", x);
        return strbuf_add(b, buf, strlen(buf));
    }
    if (cJSON_IsBool(v))
        return strbuf_add(b, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
    if (cJSON_IsObject(v))
        return strbuf_add(b, "{}", 2);
    if (cJSON_IsArray(v))
        return strbuf_add(b, "[]", 2);
    return strbuf_add(b, "null", 4);
}

static bool is_block(const cJSON *v)
{
    return (cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child;
}

static bool add_indent(strbuf_t *b, int n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        int k = n > 32 ? 32 : n;
        if (!strbuf_add(b, spaces, (size_t)k))
            return false;
        n -= k;
    }
    return true;
}

static bool add_key(strbuf_t *b, const char *k)
{
    cJSON tmp = {.type = cJSON_String, .valuestring = (char *)k};
    return add_scalar(b, &tmp) && strbuf_add(b, ":", 1);
}

static bool render(strbuf_t *b, const cJSON *v, int indent, bool top);

/* first_inline: the caller already wrote "- " for the first key of a list item. */
static bool render_pairs(strbuf_t *b, const cJSON **items, size_t n, int indent, bool first_inline)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *it = items[i];
        if (!(i == 0 && first_inline) && !add_indent(b, indent))
            return false;
        if (!add_key(b, it->string ? it->string : ""))
            return false;
        if (is_block(it)) {
            if (!strbuf_add(b, "\n", 1) ||
                !render(b, it, cJSON_IsArray(it) ? indent : indent + 2, false))
                return false;
        } else if (!strbuf_add(b, " ", 1) || !add_scalar(b, it) || !strbuf_add(b, "\n", 1)) {
            return false;
        }
    }
    return true;
}

static const char *const top_order[] = {"apiVersion", "kind", "metadata", "spec"};

static bool render(strbuf_t *b, const cJSON *v, int indent, bool top)
{
    if (cJSON_IsObject(v)) {
        size_t n = (size_t)cJSON_GetArraySize(v), k = 0;
        const cJSON **items = malloc((n ? n : 1) * sizeof *items);
        if (!items)
            return false;
        if (top)
            for (size_t i = 0; i < sizeof top_order / sizeof top_order[0]; i++)
                for (const cJSON *it = v->child; it; it = it->next)
                    if (it->string && !strcmp(it->string, top_order[i])) {
                        items[k++] = it;
                        break;
                    }
        for (const cJSON *it = v->child; it; it = it->next) {
            bool seen = false;
            for (size_t i = 0; i < k && top; i++)
                seen |= items[i] == it;
            if (!seen && k < n)
                items[k++] = it;
        }
        bool ok = render_pairs(b, items, k, indent, false);
        free(items);
        return ok;
    }
    if (cJSON_IsArray(v)) {
        for (const cJSON *it = v->child; it; it = it->next) {
            bool nested = cJSON_IsArray(it) && it->child;
            if (!add_indent(b, indent) || !strbuf_add(b, nested ? "-" : "- ", nested ? 1 : 2))
                return false;
            if (cJSON_IsObject(it) && it->child) {
                size_t n = (size_t)cJSON_GetArraySize(it), k = 0;
                const cJSON **items = malloc(n * sizeof *items);
                if (!items)
                    return false;
                for (const cJSON *c = it->child; c; c = c->next)
                    items[k++] = c;
                bool ok = render_pairs(b, items, k, indent + 2, true);
                free(items);
                if (!ok)
                    return false;
            } else if (cJSON_IsArray(it) && it->child) {
                if (!strbuf_add(b, "\n", 1) || !render(b, it, indent + 2, false))
                    return false;
            } else if (!add_scalar(b, it) || !strbuf_add(b, "\n", 1)) {
                return false;
            }
        }
        return true;
    }
    return add_scalar(b, v) && strbuf_add(b, "\n", 1);
}

char *textdiff_yaml(const cJSON *obj)
{
    strbuf_t b = {0};
    bool ok = strbuf_add(&b, "", 0);
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind"));
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(obj, "items");
    if (kind && !strcmp(kind, "List") && cJSON_IsArray(items)) {
        for (const cJSON *it = items->child; ok && it; it = it->next)
            ok = (it == items->child || strbuf_add(&b, "---\n", 4)) && render(&b, it, 0, true);
    } else if (obj) {
        ok = ok && render(&b, obj, 0, true);
    }
    if (!ok) {
        strbuf_free(&b);
        return NULL;
    }
    return b.s;
}

/* ---- live vs desired ------------------------------------------------------------------------------ */

/* Fields the API server fills in. When the desired object omits one, the live value is dropped
 * if it equals the default here (NULL: any value — assigned by the server or a controller). */
static const struct { const char *key, *value; } server_defaults[] = {
    /* metadata, anywhere (pod templates carry creationTimestamp: null) */
    {"creationTimestamp", NULL},
    /* Deployment */
    {"revisionHistoryLimit", "10"},
    {"progressDeadlineSeconds", "600"},
    {"strategy", "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%\",\"maxSurge\":\"25%\"}}"},
    {"replicas", NULL},           /* omitted on purpose: an autoscaler owns it */
    /* pod spec */
    {"restartPolicy", "\"Always\""},
    {"terminationGracePeriodSeconds", "30"},
    {"dnsPolicy", "\"ClusterFirst\""},
    {"schedulerName", "\"default-scheduler\""},
    {"securityContext", "{}"},
    /* containers, ports, probes */
    {"terminationMessagePath", "\"/dev/termination-log\""},
    {"terminationMessagePolicy", "\"File\""},
    {"imagePullPolicy", NULL},    /* IfNotPresent, or Always for :latest */
    {"resources", "{}"},
    {"protocol", "\"TCP\""},
    {"scheme", "\"HTTP\""},
    {"timeoutSeconds", "1"},
    {"periodSeconds", "10"},
    {"successThreshold", "1"},
    {"failureThreshold", "3"},
    /* Service */
    {"type", "\"ClusterIP\""},
    {"sessionAffinity", "\"None\""},
    {"clusterIP", NULL},
    {"clusterIPs", NULL},
    {"ipFamilies", NULL},
    {"ipFamilyPolicy", "\"SingleStack\""},
    {"internalTrafficPolicy", "\"Cluster\""},
    {"externalTrafficPolicy", "\"Cluster\""},
    {"nodePort", NULL},
    {"allocateLoadBalancerNodePorts", "true"},
    /* Job */
    {"completions", "1"},
    {"parallelism", "1"},
    {"completionMode", "\"NonIndexed\""},
    {"suspend", "false"},
    {"podReplacementPolicy", "\"TerminatingOrFailed\""},
    {"manualSelector", "false"},
    {"selector", NULL},           /* generated for Jobs; Deployments and Services set their own */
    {"controller-uid", NULL},
    {"job-name", NULL},
    {"batch.kubernetes.io/controller-uid", NULL},
    {"batch.kubernetes.io/job-name", NULL},
    /* HorizontalPodAutoscaler (autoscaling/v2 defaults the scaling behavior) */
    {"behavior", NULL},
};

static const char *const server_metadata[] = {
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
};
static const char *const server_annotations[] = {
    "deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration",
};

static bool is_server_default(const cJSON *item)
{
    for (size_t i = 0; i < sizeof server_defaults / sizeof server_defaults[0]; i++) {
        if (strcmp(item->string, server_defaults[i].key))
            continue;
        if (!server_defaults[i].value)
            return true;
        cJSON *def = cJSON_Parse(server_defaults[i].value);
        bool eq = def && cJSON_Compare(def, item, true);
        cJSON_Delete(def);
        return eq;
    }
    return false;
}

static void prune(cJSON *live, const cJSON *desired)
{
    if (cJSON_IsArray(live) && cJSON_IsArray(desired)) {
        const cJSON *d = desired->child;
        for (cJSON *l = live->child; l && d; l = l->next, d = d->next)
            prune(l, d);
        return;
    }
    if (!cJSON_IsObject(live) || !cJSON_IsObject(desired))
        return;
    for (cJSON *l = live->child, *next; l; l = next) {
        next = l->next;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(desired, l->string);
        if (d) {
            prune(l, d);
            continue;
        }
        bool drop = is_server_default(l);
        /* targetPort defaults to port */
        if (!drop && !strcmp(l->string, "targetPort"))
            drop = cJSON_Compare(l, cJSON_GetObjectItemCaseSensitive(live, "port"), true);
        if (drop)
            cJSON_Delete(cJSON_DetachItemViaPointer(live, l));
    }
}

/* Live keys in desired's order, then the keys desired does not have, so the texts line up. */
static void reorder(cJSON *live, const cJSON *desired)
{
    if (cJSON_IsArray(live) && cJSON_IsArray(desired)) {
        const cJSON *d = desired->child;
        for (cJSON *l = live->child; l && d; l = l->next, d = d->next)
            reorder(l, d);
        return;
    }
    if (!cJSON_IsObject(live) || !cJSON_IsObject(desired))
        return;
    cJSON *rest = cJSON_CreateObject();
    if (!rest)
        return;
    /* Detached items keep their key; adding them with AddItemToArray keeps it too. */
    while (live->child)
        cJSON_AddItemToArray(rest, cJSON_DetachItemViaPointer(live, live->child));
    for (const cJSON *d = desired->child; d; d = d->next) {
        cJSON *l = cJSON_GetObjectItemCaseSensitive(rest, d->string);
        if (l) {
            cJSON_DetachItemViaPointer(rest, l);
            cJSON_AddItemToArray(live, l);
            reorder(l, d);
        }
    }
    while (rest->child)
        cJSON_AddItemToArray(live, cJSON_DetachItemViaPointer(rest, rest->child));
    cJSON_Delete(rest);
}

cJSON *textdiff_live_prepare(const cJSON *live, const cJSON *desired)
{
    cJSON *l = cJSON_Duplicate(live, true);
    if (!l)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(l, "status");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(l, "metadata");
    for (size_t i = 0; i < sizeof server_metadata / sizeof server_metadata[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(meta, server_metadata[i]);
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
    for (size_t i = 0; i < sizeof server_annotations / sizeof server_annotations[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(ann, server_annotations[i]);
    if (cJSON_IsObject(ann) && !ann->child &&
        !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(desired, "metadata"),
                                          "annotations"))
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
    if (desired) {
        prune(l, desired);
        reorder(l, desired);
    }
    return l;
}

textdiff_t *textdiff_objects(const cJSON *desired, const cJSON *live, int context)
{
    cJSON *prepared = live ? textdiff_live_prepare(live, desired) : NULL;
    char *old_text = prepared ? textdiff_yaml(prepared) : NULL;
    char *new_text = desired ? textdiff_yaml(desired) : NULL;
    textdiff_t *d = NULL;
    if ((!live || old_text) && (!desired || new_text))
        d = textdiff_new(old_text, old_text ? strlen(old_text) : 0, new_text,
                         new_text ? strlen(new_text) : 0, context);
    cJSON_Delete(prepared);
    free(old_text);
    free(new_text);
    return d;
}
