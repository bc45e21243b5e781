/* Theme files: parser, include resolution, inheritance and colour arithmetic. Pure: no ncurses
 * calls, no global state; any input text yields a theme or a "file:line: message" error. */
#include "kdeck/theme.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kdeck/builtin.h"

/* ---- the element table ---- */

typedef struct elem_info {
    const char *name;
    char letter;
    theme_elem_t parent;
    const char *desc;
} elem_info_t;

static const elem_info_t theme_elems[THEME_ELEM_COUNT] = {
#define THEME_ELEM_INFO_(id, name, letter, parent, desc) [THEME_##id] = { name, letter, THEME_##parent, desc },
    THEME_ELEMS(THEME_ELEM_INFO_)
#undef THEME_ELEM_INFO_
};

static const char *const theme_attr_names[THEME_ATTR_COUNT] = {
#define THEME_ATTR_NAME_(id, name) [THEME_ATTR_INDEX_##id] = name,
    THEME_ATTRS(THEME_ATTR_NAME_)
#undef THEME_ATTR_NAME_
};

static const char *const theme_color_names[8] = {
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

const char *theme_elem_name(theme_elem_t e)
{
    return (unsigned)e < THEME_ELEM_COUNT ? theme_elems[e].name : "?";
}

char theme_elem_letter(theme_elem_t e)
{
    return (unsigned)e < THEME_ELEM_COUNT ? theme_elems[e].letter : '?';
}

const char *theme_elem_description(theme_elem_t e)
{
    return (unsigned)e < THEME_ELEM_COUNT ? theme_elems[e].desc : "";
}

theme_elem_t theme_elem_parent(theme_elem_t e)
{
    return (unsigned)e < THEME_ELEM_COUNT ? theme_elems[e].parent : THEME_DEFAULT;
}

theme_elem_t theme_elem_by_name(const char *name)
{
    if (!name)
        return THEME_ELEM_COUNT;
    for (int i = 0; i < THEME_ELEM_COUNT; i++)
        if (!strcasecmp(name, theme_elems[i].name))
            return (theme_elem_t)i;
    return THEME_ELEM_COUNT;
}

theme_elem_t theme_elem_by_letter(char letter)
{
    for (int i = 0; i < THEME_ELEM_COUNT; i++)
        if (theme_elems[i].letter == letter)
            return (theme_elem_t)i;
    return THEME_ELEM_COUNT;
}

/* ---- colour arithmetic ---- */

/* xterm's default palette for 0..15. */
static const unsigned char theme_ansi_rgb[16][3] = {
    { 0, 0, 0 },       { 205, 0, 0 },     { 0, 205, 0 },     { 205, 205, 0 },
    { 0, 0, 238 },     { 205, 0, 205 },   { 0, 205, 205 },   { 229, 229, 229 },
    { 127, 127, 127 }, { 255, 0, 0 },     { 0, 255, 0 },     { 255, 255, 0 },
    { 92, 92, 255 },   { 255, 0, 255 },   { 0, 255, 255 },   { 255, 255, 255 },
};
static const int theme_cube_levels[6] = { 0, 95, 135, 175, 215, 255 };

void theme_256_to_rgb(int c, int *r, int *g, int *b)
{
    int rr = 0, gg = 0, bb = 0;
    if (c >= 0 && c < 16) {
        rr = theme_ansi_rgb[c][0];
        gg = theme_ansi_rgb[c][1];
        bb = theme_ansi_rgb[c][2];
    } else if (c >= 16 && c < 232) {
        rr = theme_cube_levels[(c - 16) / 36];
        gg = theme_cube_levels[(c - 16) / 6 % 6];
        bb = theme_cube_levels[(c - 16) % 6];
    } else if (c >= 232 && c < 256) {
        rr = gg = bb = 8 + 10 * (c - 232);
    }
    if (r)
        *r = rr;
    if (g)
        *g = gg;
    if (b)
        *b = bb;
}

static int theme_cube_index(int v)
{
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(theme_cube_levels[i] - v) < abs(theme_cube_levels[best] - v))
            best = i;
    return best;
}

static int theme_dist2(int r1, int g1, int b1, int r2, int g2, int b2)
{
    return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}

/* 16..255 only: 0..15 are redefined by most users' terminal palettes. */
int theme_rgb_to_256(int r, int g, int b)
{
    r = r < 0 ? 0 : r > 255 ? 255 : r;
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    b = b < 0 ? 0 : b > 255 ? 255 : b;
    int ri = theme_cube_index(r), gi = theme_cube_index(g), bi = theme_cube_index(b);
    int cube = 16 + 36 * ri + 6 * gi + bi;
    int cr = theme_cube_levels[ri], cg = theme_cube_levels[gi], cb = theme_cube_levels[bi];
    if (cr == r && cg == g && cb == b)
        return cube;
    int avg = (r + g + b) / 3;
    int gi2 = avg < 8 ? 0 : (avg - 8 + 5) / 10;
    if (gi2 > 23)
        gi2 = 23;
    int gv = 8 + 10 * gi2;
    return theme_dist2(r, g, b, gv, gv, gv) < theme_dist2(r, g, b, cr, cg, cb) ? 232 + gi2 : cube;
}

/* Greys by lightness, colours by hue: a dark red background stays red rather than turning black,
 * which is what the theme's author meant. Light tints and light greys are "bright". */
int theme_256_to_8(int c, bool *bright)
{
    bool br = false;
    int out;
    if (c < 0 || c > 255) {
        out = THEME_COLOR_DEFAULT;
    } else if (c < 8) {
        out = c;
    } else if (c < 16) {
        out = c - 8;
        br = true;
    } else {
        int r, g, b;
        theme_256_to_rgb(c, &r, &g, &b);
        int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
        int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
        int chroma = mx - mn, light = (mx + mn) / 2;
        if (chroma < 40 || chroma * 4 < mx) {
            out = light < 0x60 ? 0 : 7;
            br = light >= 0xd0;
        } else {
            double h;
            if (mx == r)
                h = 60.0 * (g - b) / chroma;
            else if (mx == g)
                h = 120.0 + 60.0 * (b - r) / chroma;
            else
                h = 240.0 + 60.0 * (r - g) / chroma;
            if (h < 0)
                h += 360.0;
            static const int by_sector[6] = { 1 /*red*/, 3 /*yellow*/, 2 /*green*/,
                                              6 /*cyan*/, 4 /*blue*/, 5 /*magenta*/ };
            out = by_sector[(int)((h + 30.0) / 60.0) % 6];
            br = light > 0xa0;
        }
    }
    if (bright)
        *bright = br;
    return out;
}

/* ---- the theme ---- */

typedef struct raw_style {
    bool set, fg_inherit, bg_inherit, attr_inherit;
    short fg, bg;
    unsigned attrs;
    bool mono_set, mono_inherit;
    unsigned mono;
} raw_style_t;

struct theme {
    char *name;
    raw_style_t raw[THEME_ELEM_COUNT];
    theme_style_t style[THEME_ELEM_COUNT];
};

static const theme_style_t theme_plain = { THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0, 0 };

void theme_free(theme_t *t)
{
    if (!t)
        return;
    free(t->name);
    free(t);
}

const char *theme_name(const theme_t *t)
{
    return t && t->name ? t->name : "";
}

const theme_style_t *theme_get(const theme_t *t, theme_elem_t e)
{
    if (!t || (unsigned)e >= THEME_ELEM_COUNT)
        return &theme_plain;
    return &t->style[e];
}

bool theme_is_set(const theme_t *t, theme_elem_t e)
{
    return t && (unsigned)e < THEME_ELEM_COUNT && t->raw[e].set;
}

/* Monochrome attributes nobody wrote down: the colour attributes, plus reverse for elements that
 * stand out by their background (bars, the selection), so they still stand out without colour. */
static unsigned theme_derive_mono(const theme_style_t *s, const theme_style_t *dflt)
{
    unsigned m = s->attrs;
    if (s->bg != dflt->bg && s->bg != THEME_COLOR_DEFAULT)
        m |= THEME_ATTR_REVERSE;
    return m;
}

/* Parents come before children in THEME_ELEMS, so one pass resolves everything. */
static void theme_resolve(theme_t *t)
{
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        const raw_style_t *r = &t->raw[i];
        const theme_style_t *base = i == THEME_DEFAULT ? &theme_plain : &t->style[theme_elems[i].parent];
        theme_style_t *s = &t->style[i];
        if (r->set) {
            s->fg = r->fg_inherit ? base->fg : r->fg;
            s->bg = r->bg_inherit ? base->bg : r->bg;
            s->attrs = r->attrs | (r->attr_inherit ? base->attrs : 0);
        } else {
            s->fg = base->fg;
            s->bg = base->bg;
            s->attrs = base->attrs;
        }
        if (r->mono_set)
            s->mono = r->mono | (r->mono_inherit ? base->mono : 0);
        else if (r->set || i == THEME_DEFAULT)
            s->mono = theme_derive_mono(s, &t->style[THEME_DEFAULT]);
        else
            s->mono = base->mono;
    }
}

/* ---- parsing ---- */

typedef struct parse_ctx {
    theme_t *t;
    char *err;
    size_t errlen;
    bool failed;
    int depth;
    const char *stack_id[THEME_INCLUDE_MAX + 1];   /* identities of the files being parsed */
    const char *stack_name[THEME_INCLUDE_MAX + 1]; /* their names for messages */
} parse_ctx_t;

__attribute__((format(printf, 4, 5)))
static bool theme_fail(parse_ctx_t *ctx, const char *file, int line, const char *fmt, ...)
{
    if (ctx->failed)
        return false;
    ctx->failed = true;
    if (!ctx->err || !ctx->errlen)
        return false;
    int n = line > 0 ? snprintf(ctx->err, ctx->errlen, "%s:%d: ", file, line)
                     : snprintf(ctx->err, ctx->errlen, "%s: ", file);
    if (n < 0)
        n = 0;
    if ((size_t)n < ctx->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A word from the file made safe to show: control characters become '?', long words are cut
 * (not inside a UTF-8 sequence) and end in "...". */
static const char *theme_quote(const char *word, char *buf, size_t len)
{
    enum { MAXQ = 40 };
    size_t n = 0, wl = strlen(word);
    size_t cut = wl > MAXQ ? MAXQ : wl;
    while (cut < wl && cut > 0 && ((unsigned char)word[cut] & 0xC0) == 0x80)
        cut--;
    for (size_t i = 0; i < cut && n + 4 < len; i++) {
        unsigned char ch = (unsigned char)word[i];
        buf[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (cut < wl && n + 4 <= len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* Edit distance, for "did you mean"; large values for long words. */
static int theme_distance(const char *a, const char *b)
{
    enum { MAXW = 48 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXW || lb > MAXW)
        return INT_MAX;
    int prev[MAXW + 1], cur[MAXW + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = a[i - 1] >= 'A' && a[i - 1] <= 'Z' ? a[i - 1] + 32 : a[i - 1];
            int cost = ca == b[j - 1] ? 0 : 1;
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

/* The closest candidate when it is close enough to be a typo, else NULL. */
static const char *theme_suggest(const char *word, const char *const *cands, size_t n, size_t stride)
{
    const char *best = NULL;
    int bestd = INT_MAX;
    for (size_t i = 0; i < n; i++) {
        const char *c = *(const char *const *)((const char *)cands + i * stride);
        int d = theme_distance(word, c);
        if (d < bestd) {
            bestd = d;
            best = c;
        }
    }
    int limit = (int)strlen(word) / 3;
    if (limit < 2)
        limit = 2;
    return bestd <= limit ? best : NULL;
}

static const char *theme_suggest_elem(const char *word)
{
    return theme_suggest(word, &theme_elems[0].name, THEME_ELEM_COUNT, sizeof theme_elems[0]);
}

static const char *theme_suggest_color(const char *word)
{
    static const char *const extra[] = { "default", "bright-black", "bright-red", "bright-green",
                                         "bright-yellow", "bright-blue", "bright-magenta", "bright-cyan",
                                         "bright-white" };
    const char *a = theme_suggest(word, theme_color_names, 8, sizeof(char *));
    const char *b = theme_suggest(word, extra, sizeof extra / sizeof *extra, sizeof(char *));
    if (!a)
        return b;
    if (!b)
        return a;
    return theme_distance(word, a) <= theme_distance(word, b) ? a : b;
}

static const char *theme_suggest_attr(const char *word)
{
    return theme_suggest(word, theme_attr_names, THEME_ATTR_COUNT, sizeof(char *));
}

static int theme_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

typedef enum { COLOR_OK, COLOR_INHERIT, COLOR_BAD } color_result_t;

static color_result_t theme_parse_color(parse_ctx_t *ctx, const char *file, int line, const char *w,
                                        short *out)
{
    char q[64];
    if (!strcasecmp(w, "inherit"))
        return COLOR_INHERIT;
    if (!strcasecmp(w, "default")) {
        *out = THEME_COLOR_DEFAULT;
        return COLOR_OK;
    }
    const char *base = w;
    bool bright = !strncasecmp(w, "bright-", 7);
    if (bright)
        base = w + 7;
    for (int i = 0; i < 8; i++)
        if (!strcasecmp(base, theme_color_names[i])) {
            *out = (short)(i + (bright ? 8 : 0));
            return COLOR_OK;
        }
    if (w[0] >= '0' && w[0] <= '9') {
        size_t n = strspn(w, "0123456789");
        if (w[n] == '\0') {
            long v = 0;
            for (size_t i = 0; i < n && v <= 255; i++)
                v = v * 10 + (w[i] - '0');
            if (v > 255) {
                theme_fail(ctx, file, line, "colour number %s out of range 0-255", theme_quote(w, q, sizeof q));
                return COLOR_BAD;
            }
            *out = (short)v;
            return COLOR_OK;
        }
    }
    if (w[0] == '#') {
        size_t n = strlen(w + 1);
        int v[6];
        bool ok = n == 6 || n == 3;
        for (size_t i = 0; ok && i < n; i++)
            ok = (v[i] = theme_hex(w[1 + i])) >= 0;
        if (!ok) {
            theme_fail(ctx, file, line, "bad colour '%s' (expected #rrggbb)", theme_quote(w, q, sizeof q));
            return COLOR_BAD;
        }
        int r = n == 6 ? v[0] * 16 + v[1] : v[0] * 17;
        int g = n == 6 ? v[2] * 16 + v[3] : v[1] * 17;
        int b = n == 6 ? v[4] * 16 + v[5] : v[2] * 17;
        *out = (short)theme_rgb_to_256(r, g, b);
        return COLOR_OK;
    }
    const char *s = theme_suggest_color(w);
    char q2[64];
    if (s)
        theme_fail(ctx, file, line, "unknown colour '%s' (did you mean '%s'?)", theme_quote(w, q, sizeof q),
                   theme_quote(s, q2, sizeof q2));
    else
        theme_fail(ctx, file, line, "unknown colour '%s'", theme_quote(w, q, sizeof q));
    return COLOR_BAD;
}

/* The next whitespace-separated word of *p, NUL-terminated in place; NULL at the end. */
static char *theme_word(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *e = s;
    while (*e && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\v' && *e != '\f')
        e++;
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

/* Attribute words up to the end of the line or a comment. */
static bool theme_parse_attrs(parse_ctx_t *ctx, const char *file, int line, char **p, unsigned *bits,
                              bool *inherit, bool *any)
{
    char q[64], q2[64];
    *bits = 0;
    *inherit = false;
    *any = false;
    for (char *w; (w = theme_word(p)) != NULL;) {
        if (w[0] == '#')
            break;
        *any = true;
        if (!strcasecmp(w, "inherit")) {
            *inherit = true;
            continue;
        }
        if (!strcasecmp(w, "normal") || !strcasecmp(w, "none"))
            continue;
        int found = -1;
        for (int i = 0; i < THEME_ATTR_COUNT; i++)
            if (!strcasecmp(w, theme_attr_names[i]))
                found = i;
        if (found < 0) {
            const char *s = theme_suggest_attr(w);
            if (s)
                return theme_fail(ctx, file, line, "unknown attribute '%s' (did you mean '%s'?)",
                                  theme_quote(w, q, sizeof q), theme_quote(s, q2, sizeof q2));
            return theme_fail(ctx, file, line, "unknown attribute '%s'", theme_quote(w, q, sizeof q));
        }
        *bits |= 1u << found;
    }
    return true;
}

static bool theme_lookup_elem(parse_ctx_t *ctx, const char *file, int line, const char *w, theme_elem_t *e)
{
    char q[64], q2[64];
    *e = theme_elem_by_name(w);
    if (*e != THEME_ELEM_COUNT)
        return true;
    const char *s = theme_suggest_elem(w);
    if (s)
        return theme_fail(ctx, file, line, "unknown element '%s' (did you mean '%s'?)",
                          theme_quote(w, q, sizeof q), theme_quote(s, q2, sizeof q2));
    return theme_fail(ctx, file, line, "unknown element '%s'", theme_quote(w, q, sizeof q));
}

static bool theme_parse_text(parse_ctx_t *ctx, const char *text, const char *file, const char *id);
static bool theme_include(parse_ctx_t *ctx, const char *file, int line, const char *what);

static bool theme_parse_line(parse_ctx_t *ctx, const char *file, int line, char *p)
{
    char q[64];
    char *w = theme_word(&p);
    if (!w || w[0] == '#')
        return true;
    if (!strcasecmp(w, "include")) {
        char *name = theme_word(&p);
        if (!name || name[0] == '#')
            return theme_fail(ctx, file, line, "include needs a theme name");
        char *extra = theme_word(&p);
        if (extra && extra[0] != '#')
            return theme_fail(ctx, file, line, "include takes one theme name, not '%s'",
                              theme_quote(extra, q, sizeof q));
        return theme_include(ctx, file, line, name);
    }
    if (!strcasecmp(w, "mono")) {
        char *ew = theme_word(&p);
        if (!ew || ew[0] == '#')
            return theme_fail(ctx, file, line, "mono needs an element and attributes");
        theme_elem_t e;
        if (!theme_lookup_elem(ctx, file, line, ew, &e))
            return false;
        unsigned bits;
        bool inherit, any;
        if (!theme_parse_attrs(ctx, file, line, &p, &bits, &inherit, &any))
            return false;
        if (!any)
            return theme_fail(ctx, file, line, "mono %s needs attributes ('normal' for none)",
                              theme_elems[e].name);
        raw_style_t *r = &ctx->t->raw[e];
        r->mono_set = true;
        r->mono = bits;
        r->mono_inherit = inherit;
        return true;
    }
    theme_elem_t e;
    if (!theme_lookup_elem(ctx, file, line, w, &e))
        return false;
    char *fgw = theme_word(&p);
    char *bgw = fgw ? theme_word(&p) : NULL;
    if (!fgw || !bgw)
        return theme_fail(ctx, file, line, "%s needs a foreground and a background colour",
                          theme_elems[e].name);
    short fg = THEME_COLOR_DEFAULT, bg = THEME_COLOR_DEFAULT;
    color_result_t rf = theme_parse_color(ctx, file, line, fgw, &fg);
    if (rf == COLOR_BAD)
        return false;
    color_result_t rb = theme_parse_color(ctx, file, line, bgw, &bg);
    if (rb == COLOR_BAD)
        return false;
    unsigned bits;
    bool inherit, any;
    if (!theme_parse_attrs(ctx, file, line, &p, &bits, &inherit, &any))
        return false;
    raw_style_t *r = &ctx->t->raw[e];
    r->set = true;
    r->fg = fg;
    r->bg = bg;
    r->fg_inherit = rf == COLOR_INHERIT;
    r->bg_inherit = rb == COLOR_INHERIT;
    r->attrs = bits;
    r->attr_inherit = inherit;
    return true;
}

static bool theme_parse_text(parse_ctx_t *ctx, const char *text, const char *file, const char *id)
{
    if (ctx->depth > THEME_INCLUDE_MAX)
        return theme_fail(ctx, file, 0, "includes nested more than %d deep", THEME_INCLUDE_MAX);
    char *copy = strdup(text);
    if (!copy)
        return theme_fail(ctx, file, 0, "out of memory");
    ctx->stack_id[ctx->depth] = id;
    ctx->stack_name[ctx->depth] = file;
    ctx->depth++;
    bool ok = true;
    int line = 0;
    for (char *p = copy; ok && p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        ok = theme_parse_line(ctx, file, line, p);
        p = nl ? nl + 1 : NULL;
    }
    ctx->depth--;
    free(copy);
    return ok;
}

/* ---- finding files ---- */

bool theme_user_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, len, "%s/kdeck/themes", xdg);
    else if (home && home[0])
        n = snprintf(buf, len, "%s/.config/kdeck/themes", home);
    else
        return false;
    return n > 0 && (size_t)n < len;
}

static bool theme_valid_name(const char *name)
{
    if (!name[0] || name[0] == '.' || strlen(name) > 64)
        return false;
    for (const char *s = name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static bool theme_is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 6 && !strcmp(s + n - 6, ".theme"));
}

/* Reads a whole text file; NULL with errno set (EINVAL for a NUL byte or a huge file). */
static char *theme_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    int bad = fstat(fileno(f), &st) != 0 ? errno
              : S_ISDIR(st.st_mode)      ? EISDIR
              : !S_ISREG(st.st_mode) || st.st_size > 4 * 1024 * 1024 ? EINVAL
                                                                      : 0;
    if (bad) {
        fclose(f);
        errno = bad;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - 1 - n, f)) > 0)
        n += got;
    fclose(f);
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        errno = EINVAL;
        return NULL;
    }
    return buf;
}

static bool theme_on_stack(const parse_ctx_t *ctx, const char *id)
{
    for (int i = 0; i < ctx->depth; i++)
        if (!strcmp(ctx->stack_id[i], id))
            return true;
    return false;
}

/* "a -> b -> a" for the include-cycle message. */
static void theme_cycle_text(const parse_ctx_t *ctx, const char *again, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i <= ctx->depth; i++) {
        const char *s = i < ctx->depth ? ctx->stack_name[i] : again;
        int w = snprintf(buf + n, len - n, "%s%s", i ? " -> " : "", s);
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
}

/* Parses a file by path; relative paths are taken from the including file's directory. */
static bool theme_parse_path(parse_ctx_t *ctx, const char *from_file, int line, const char *path)
{
    char full[4096], q[64];
    if (path[0] != '/' && from_file && strchr(from_file, '/')) {
        const char *slash = strrchr(from_file, '/');
        int n = snprintf(full, sizeof full, "%.*s/%s", (int)(slash - from_file), from_file, path);
        if (n < 0 || (size_t)n >= sizeof full)
            return theme_fail(ctx, from_file, line, "path too long");
    } else {
        if (strlen(path) >= sizeof full)
            return theme_fail(ctx, from_file ? from_file : "theme", line, "path too long");
        strcpy(full, path);
    }
    if (theme_on_stack(ctx, full)) {
        char chain[1024];
        theme_cycle_text(ctx, full, chain, sizeof chain);
        return theme_fail(ctx, from_file, line, "include cycle: %s", chain);
    }
    char *text = theme_read_file(full);
    if (!text) {
        const char *why = errno == EINVAL ? "not a text file" : strerror(errno);
        if (from_file)
            return theme_fail(ctx, from_file, line, "cannot include '%s': %s", theme_quote(full, q, sizeof q), why);
        return theme_fail(ctx, full, 0, "%s", why);
    }
    bool ok = theme_parse_text(ctx, text, full, full);
    free(text);
    return ok;
}

/* A theme by name: the user directory, then the built-in file. A user file that includes its own
 * name (to extend the built-in theme) gets the built-in one: candidates being parsed are skipped. */
static bool theme_parse_named(parse_ctx_t *ctx, const char *from_file, int line, const char *name)
{
    char q[64];
    const char *where = from_file ? from_file : "theme";
    if (!theme_valid_name(name))
        return theme_fail(ctx, where, line, "bad theme name '%s'", theme_quote(name, q, sizeof q));
    char dir[3072], path[4096], builtin_path[128];
    snprintf(builtin_path, sizeof builtin_path, "themes/%s.theme", name);
    const char *again = NULL; /* a candidate already being parsed */
    if (theme_user_dir(dir, sizeof dir)) {
        snprintf(path, sizeof path, "%s/%s.theme", dir, name);
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!theme_on_stack(ctx, path))
                return theme_parse_path(ctx, NULL, 0, path);
            again = path;
        }
    }
    const char *text = builtin_file(builtin_path);
    if (text) {
        if (!theme_on_stack(ctx, builtin_path))
            return theme_parse_text(ctx, text, builtin_path, builtin_path);
        if (!again)
            again = builtin_path;
    }
    if (again) {
        char chain[1024];
        theme_cycle_text(ctx, again, chain, sizeof chain);
        return theme_fail(ctx, where, line, "include cycle: %s", chain);
    }
    if (from_file)
        return theme_fail(ctx, from_file, line, "cannot include '%s': no such theme", name);
    return theme_fail(ctx, where, 0, "no theme named '%s'", name);
}

static bool theme_include(parse_ctx_t *ctx, const char *file, int line, const char *what)
{
    if (ctx->depth >= THEME_INCLUDE_MAX)
        return theme_fail(ctx, file, line, "includes nested more than %d deep", THEME_INCLUDE_MAX);
    if (theme_is_path(what))
        return theme_parse_path(ctx, file, line, what);
    return theme_parse_named(ctx, file, line, what);
}

/* "themes/light.theme" -> "light". */
static char *theme_name_of(const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t n = strlen(b);
    if (n > 6 && !strcmp(b + n - 6, ".theme"))
        n -= 6;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

static theme_t *theme_finish(parse_ctx_t *ctx, bool ok, const char *name_from)
{
    if (!ok || ctx->failed) {
        if (!ctx->failed && ctx->err && ctx->errlen)
            snprintf(ctx->err, ctx->errlen, "theme: failed");
        theme_free(ctx->t);
        return NULL;
    }
    ctx->t->name = theme_name_of(name_from);
    if (!ctx->t->name) {
        if (ctx->err && ctx->errlen)
            snprintf(ctx->err, ctx->errlen, "theme: out of memory");
        theme_free(ctx->t);
        return NULL;
    }
    theme_resolve(ctx->t);
    if (ctx->err && ctx->errlen)
        ctx->err[0] = '\0';
    return ctx->t;
}

theme_t *theme_parse(const char *text, const char *filename, char *err, size_t errlen)
{
    parse_ctx_t ctx = { .err = err, .errlen = errlen };
    if (!filename)
        filename = "theme";
    ctx.t = calloc(1, sizeof *ctx.t);
    if (!ctx.t) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", filename);
        return NULL;
    }
    bool ok = theme_parse_text(&ctx, text ? text : "", filename, filename);
    return theme_finish(&ctx, ok, filename);
}

theme_t *theme_load(const char *name_or_path, char *err, size_t errlen)
{
    parse_ctx_t ctx = { .err = err, .errlen = errlen };
    if (!name_or_path || !name_or_path[0]) {
        if (err && errlen)
            snprintf(err, errlen, "theme: no theme name given");
        return NULL;
    }
    ctx.t = calloc(1, sizeof *ctx.t);
    if (!ctx.t) {
        if (err && errlen)
            snprintf(err, errlen, "theme: out of memory");
        return NULL;
    }
    bool ok = theme_is_path(name_or_path) ? theme_parse_path(&ctx, NULL, 0, name_or_path)
                                          : theme_parse_named(&ctx, NULL, 0, name_or_path);
    return theme_finish(&ctx, ok, name_or_path);
}

/* ---- listing ---- */

static int theme_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool theme_list_add(char ***v, size_t *n, size_t *cap, const char *name, size_t len)
{
    if (*n + 2 > *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return false;
        *v = nv;
        *cap = nc;
    }
    char *s = malloc(len + 1);
    if (!s)
        return false;
    memcpy(s, name, len);
    s[len] = '\0';
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
    return true;
}

/* "NAME.theme" with a valid NAME: the name's length, else 0. */
static size_t theme_file_name_len(const char *base)
{
    size_t n = strlen(base);
    if (n <= 6 || strcmp(base + n - 6, ".theme") != 0 || n - 6 > 64)
        return 0;
    char tmp[72];
    memcpy(tmp, base, n - 6);
    tmp[n - 6] = '\0';
    return theme_valid_name(tmp) ? n - 6 : 0;
}

char **theme_list(void)
{
    size_t n = 0, cap = 16;
    char **v = calloc(cap, sizeof *v);
    bool ok = v != NULL;
    for (const builtin_file_t *f = kdeck_builtin_files; ok && f->path; f++) {
        if (strncmp(f->path, "themes/", 7) != 0 || strchr(f->path + 7, '/'))
            continue;
        size_t len = theme_file_name_len(f->path + 7);
        if (len)
            ok = theme_list_add(&v, &n, &cap, f->path + 7, len);
    }
    char dir[4096];
    DIR *d = ok && theme_user_dir(dir, sizeof dir) ? opendir(dir) : NULL;
    if (d) {
        for (struct dirent *de; ok && (de = readdir(d)) != NULL;) {
            size_t len = theme_file_name_len(de->d_name);
            if (len)
                ok = theme_list_add(&v, &n, &cap, de->d_name, len);
        }
        closedir(d);
    }
    if (!ok) {
        theme_list_free(v);
        return NULL;
    }
    qsort(v, n, sizeof *v, theme_cmp);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w && !strcmp(v[w - 1], v[i]))
            free(v[i]);
        else
            v[w++] = v[i];
    }
    v[w] = NULL;
    return v;
}

void theme_list_free(char **names)
{
    if (!names)
        return;
    for (char **p = names; *p; p++)
        free(*p);
    free(names);
}
