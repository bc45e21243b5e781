/* Text view: lines with a style, vertical and horizontal scrolling, '/' search with n/N, optional
 * hooks for views built on it (the apply preview) and a hint line. */
#include "kdeck/view_text.h"
#include "kdeck/screen.h"
#include "kdeck/strutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct line {
    char *text;
    text_style_t style;
} line_t;

typedef struct textview {
    char title[300];
    line_t *lines;
    size_t n, cap;
    size_t top;
    int left;
    char search[256];
    size_t match;        /* line of the current match */
    char message[700];
    bool message_error;
    void (*on_free)(void *);
    void *ud;
    const view_text_hooks_t *hooks;
    char hint[300];
} textview_t;

void *view_text_userdata(view_t *v)
{
    return ((textview_t *)v->priv)->ud;
}

void view_text_clear(view_t *v)
{
    textview_t *t = v->priv;
    for (size_t i = 0; i < t->n; i++)
        free(t->lines[i].text);
    t->n = 0;
    t->top = 0;
    app_dirty(v->app);
}

void view_text_add(view_t *v, text_style_t style, const char *line)
{
    textview_t *t = v->priv;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        line_t *p = realloc(t->lines, cap * sizeof *p);
        if (!p)
            return;
        t->lines = p;
        t->cap = cap;
    }
    t->lines[t->n].text = strdup(line);
    t->lines[t->n].style = style;
    if (t->lines[t->n].text)
        t->n++;
    app_dirty(v->app);
}

void view_text_addf(view_t *v, text_style_t style, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    view_text_add(v, style, buf);
}

void view_text_set_hooks(view_t *v, const view_text_hooks_t *hooks)
{
    ((textview_t *)v->priv)->hooks = hooks;
}

void view_text_set_hint(view_t *v, const char *hint)
{
    textview_t *t = v->priv;
    snprintf(t->hint, sizeof t->hint, "%s", hint ? hint : "");
    app_dirty(v->app);
}

void view_text_rewind(view_t *v)
{
    textview_t *t = v->priv;
    t->top = 0;
    t->left = 0;
    app_dirty(v->app);
}

void view_text_set_title(view_t *v, const char *title)
{
    textview_t *t = v->priv;
    snprintf(t->title, sizeof t->title, "%s", title);
    app_dirty(v->app);
}

void view_text_set_message(view_t *v, const char *msg, bool error)
{
    textview_t *t = v->priv;
    snprintf(t->message, sizeof t->message, "%s", msg ? msg : "");
    t->message_error = error;
    app_dirty(v->app);
}

/* Skips `cols` display columns of UTF-8 text (horizontal scroll). */
static const char *skip_columns(const char *s, int cols)
{
    while (*s && cols > 0) {
        s++;
        while (((unsigned char)*s & 0xC0) == 0x80)
            s++;
        cols--;
    }
    return s;
}

static void draw_line(const line_t *l, int y, int cols, int left, bool is_match)
{
    const char *text = skip_columns(l->text, left);
    if (is_match) {
        attrset(theme_attr(THEME_SEARCH_MATCH));
        screen_put(y, 0, text, cols, true, false);
        return;
    }
    static const theme_elem_t plain_styles[] = {
        [TEXT_SECTION] = THEME_DESCRIBE_SECTION, [TEXT_ADDED] = THEME_DIFF_ADD,
        [TEXT_REMOVED] = THEME_DIFF_DEL, [TEXT_CONTEXT] = THEME_DIFF_CONTEXT,
        [TEXT_HUNK] = THEME_DIFF_HUNK, [TEXT_ERROR] = THEME_STATUS_ERROR,
    };
    if (l->style != TEXT_PLAIN && l->style != TEXT_KEYVALUE &&
        (size_t)l->style < sizeof plain_styles / sizeof *plain_styles) {
        attrset(theme_attr(plain_styles[l->style]));
        screen_put(y, 0, text, cols, true, false);
        return;
    }
    if (l->style == TEXT_KEYVALUE && left == 0) {
        const char *colon = strstr(l->text, ": ");
        if (!colon && l->text[0] && l->text[strlen(l->text) - 1] == ':')
            colon = l->text + strlen(l->text) - 1;
        if (colon) {
            char key[1024];
            size_t kl = (size_t)(colon - l->text) + 1;
            if (kl >= sizeof key)
                kl = sizeof key - 1;
            memcpy(key, l->text, kl);
            key[kl] = '\0';
            attrset(theme_attr(THEME_DESCRIBE_KEY));
            int used = screen_put(y, 0, key, cols, true, false);
            attrset(theme_attr(THEME_DESCRIBE_VALUE));
            if (used < cols)
                screen_put(y, used, colon + 1, cols - used, true, false);
            return;
        }
    }
    attrset(theme_attr(l->style == TEXT_KEYVALUE ? THEME_DESCRIBE_VALUE : THEME_DEFAULT));
    screen_put(y, 0, text, cols, true, false);
}

static void text_draw(view_t *v, int top, int rows, int cols)
{
    textview_t *t = v->priv;
    attrset(theme_attr(THEME_DEFAULT));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    if (t->message[0] && !t->n) {
        attrset(theme_attr(t->message_error ? THEME_STATUS_ERROR : THEME_TABLE_DIM));
        screen_put(top + 1, 1, t->message, cols - 2, true, false);
        return;
    }
    if (t->hint[0] && rows > 2) {   /* the hint takes the view's last row */
        rows--;
        attrset(theme_attr(THEME_FOOTER));
        move(top + rows, 0);
        hline(' ', cols);
        screen_put(top + rows, 0, t->hint, cols, true, false);
    }
    if (t->n && t->top >= t->n)
        t->top = t->n - 1;
    for (int r = 0; r < rows && t->top + (size_t)r < t->n; r++) {
        size_t i = t->top + (size_t)r;
        bool m = t->search[0] && i == t->match && str_ifind(t->lines[i].text, t->search);
        draw_line(&t->lines[i], top + r, cols, t->left, m);
    }
}

static bool find(textview_t *t, size_t from, int dir)
{
    if (!t->search[0] || !t->n)
        return false;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = (from + t->n + (size_t)((long)dir * (long)k)) % t->n;
        if (str_ifind(t->lines[i].text, t->search)) {
            t->match = i;
            t->top = i > 2 ? i - 2 : 0;
            return true;
        }
    }
    return false;
}

static bool text_action(view_t *v, action_t a)
{
    textview_t *t = v->priv;
    size_t page = LINES > 6 ? (size_t)LINES - 6 : 1;
    if (t->hooks && t->hooks->action && t->hooks->action(v, a))
        return true;
    switch (a) {
    case ACT_UP: if (t->top) t->top--; return true;
    case ACT_DOWN: if (t->top + 1 < t->n) t->top++; return true;
    case ACT_PAGE_UP: t->top = t->top > page ? t->top - page : 0; return true;
    case ACT_PAGE_DOWN: t->top = t->top + page < t->n ? t->top + page : (t->n ? t->n - 1 : 0); return true;
    case ACT_HOME: t->top = 0; return true;
    case ACT_END: t->top = t->n > page ? t->n - page : 0; return true;
    case ACT_LEFT: t->left = t->left > 8 ? t->left - 8 : 0; return true;
    case ACT_RIGHT: t->left += 8; return true;
    case ACT_SEARCH_NEXT:
        if (!find(t, t->match + 1, 1))
            app_error(v->app, "'%s' not found", t->search);
        return true;
    case ACT_SEARCH_PREV:
        if (!find(t, t->match + t->n - 1, -1))
            app_error(v->app, "'%s' not found", t->search);
        return true;
    default:
        return false;
    }
}

/* '/' searches in a text view: the prompt calls this as you type. */
static void text_filter(view_t *v, const char *text)
{
    textview_t *t = v->priv;
    snprintf(t->search, sizeof t->search, "%s", text);
    v->filter[0] = '\0'; /* a search is not a filter: the title does not show it */
    if (text[0] && !find(t, t->top, 1))
        app_error(v->app, "'%s' not found", text);
    app_dirty(v->app);
}

static void text_title(view_t *v, char *buf, size_t len)
{
    textview_t *t = v->priv;
    if (t->n)
        snprintf(buf, len, " %s  [%zu-%zu/%zu]", t->title, t->top + 1,
                 t->top + (size_t)(LINES - 4) < t->n ? t->top + (size_t)(LINES - 4) : t->n, t->n);
    else
        snprintf(buf, len, " %s", t->title);
}

static char *text_yank(view_t *v)
{
    textview_t *t = v->priv;
    size_t len = 1;
    for (size_t i = 0; i < t->n; i++)
        len += strlen(t->lines[i].text) + 1;
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t l = strlen(t->lines[i].text);
        memcpy(out + o, t->lines[i].text, l);
        o += l;
        out[o++] = '\n';
    }
    out[o] = '\0';
    return out;
}

static bool text_key(view_t *v, int key)
{
    textview_t *t = v->priv;
    return t->hooks && t->hooks->key && t->hooks->key(v, key);
}

static void text_free(view_t *v)
{
    textview_t *t = v->priv;
    if (t->on_free)
        t->on_free(t->ud);
    for (size_t i = 0; i < t->n; i++)
        free(t->lines[i].text);
    free(t->lines);
    free(t);
}

static const view_ops_t text_ops = {
    .name = "text", .keyctx = KEYCTX_TEXT, .draw = text_draw, .action = text_action,
    .filter = text_filter, .title = text_title, .yank = text_yank, .key = text_key, .free = text_free,
};

view_t *view_text_new(app_t *app, const char *title, void (*on_free)(void *ud), void *ud)
{
    view_t *v = calloc(1, sizeof *v);
    textview_t *t = calloc(1, sizeof *t);
    if (!v || !t) {
        free(v);
        free(t);
        return NULL;
    }
    v->ops = &text_ops;
    v->app = app;
    v->priv = t;
    t->on_free = on_free;
    t->ud = ud;
    snprintf(t->title, sizeof t->title, "%s", title);
    return v;
}
