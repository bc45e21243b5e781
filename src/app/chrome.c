/* Everything around the view: header, title line, status line, footer and the prompt.
 * Layout (80x24 and up): row 0 header, row 1 title, rows 2..LINES-3 the view, LINES-2 status,
 * LINES-1 footer or prompt. */
#include "app_int.h"
#include "kdeck/screen.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool app_theme_load(app_t *app, const char *name, char *err, size_t errlen)
{
    theme_t *t = theme_load(name && *name ? name : "default", err, errlen);
    if (!t)
        return false;
    if (app->theme)
        theme_free(app->theme);
    app->theme = t;
    bool no_color = theme_no_color_env() || !has_colors();
    theme_curses_apply(t, no_color ? 0 : COLORS, no_color);
    bkgdset(' ' | theme_attr(THEME_DEFAULT));
    clearok(curscr, TRUE);
    return true;
}

void app_theme_free(app_t *app)
{
    if (app->theme)
        theme_free(app->theme);
    app->theme = NULL;
}

/* Draws one header segment; returns the new x. */
static int segment(int x, int limit, theme_elem_t e, const char *text)
{
    if (x >= limit)
        return x;
    attrset(theme_attr(e));
    return x + screen_put(0, x, text, limit - x, true, false);
}

static void draw_header(app_t *app)
{
    const kube_target_t *t = app_target(app);
    const glyphs_t *g = screen_glyphs();
    attrset(theme_attr(THEME_HEADER));
    move(0, 0);
    hline(' ', COLS);

    /* Right side first, so the badges and the API state survive a narrow terminal. */
    char clock[8];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(clock, sizeof clock, "%H:%M", &tm);
    char api[300];
    snprintf(api, sizeof api, "%s %s", app->api_ok ? g->bullet : g->cross, app->api_status);
    int right = COLS - 1;
    int w = (int)strlen(clock);
    right -= w;
    if (right > 0)
        segment(right, COLS, THEME_HEADER, clock);
    w = screen_text_width(api) + 2;
    right -= w;
    if (right > 20)
        segment(right, right + w - 1, app->api_ok ? THEME_HEADER_OK : THEME_HEADER_ERROR, api);
    else
        right += w;
    /* Badges: the text and one column of space before what follows. */
    static const char ro[] = " READ-ONLY ", insecure[] = " INSECURE TLS ";
    if (app_read_only(app)) {
        right -= (int)sizeof ro; /* strlen + 1 */
        if (right > 12)
            segment(right, right + (int)sizeof ro - 1, THEME_HEADER_READONLY, ro);
        else
            right += (int)sizeof ro;
    }
    if (t && t->insecure_skip_tls_verify) {
        right -= (int)sizeof insecure;
        if (right > 12)
            segment(right, right + (int)sizeof insecure - 1, THEME_HEADER_WARN, insecure);
        else
            right += (int)sizeof insecure;
    }

    char buf[512];
    int x = segment(0, right, THEME_HEADER, " kdeck ");
    if (!t) {
        segment(x, right, THEME_HEADER_ERROR, "not connected");
        return;
    }
    snprintf(buf, sizeof buf, "%s ctx:", g->sep);
    x = segment(x, right, THEME_HEADER, buf);
    x = segment(x, right, THEME_HEADER_CONTEXT, t->context);
    snprintf(buf, sizeof buf, " %s ns:", g->sep);
    x = segment(x, right, THEME_HEADER, buf);
    x = segment(x, right, THEME_HEADER_NAMESPACE, app->all_ns ? "(all)" : app->ns);
    snprintf(buf, sizeof buf, " %s user:%s", g->sep, t->user_name && *t->user_name ? t->user_name : "(anonymous)");
    x = segment(x, right, THEME_HEADER, buf);
    if (strcmp(t->cluster_name, t->context)) {
        snprintf(buf, sizeof buf, " %s cluster:%s", g->sep, t->cluster_name);
        segment(x, right, THEME_HEADER, buf);
    }
}

static void draw_title(app_t *app, view_t *v)
{
    char title[512] = "";
    if (v && v->ops->title)
        v->ops->title(v, title, sizeof title);
    attrset(theme_attr(THEME_TITLE));
    move(1, 0);
    hline(' ', COLS);
    int x = screen_put(1, 0, title, COLS, true, false);
    if (v && v->filter[0] && x + 4 < COLS) {
        char f[300];
        snprintf(f, sizeof f, "  filter: %s", v->filter);
        screen_put(1, x, f, COLS - x, true, false);
    }
}

static void draw_status(app_t *app)
{
    int y = LINES - 2;
    attrset(theme_attr(app->status_error ? THEME_STATUSLINE_ERROR : THEME_STATUSLINE_INFO));
    move(y, 0);
    hline(' ', COLS);
    screen_put(y, 0, app->status, COLS, true, true);
}

/* Footer hints come from the keymap: the view's own bindings first, then a few global ones. */
static void draw_footer(app_t *app, view_t *v)
{
    int y = LINES - 1;
    attrset(theme_attr(THEME_FOOTER));
    move(y, 0);
    hline(' ', COLS);
    if (app_focus_under(app))
        v = app_under_view(app);
    keyctx_t ctx = v ? v->ops->keyctx : KEYCTX_GLOBAL;
    size_t n;
    const keybinding_t *b = keymap_bindings(&n);
    int x = 0;
    action_t shown[ACT_COUNT] = {0};
    for (int pass = 0; pass < 2; pass++) {
        keyctx_t want = pass == 0 ? ctx : KEYCTX_GLOBAL;
        for (size_t i = 0; i < n && x < COLS - 4; i++) {
            action_t a = b[i].action;
            if (b[i].ctx != want || shown[a])
                continue;
            if (app_read_only(app) && (action_flags(a) & ACT_MUTATES))
                continue;
            if (pass == 1 && a != ACT_COMMAND && a != ACT_HELP && a != ACT_QUIT && a != ACT_BACK)
                continue;
            if (a == ACT_UP || a == ACT_DOWN)
                continue;
            shown[a] = 1;
            char key[32], why[400];
            bool denied = app_action_denied(app, a, why, sizeof why); /* greyed, still discoverable */
            keymap_key_name(b[i].key, key, sizeof key);
            attrset(theme_attr(denied ? THEME_TABLE_DIM : THEME_FOOTER_KEY));
            x += screen_put(y, x, key, COLS - x, false, false);
            attrset(theme_attr(denied ? THEME_TABLE_DIM : THEME_FOOTER));
            char label[64];
            snprintf(label, sizeof label, " %s  ", action_name(a));
            x += screen_put(y, x, label, COLS - x, false, false);
        }
    }
}

static void draw_prompt(app_t *app)
{
    int y = LINES - 1;
    attrset(theme_attr(THEME_PROMPT));
    move(y, 0);
    hline(' ', COLS);
    char buf[450];
    if (app->prompt == PROMPT_INPUT)
        snprintf(buf, sizeof buf, "%s%s", app->prompt_label, app->prompt_buf);
    else
        snprintf(buf, sizeof buf, "%c%s", app->prompt == PROMPT_COMMAND ? ':' : '/', app->prompt_buf);
    int w = screen_text_width(buf);
    /* Keep the end of a long line (where the cursor is) visible. */
    const char *shown = buf;
    while (w >= COLS && *shown) {
        shown++;
        w = screen_text_width(shown);
    }
    int x = screen_put(y, 0, shown, COLS, false, false);
    if (app->completions[0] && x + 3 < COLS) {
        attrset(theme_attr(THEME_PROMPT_COMPLETION));
        screen_put(y, x + 2, app->completions, COLS - x - 2, true, false);
    }
    if (!screen_is_virtual()) {
        move(y, x < COLS ? x : COLS - 1);
        curs_set(1);
    }
}

void app_draw(app_t *app)
{
    view_t *v = app_top_view(app);
    curs_set(0);
    if (LINES < 5 || COLS < 20) {
        erase();
        attrset(theme_attr(THEME_STATUSLINE_ERROR));
        screen_put(0, 0, "terminal too small", COLS, true, false);
        refresh();
        return;
    }
    draw_header(app);
    int top = 2, rows = LINES - 4;
    attrset(theme_attr(THEME_DEFAULT));
    if (v && v->split && app->nviews >= 2 && rows >= 8) {
        /* Split: the view beneath in the upper part, the pane(s) below: consecutive split panes
         * on top of the stack sit side by side when the terminal is wide enough (80 columns each). */
        int first = app->nviews - 1;
        while (first > 1 && app->views[first - 1]->split)
            first--;
        int npanes = app->nviews - first;
        int fit = COLS / 80 > 0 ? COLS / 80 : 1;
        if (npanes > fit) {
            first = app->nviews - fit;
            npanes = fit;
        }
        view_t *under = app->views[first - 1];
        int upper = rows / 2;
        draw_title(app, under);
        under->ops->draw(under, top, upper, COLS);
        int width = COLS / npanes;
        for (int i = 0; i < npanes; i++) {
            view_t *pane = app->views[first + i];
            int x0 = i * width, w = i == npanes - 1 ? COLS - x0 : width - 1;
            char title[512] = "";
            pane->ops->title(pane, title, sizeof title);
            bool has_keys = pane == v && !app->focus_under;
            attrset(theme_attr(has_keys ? THEME_TITLE : THEME_BORDER));
            move(top + upper, x0);
            hline(' ', w);
            screen_put(top + upper, x0, title, w, true, false);
            pane->left = x0; /* panes honour their left column */
            pane->ops->draw(pane, top + upper + 1, rows - upper - 1, w);
            pane->left = 0;
            if (i < npanes - 1) {
                attrset(theme_attr(THEME_BORDER));
                mvvline(top + upper, x0 + w, ' ', rows - upper);
            }
        }
        if (app->focus_under) { /* show which part has the keyboard */
            attrset(theme_attr(THEME_TITLE));
            screen_put(1, COLS > 24 ? COLS - 22 : 0, " [keys: table, Tab] ", 21, false, false);
        }
    } else {
        draw_title(app, v);
        if (v)
            v->ops->draw(v, top, rows, COLS);
    }
    draw_status(app);
    if (app->prompt != PROMPT_NONE)
        draw_prompt(app);
    else
        draw_footer(app, v);
    attrset(A_NORMAL);
    refresh();
}
