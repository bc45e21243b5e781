/* view_form: the descriptor form. Draws the rows of src/app/form_model.c (labels that shrink to
 * fit, values, the message of every invalid field under it), edits the focused text field in
 * place, opens pickers for enums, one-of sources and Secret/ConfigMap references, and keeps a
 * draft on disk (300 ms after the last change, and on Esc, quit or a context switch).
 *
 * Layout inside the view's rows: the fields (scrolling), then the buttons line with the count of
 * invalid fields, then one help line (the focused field's doc, its problem, or a path prompt).
 * Everything that talks to the cluster lives in src/app: the live descriptor (live_descriptor.h),
 * the key names of a Secret (form_refs.h), preview and apply (form_apply.h), and the [ Roll out ]
 * button's blue/green rollout (app_rollouts.h). */
#include "kdeck/view_form.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app/drafts.h"
#include "../app/form_apply.h"
#include "../app/form_model.h"
#include "../app/form_refs.h"
#include "../app/live_descriptor.h"
#include "kdeck/app_rollouts.h"
#include "kdeck/descriptor.h"
#include "kdeck/screen.h"
#include "kdeck/theme.h"
#include "kdeck/validate.h"

#define DRAFT_DELAY_MS 300

typedef enum { BTN_PREVIEW, BTN_APPLY, BTN_ROLLOUT, BTN_COUNT } button_t;
static const char *const button_labels[BTN_COUNT] = {"[ Preview & diff ]", "[ Apply ]",
                                                     "[ Roll out ]"};

typedef enum { PROMPT_OFF, PROMPT_SAVE, PROMPT_OPEN } form_prompt_t;

typedef struct form_view {
    view_t *view;
    app_t *app;
    form_model_t *m;
    bool is_new;                 /* `n`: a new app; `e`: a live one */
    char ns[254], name[254];     /* the app edited (name "" for a new one) */
    char draft_key[254];         /* the draft's file name: the app, or DRAFT_NEW_APP */
    live_load_t *load;           /* the live descriptor on its way */
    form_refs_req_t *refs;       /* key names of a Secret/ConfigMap on their way */
    char refs_path[256];         /* the row the keys are for */
    form_apply_t *fa;
    size_t focus;                /* a row, or n_rows + button index */
    size_t top;                  /* first display line shown */
    /* the focused text field's editor */
    char edit[1024];
    size_t edit_len, cursor;
    bool editing;
    /* Ctrl-S / Ctrl-O path prompt on the help line */
    form_prompt_t prompt;
    char pbuf[1024];
    size_t plen;
    uv_timer_t *draft_timer;     /* freed in its close callback */
    unsigned long saved_changes; /* model changes at the last draft save (or load) */
    bool applied;                /* the last apply went through: no draft until the next edit */
    unsigned long applied_changes;
    char note[300];              /* the form's own last word, on the buttons line */
    bool note_error;
} form_view_t;

/* ---- focus ----------------------------------------------------------------------------------- */

static bool rollout_offered(const form_view_t *f)
{
    const descriptor_t *d = f->m->d;
    return d->rollout && d->rollout->strategy && !strcmp(d->rollout->strategy, "blueGreen");
}

static size_t n_buttons(const form_view_t *f)
{
    return rollout_offered(f) ? 3 : 2;
}

static size_t n_focus(const form_view_t *f)
{
    return f->m->n_rows + n_buttons(f);
}

static bool focusable(const form_view_t *f, size_t i)
{
    if (i >= f->m->n_rows)
        return i < n_focus(f);
    const form_row_t *r = &f->m->rows[i];
    return !(r->kind == FORM_ROW_SECTION && !r->toggle);
}

static const form_row_t *focus_row(const form_view_t *f)
{
    return f->focus < f->m->n_rows ? &f->m->rows[f->focus] : NULL;
}

/* The editor follows the focus: an editable row's text is loaded into it. */
static void sync_edit(form_view_t *f)
{
    f->editing = form_row_editable(f->m, f->focus);
    if (!f->editing) {
        f->edit[0] = '\0';
        f->edit_len = f->cursor = 0;
        return;
    }
    form_row_text(f->m, f->focus, f->edit, sizeof f->edit);
    f->edit_len = f->cursor = strlen(f->edit);
}

static void set_focus(form_view_t *f, size_t i)
{
    size_t n = n_focus(f);
    if (i >= n)
        i = n - 1;
    f->focus = i;
    sync_edit(f);
}

static void focus_path(form_view_t *f, const char *path)
{
    size_t r = form_model_find(f->m, path);
    if (r != SIZE_MAX) {
        /* an item: its first field is where typing starts */
        if (f->m->rows[r].kind == FORM_ROW_ITEM && !form_row_editable(f->m, r) &&
            r + 1 < f->m->n_rows && f->m->rows[r + 1].depth > f->m->rows[r].depth)
            r++;
        set_focus(f, r);
    }
}

static void move_focus(form_view_t *f, int dir, bool wrap)
{
    size_t n = n_focus(f), i = f->focus;
    for (size_t step = 0; step < n; step++) {
        if (dir > 0) {
            if (i + 1 >= n) {
                if (!wrap)
                    return;
                i = 0;
            } else {
                i++;
            }
        } else {
            if (i == 0) {
                if (!wrap)
                    return;
                i = n - 1;
            } else {
                i--;
            }
        }
        if (focusable(f, i)) {
            set_focus(f, i);
            return;
        }
    }
}

/* ---- drafts ---------------------------------------------------------------------------------- */

static const char *context_name(app_t *app)
{
    const kube_target_t *t = app_target(app);
    return t && t->context ? t->context : "default";
}

static void save_draft(form_view_t *f)
{
    if (!f->m || f->m->changes == f->saved_changes ||
        (f->applied && f->m->changes == f->applied_changes))
        return;
    char file[1200];
    if (!draft_file(context_name(f->app), f->ns, f->draft_key, true, file, sizeof file)) {
        app_error(f->app, "draft not saved: no state directory ($XDG_STATE_HOME or $HOME)");
        return;
    }
    int rc = draft_save(file, f->m->d, &f->m->pending);
    if (rc < 0) {
        app_error(f->app, "draft not saved to %s: %s", file, strerror(-rc));
        return;
    }
    f->saved_changes = f->m->changes;
}

static void on_draft_timer(uv_timer_t *t)
{
    save_draft(t->data);
}

static void free_timer(uv_handle_t *h)
{
    free(h);
}

/* Every edit: validation already ran in the model; the draft follows shortly. */
static void changed(form_view_t *f)
{
    f->applied = false;
    f->note[0] = '\0'; /* the last word was about the form before this edit */
    if (f->draft_timer)
        uv_timer_start(f->draft_timer, on_draft_timer, DRAFT_DELAY_MS, 0);
    app_dirty(f->app);
}

/* ---- editing text ---------------------------------------------------------------------------- */

static void edit_commit(form_view_t *f)
{
    if (!f->editing)
        return;
    char before[1024];
    form_row_text(f->m, f->focus, before, sizeof before);
    if (!strcmp(before, f->edit))
        return;
    if (form_row_set_text(f->m, f->focus, f->edit))
        changed(f);
}

static bool edit_key(form_view_t *f, int key)
{
    switch (key) {
    case KEY_LEFT: /* whole UTF-8 characters */
        while (f->cursor && ((unsigned char)f->edit[--f->cursor] & 0xC0) == 0x80)
            ;
        return true;
    case KEY_RIGHT:
        while (f->cursor < f->edit_len && ((unsigned char)f->edit[++f->cursor] & 0xC0) == 0x80)
            ;
        return true;
    case KEY_HOME: f->cursor = 0; return true;
    case KEY_END: f->cursor = f->edit_len; return true;
    case KEY_BACKSPACE: case 127: case 8: {
        if (!f->cursor)
            return true;
        size_t start = f->cursor - 1;
        while (start && ((unsigned char)f->edit[start] & 0xC0) == 0x80)
            start--;
        memmove(f->edit + start, f->edit + f->cursor, f->edit_len - f->cursor + 1);
        f->edit_len -= f->cursor - start;
        f->cursor = start;
        break;
    }
    case KEY_DC:
        if (!f->edit_len && f->focus < f->m->n_rows && f->m->rows[f->focus].kind == FORM_ROW_ITEM)
            return false; /* an empty arg or label: Delete removes the item (the keymap's) */
        if (f->cursor >= f->edit_len)
            return true;
        memmove(f->edit + f->cursor, f->edit + f->cursor + 1, f->edit_len - f->cursor);
        f->edit_len--;
        break;
    case 21: /* Ctrl-U: clear the field */
        f->edit[0] = '\0';
        f->edit_len = f->cursor = 0;
        break;
    default:
        if (key < 32 || key > 255 || key == 127 || f->edit_len + 1 >= sizeof f->edit)
            return false;
        memmove(f->edit + f->cursor + 1, f->edit + f->cursor, f->edit_len - f->cursor + 1);
        f->edit[f->cursor++] = (char)key;
        f->edit_len++;
        break;
    }
    edit_commit(f);
    return true;
}

/* ---- the path prompt (Ctrl-S, Ctrl-O) -------------------------------------------------------- */

static void prompt_open(form_view_t *f, form_prompt_t p)
{
    f->prompt = p;
    if (p == PROMPT_SAVE)
        snprintf(f->pbuf, sizeof f->pbuf, "./%s.json",
                 f->m->d->name && *f->m->d->name ? f->m->d->name : "app");
    else if (f->m->d->name && *f->m->d->name)
        snprintf(f->pbuf, sizeof f->pbuf, "./%s.json", f->m->d->name);
    else
        snprintf(f->pbuf, sizeof f->pbuf, "./");
    f->plen = strlen(f->pbuf);
}

static void note(form_view_t *f, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(form_view_t *f, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->note, sizeof f->note, fmt, ap);
    va_end(ap);
    f->note_error = error;
    if (error)
        app_error(f->app, "%s", f->note);
    else
        app_info(f->app, "%s", f->note);
}

static void prompt_done(form_view_t *f)
{
    form_prompt_t p = f->prompt;
    f->prompt = PROMPT_OFF;
    if (!f->plen) {
        note(f, true, "no file name given");
        return;
    }
    if (p == PROMPT_SAVE) {
        int rc = descriptor_save(f->m->d, f->pbuf);
        if (rc < 0)
            note(f, true, "cannot save %s: %s", f->pbuf, strerror(-rc));
        else
            note(f, false, "saved %s%s", f->pbuf,
                 f->m->invalid ? " (it has invalid fields: kdeck descriptor validate lists them)"
                               : "");
        return;
    }
    desc_problems_t pr = {0};
    descriptor_t *d = descriptor_load(f->pbuf, &pr);
    if (!d) {
        char *msg = desc_problems_format(&pr); /* "path: message" lines */
        size_t n = pr.n;
        if (msg)
            msg[strcspn(msg, "\n")] = '\0';
        char more[32] = "";
        if (n > 1)
            snprintf(more, sizeof more, " (and %zu more)", n - 1);
        note(f, true, "cannot open %s: %s%s", f->pbuf, msg ? msg : "out of memory", more);
        free(msg);
        desc_problems_free(&pr);
        return;
    }
    desc_problems_free(&pr);
    form_model_replace(f->m, d);
    set_focus(f, 0);
    move_focus(f, 1, false);
    f->top = 0;
    changed(f);
    if (f->m->invalid)
        note(f, true, "opened %s: %zu invalid field%s", f->pbuf, f->m->invalid,
             f->m->invalid == 1 ? "" : "s");
    else
        note(f, false, "opened %s", f->pbuf);
}

static bool prompt_key(form_view_t *f, int key)
{
    switch (key) {
    case 27: f->prompt = PROMPT_OFF; app_info(f->app, "cancelled"); return true;
    case '\n': case '\r': case KEY_ENTER: prompt_done(f); return true;
    case KEY_BACKSPACE: case 127: case 8:
        if (f->plen)
            f->pbuf[--f->plen] = '\0';
        return true;
    case 21: f->plen = 0; f->pbuf[0] = '\0'; return true;
    default:
        if (key >= 32 && key <= 255 && key != 127 && f->plen + 1 < sizeof f->pbuf) {
            f->pbuf[f->plen++] = (char)key;
            f->pbuf[f->plen] = '\0';
        }
        return true; /* the prompt owns the keyboard */
    }
}

/* ---- pickers --------------------------------------------------------------------------------- */

/* What a picker's callback needs: the form may have changed meanwhile, so rows are found again
 * by path. The form is below the picker on the stack, so it outlives it. */
typedef struct pick_ctx {
    form_view_t *f;
    char path[256];
    bool text;                   /* the choice is typed into the field (Secret names and keys) */
    char **items;
    size_t n;
} pick_ctx_t;

static void pick_ctx_free(void *ud)
{
    pick_ctx_t *c = ud;
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i]);
    free(c->items);
    free(c);
}

static void on_pick(app_t *app, int index, void *ud)
{
    pick_ctx_t *c = ud;
    form_view_t *f = c->f;
    (void)app;
    size_t r = form_model_find(f->m, c->path);
    if (index < 0 || r == SIZE_MAX || strcmp(f->m->rows[r].path, c->path))
        return;
    bool ok = c->text ? (size_t)index < c->n && form_row_set_text(f->m, r, c->items[index])
                      : form_row_choose(f->m, r, (size_t)index);
    if (ok) {
        changed(f);
        focus_path(f, c->path);
    }
}

static void open_picker(form_view_t *f, const char *title, const char *const *items, size_t n,
                        bool text)
{
    pick_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->f = f;
    c->text = text;
    snprintf(c->path, sizeof c->path, "%s", f->m->rows[f->focus].path);
    if (text && n && (c->items = calloc(n, sizeof *c->items)))
        for (size_t i = 0; i < n; i++)
            if ((c->items[c->n] = strdup(items[i])))
                c->n++;
    view_t *pv = view_pick_new(f->app, title, items, n, on_pick, c, pick_ctx_free);
    if (pv) {
        /* start on the current value */
        app_push_view(f->app, pv);
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *form_ns(const form_view_t *f)
{
    return f->m->d->namespace_ && *f->m->d->namespace_ ? f->m->d->namespace_ : f->ns;
}

static void on_keys(void *ud, const char *const *keys, size_t n, const char *error)
{
    form_view_t *f = ud;
    f->refs = NULL;
    app_dirty(f->app);
    app_info(f->app, "%s", "");
    if (error) {
        note(f, true, "%s", error);
        return;
    }
    if (!n) {
        note(f, true, "it has no keys; type the key");
        return;
    }
    if (app_top_view(f->app) != f->view)
        return; /* the operator moved on */
    size_t r = form_model_find(f->m, f->refs_path);
    if (r == SIZE_MAX || strcmp(f->m->rows[r].path, f->refs_path))
        return;
    set_focus(f, r);
    bool cm, is_key;
    const char *ref = NULL;
    form_row_keyref(f->m, r, &cm, &is_key, &ref);
    char title[400];
    snprintf(title, sizeof title, "keys of %s %s", cm ? "configmap" : "secret", ref ? ref : "");
    open_picker(f, title, keys, n, true);
}

/* Enter on a secretKeyRef/configMapKeyRef name or key: the live namespace's objects, or the
 * chosen object's keys. */
static void pick_ref(form_view_t *f, bool config_map, bool is_key, const char *ref_name)
{
    const char *ns = form_ns(f);
    const char *what = config_map ? "configmaps" : "secrets";
    if (is_key) {
        if (!ref_name || validate_dns_subdomain(ref_name)) {
            note(f, true, "pick the %s's name first", config_map ? "configmap" : "secret");
            return;
        }
        form_refs_cancel(f->refs);
        snprintf(f->refs_path, sizeof f->refs_path, "%s", f->m->rows[f->focus].path);
        f->refs = form_refs_keys(f->app, config_map, ns, ref_name, on_keys, f);
        if (f->refs)
            app_info(f->app, "reading the keys of %s %s/%s...", config_map ? "configmap" : "secret",
                     ns, ref_name);
        return;
    }
    informer_t *inf = app_informer(f->app, config_map ? KIND_CONFIGMAP : KIND_SECRET, ns);
    size_t n = inf ? informer_count(inf) : 0;
    if (!inf || !n) {
        const informer_status_t *st = inf ? informer_status(inf) : NULL;
        if (st && st->error[0])
            note(f, true, "%s in %s: %s", what, ns, st->error);
        else
            note(f, true, "no %s in namespace %s%s; type the name", what, ns,
                 st && !st->synced ? " yet (still loading)" : "");
        return;
    }
    const kobj_t **objs = calloc(n, sizeof *objs);
    const char **names = calloc(n, sizeof *names);
    if (objs && names) {
        n = informer_snapshot(inf, objs, n);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!objs[i]->deleted)
                names[k++] = objs[i]->name;
        qsort(names, k, sizeof *names, cmp_names);
        char title[300];
        snprintf(title, sizeof title, "%s in %s", what, ns);
        open_picker(f, title, names, k, true);
    }
    free(objs);
    free(names);
}

/* ---- actions on rows ------------------------------------------------------------------------- */

static void enter_row(form_view_t *f)
{
    const form_row_t *r = focus_row(f);
    if (!r)
        return;
    bool config_map, is_key;
    const char *ref_name;
    if (form_row_keyref(f->m, f->focus, &config_map, &is_key, &ref_name)) {
        pick_ref(f, config_map, is_key, ref_name);
        return;
    }
    form_choices_t c;
    form_row_choices(f->m, f->focus, &c);
    if (c.n) {
        open_picker(f, r->label, c.v, c.n, false);
        return;
    }
    if (r->kind == FORM_ROW_ADD) {
        char path[256];
        if (form_row_add(f->m, f->focus, path, sizeof path)) {
            changed(f);
            focus_path(f, path);
        }
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    if (form_row_toggle(f->m, f->focus)) {
        changed(f);
        focus_path(f, path);
        /* switched on: straight to its first field */
        const form_row_t *now = focus_row(f);
        if (now && now->toggle && now->on && f->focus + 1 < f->m->n_rows &&
            (f->m->rows[f->focus + 1].depth > now->depth || now->kind == FORM_ROW_SECTION))
            set_focus(f, f->focus + 1);
        return;
    }
    move_focus(f, 1, false); /* text fields and headings: Enter moves on, like Tab */
}

/* The rows + and - act on: an item, or the "add" row of a list. Inside an item, its own row. */
static size_t item_row(const form_view_t *f)
{
    if (f->focus >= f->m->n_rows)
        return SIZE_MAX;
    const form_row_t *r = &f->m->rows[f->focus];
    if (r->kind == FORM_ROW_ITEM || r->kind == FORM_ROW_ADD)
        return f->focus;
    for (size_t i = f->focus; i-- > 0;) {
        const form_row_t *p = &f->m->rows[i];
        if (p->depth < r->depth && p->kind == FORM_ROW_ITEM)
            return i;
        if (p->depth < r->depth - 1 || p->kind == FORM_ROW_SECTION)
            break;
    }
    return SIZE_MAX;
}

static void item_action(form_view_t *f, action_t a)
{
    size_t i = item_row(f);
    if (i == SIZE_MAX) {
        note(f, true, "+ - K J (Shift-Up/Down) work on repeated fields: containers, ports, env "
                      "vars, args, labels");
        return;
    }
    char path[256];
    bool ok = false;
    switch (a) {
    case ACT_ITEM_ADD: ok = form_row_add(f->m, i, path, sizeof path); break;
    case ACT_ITEM_REMOVE:
        if (f->m->rows[i].kind != FORM_ROW_ITEM)
            break;
        snprintf(path, sizeof path, "%s", f->m->rows[i].path);
        ok = form_row_remove(f->m, i);
        break;
    case ACT_ITEM_UP: ok = form_row_move(f->m, i, -1, path, sizeof path); break;
    case ACT_ITEM_DOWN: ok = form_row_move(f->m, i, 1, path, sizeof path); break;
    default: break;
    }
    if (!ok)
        return;
    changed(f);
    if (a == ACT_ITEM_REMOVE) { /* the next item, else the "add" row */
        size_t r = form_model_find(f->m, path);
        if (r == SIZE_MAX || strcmp(f->m->rows[r].path, path)) {
            char add[300];
            const char *br = strrchr(path, '[');
            snprintf(add, sizeof add, "%.*s[+]", (int)(br ? br - path : 0), path);
            r = form_model_find(f->m, add);
        }
        set_focus(f, r == SIZE_MAX ? i : r);
        if (!focusable(f, f->focus))
            move_focus(f, 1, false);
    } else {
        set_focus(f, form_model_find(f->m, path));
    }
}

/* ---- preview, apply, roll out ---------------------------------------------------------------- */

/* Refuses when a field is invalid: says which and jumps to it. */
static bool refuse_invalid(form_view_t *f, const char *what)
{
    size_t row;
    const desc_problem_t *p = form_model_first_problem(f->m, &row);
    if (!p)
        return false;
    note(f, true, "%s refused: %zu invalid field%s; first %s: %s", what, f->m->invalid,
         f->m->invalid == 1 ? "" : "s", p->path[0] ? p->path : "(document)", p->msg);
    if (row != SIZE_MAX) {
        set_focus(f, row);
        if (!focusable(f, f->focus))
            move_focus(f, 1, false);
    }
    return true;
}

static void on_applied(void *ud, const char *summary)
{
    form_view_t *f = ud;
    char file[1200];
    if (draft_file(context_name(f->app), f->ns, f->draft_key, false, file, sizeof file))
        draft_remove(file);
    f->applied = true;
    f->applied_changes = f->saved_changes = f->m->changes;
    desc_problems_t none = {0};
    form_model_set_external(f->m, &none);
    snprintf(f->note, sizeof f->note, "%s%s",
             summary && !strncmp(summary, "applied", 7) ? "" : "applied: ", summary ? summary : "");
    f->note_error = false;
    app_dirty(f->app);
}

static void on_invalid(void *ud, const desc_problems_t *problems, const char *message)
{
    form_view_t *f = ud;
    form_model_set_external(f->m, problems);
    size_t row;
    const desc_problem_t *p = form_model_first_problem(f->m, &row);
    if (row != SIZE_MAX)
        set_focus(f, row);
    note(f, true, "the API server refused it: %s", message && *message ? message : p ? p->msg : "");
    app_dirty(f->app);
}

static void on_conflict(void *ud, const char *message)
{
    form_view_t *f = ud;
    snprintf(f->note, sizeof f->note, "conflict: %s", message ? message : "");
    f->note_error = true;
    app_dirty(f->app);
}

static void on_failed(void *ud, const char *message)
{
    form_view_t *f = ud;
    snprintf(f->note, sizeof f->note, "apply failed: %s (your edits are kept)",
             message ? message : "");
    f->note_error = true;
    app_dirty(f->app);
}

static const form_apply_cbs_t apply_cbs = {
    .applied = on_applied, .invalid = on_invalid, .conflict = on_conflict, .failed = on_failed,
};

static void preview(form_view_t *f, bool to_apply)
{
    if (refuse_invalid(f, to_apply ? "apply" : "preview"))
        return;
    if (app_read_only(f->app)) {
        note(f, true, "read-only session: nothing can be applied");
        return;
    }
    save_draft(f); /* whatever happens next, what was typed is on disk */
    form_apply_release(f->fa);
    f->fa = form_apply_start(f->app, f->m->d, &apply_cbs, f);
    if (f->fa && to_apply)
        app_info(f->app, "check the diff, then a applies it (Esc returns to the form)");
}

/* The blue/green button: the rollout engine (src/app/rollouts.c) takes a copy and opens its view;
 * the draft stays until the operator discards it, as the rollout may be aborted. */
static void roll_out(form_view_t *f)
{
    if (refuse_invalid(f, "roll out"))
        return;
    save_draft(f);
    app_rollout_start(f->app, f->m->d);
}

static void press(form_view_t *f, size_t button)
{
    switch (button) {
    case BTN_PREVIEW: preview(f, false); break;
    case BTN_APPLY: preview(f, true); break;
    case BTN_ROLLOUT: roll_out(f); break;
    default: break;
    }
}

/* ---- loading --------------------------------------------------------------------------------- */

static void on_live(void *ud, descriptor_t *d, const desc_problems_t *notes,
                    const cJSON *deployment_json, const char *error)
{
    form_view_t *f = ud;
    (void)deployment_json;
    f->load = NULL;
    if (!d) {
        note(f, true, "cannot load %s/%s: %s", f->ns, f->name, error ? error : "unknown error");
        app_dirty(f->app);
        return;
    }
    form_model_replace(f->m, d);
    f->saved_changes = f->m->changes; /* the live app is no draft */
    set_focus(f, 0);
    move_focus(f, 1, false);
    if (notes && notes->n)
        note(f, false, "loaded %s/%s; left out: %s%s", f->ns, f->name, notes->v[0].msg,
             notes->n > 1 ? " (and more)" : "");
    else
        snprintf(f->note, sizeof f->note, "loaded %s/%s", f->ns, f->name);
    app_dirty(f->app);
}

/* Ctrl-R: the draft goes, the form starts again from the live app (or empty). */
static void discard_draft(form_view_t *f)
{
    char file[1200];
    if (draft_file(context_name(f->app), f->ns, f->draft_key, false, file, sizeof file))
        draft_remove(file);
    if (f->draft_timer)
        uv_timer_stop(f->draft_timer);
    f->saved_changes = f->m->changes;
    if (f->is_new) {
        descriptor_t *d = form_model_blank(f->ns);
        if (d)
            form_model_replace(f->m, d);
        f->saved_changes = f->m->changes;
        note(f, false, "draft discarded");
    } else {
        live_descriptor_cancel(f->load);
        f->load = live_descriptor_load(f->app, f->ns, f->name, on_live, f);
        note(f, false, "draft discarded; loading %s/%s from the cluster...", f->ns, f->name);
    }
    set_focus(f, 0);
    move_focus(f, 1, false);
}

/* ---- drawing --------------------------------------------------------------------------------- */

typedef struct line { size_t row; bool error; } line_t;

static int label_width(const form_view_t *f, int cols)
{
    int w = 12;
    for (size_t i = 0; i < f->m->n_rows; i++) {
        const form_row_t *r = &f->m->rows[i];
        if (r->kind == FORM_ROW_SECTION)
            continue;
        int lw = 2 * r->depth + screen_text_width(r->label);
        if (lw > w)
            w = lw;
    }
    int max = cols * 2 / 5; /* labels shrink on narrow terminals; values keep the rest */
    return w > max ? max : w;
}

static void put_attr(int y, int x, const char *text, int w, theme_elem_t e, bool pad)
{
    if (w <= 0)
        return;
    attrset(theme_attr(e));
    screen_put(y, x, text, w, true, pad);
}

/* The value of a text field being edited, scrolled so the cursor shows, cursor in reverse. */
static void draw_editor(const form_view_t *f, int y, int x, int w)
{
    if (w < 2)
        return;
    size_t start = 0;
    if (f->cursor >= (size_t)w - 1)
        start = f->cursor - (size_t)w + 2;
    while (start < f->edit_len && ((unsigned char)f->edit[start] & 0xC0) == 0x80)
        start++;
    attrset(theme_attr(THEME_FORM_FIELD_FOCUS));
    screen_put(y, x, f->edit + start, w, false, true);
    /* the cursor cell */
    char cell[8] = " ";
    if (f->cursor < f->edit_len) {
        size_t n = 1;
        while (f->cursor + n < f->edit_len &&
               ((unsigned char)f->edit[f->cursor + n] & 0xC0) == 0x80)
            n++;
        memcpy(cell, f->edit + f->cursor, n < 7 ? n : 7);
        cell[n < 7 ? n : 7] = '\0';
    }
    char before[1024];
    size_t bl = f->cursor - start < sizeof before ? f->cursor - start : sizeof before - 1;
    memcpy(before, f->edit + start, bl);
    before[bl] = '\0';
    int cx = x + screen_text_width(before);
    if (cx < x + w) {
        attrset(theme_attr(THEME_FORM_FIELD_FOCUS) ^ A_REVERSE);
        screen_put(y, cx, cell, 1, false, false);
    }
}

static void draw_row(const form_view_t *f, size_t i, int y, int cols, int lw)
{
    const form_row_t *r = &f->m->rows[i];
    bool focused = i == f->focus;
    const glyphs_t *g = screen_glyphs();
    attrset(theme_attr(THEME_DEFAULT));
    move(y, 0);
    hline(' ', cols);
    put_attr(y, 0, focused ? ">" : " ", 1, THEME_FORM_LABEL, false);
    int x = 1;
    char val[1100];
    if (r->kind == FORM_ROW_SECTION) {
        char head[128];
        if (r->toggle)
            snprintf(head, sizeof head, "%s %s", r->on ? "[x]" : "[ ]", r->label);
        else
            snprintf(head, sizeof head, "%s", r->label);
        put_attr(y, x, head, cols - x, focused ? THEME_FORM_FIELD_FOCUS : THEME_DESCRIBE_SECTION,
                 false);
        if (r->toggle && !r->on && cols - x - screen_text_width(head) > 12)
            put_attr(y, x + screen_text_width(head) + 1, "(off: Enter adds it)", cols - x -
                     screen_text_width(head) - 1, THEME_TABLE_DIM, false);
        return;
    }
    char label[96];
    snprintf(label, sizeof label, "%*s%s", 2 * (r->depth > 0 ? r->depth - 1 : 0), "", r->label);
    int vx = x + lw + 1, vw = cols - vx - 1;
    if (r->kind == FORM_ROW_ADD) {
        put_attr(y, x, label, cols - x, focused ? THEME_FORM_BUTTON_FOCUS : THEME_FORM_BUTTON,
                 false);
        return;
    }
    put_attr(y, x, label, lw, r->kind == FORM_ROW_ITEM && r->field->kind == DESC_F_LIST
                                  ? THEME_DESCRIBE_KEY : THEME_FORM_LABEL, true);
    if (vw < 4)
        return;
    if (focused && f->editing) {
        draw_editor(f, y, vx, vw);
        return;
    }
    form_row_text(f->m, i, val, sizeof val);
    theme_elem_t e = focused ? THEME_FORM_FIELD_FOCUS : THEME_FORM_FIELD;
    switch (r->kind) {
    case FORM_ROW_OBJECT: {
        char t[64];
        snprintf(t, sizeof t, "%s", r->on ? "[x] on" : "[ ] off");
        put_attr(y, vx, t, vw, e, false);
        return;
    }
    case FORM_ROW_CHOICE: {
        char t[1200];
        snprintf(t, sizeof t, "%s %s", val[0] ? val : "(choose)", g->down);
        put_attr(y, vx, t, vw, e, false);
        return;
    }
    case FORM_ROW_ITEM:
        if (r->field->kind == DESC_F_LIST) {
            put_attr(y, vx, val, vw, focused ? THEME_FORM_FIELD_FOCUS : THEME_DESCRIBE_VALUE,
                     false);
            return;
        }
        break;
    case FORM_ROW_FIELD:
        if (r->field->kind == DESC_F_BOOL) {
            char t[64];
            snprintf(t, sizeof t, "%s %s", !strcmp(val, "true") ? "[x]" : "[ ]", val);
            put_attr(y, vx, t, vw, e, false);
            return;
        }
        if (r->field->enums) {
            char t[1200];
            snprintf(t, sizeof t, "%s %s", val[0] ? val : "(default)", g->down);
            put_attr(y, vx, t, vw, e, false);
            return;
        }
        break;
    default:
        break;
    }
    /* a text field: a block the width of the value column, so it reads as an input */
    int fw = vw > 40 ? 40 : vw;
    int tw = screen_text_width(val);
    if (tw > fw)
        fw = tw < vw ? tw : vw;
    put_attr(y, vx, val, fw, e, true);
}

static void draw_error(const form_view_t *f, size_t i, int y, int cols, int lw)
{
    const form_row_t *r = &f->m->rows[i];
    attrset(theme_attr(THEME_DEFAULT));
    move(y, 0);
    hline(' ', cols);
    int x = r->kind == FORM_ROW_SECTION ? 3 : 1 + lw + 1;
    if (x > cols / 2)
        x = 3;
    char msg[700];
    snprintf(msg, sizeof msg, "%s %s", screen_glyphs()->cross, r->error);
    put_attr(y, x, msg, cols - x, THEME_FORM_ERROR, false);
}

static void build_lines(const form_view_t *f, line_t *lines, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < f->m->n_rows; i++) {
        lines[k++] = (line_t){i, false};
        if (f->m->rows[i].error)
            lines[k++] = (line_t){i, true};
    }
    *n = k;
}

static void draw_buttons(const form_view_t *f, int y, int cols)
{
    attrset(theme_attr(THEME_DEFAULT));
    move(y, 0);
    hline(' ', cols);
    int x = 1;
    size_t nb = n_buttons(f);
    for (size_t b = 0; b < nb; b++) {
        bool focused = f->focus == f->m->n_rows + b;
        const char *label = button_labels[b];
        int w = screen_text_width(label);
        if (x + w >= cols)
            break;
        put_attr(y, x, label, w, focused ? THEME_FORM_BUTTON_FOCUS : THEME_FORM_BUTTON, false);
        x += w + 2;
    }
    char status[400];
    theme_elem_t e;
    if (f->load) {
        snprintf(status, sizeof status, "loading...");
        e = THEME_STATUS_PENDING;
    } else if (f->m->invalid) {
        snprintf(status, sizeof status, "%zu invalid field%s", f->m->invalid,
                 f->m->invalid == 1 ? "" : "s");
        e = THEME_FORM_ERROR;
    } else if (f->note[0]) {
        snprintf(status, sizeof status, "%s", f->note);
        e = f->note_error ? THEME_FORM_ERROR : THEME_STATUS_OK;
    } else {
        snprintf(status, sizeof status, "all fields valid");
        e = THEME_STATUS_OK;
    }
    int w = screen_text_width(status), room = cols - x - 1;
    if (room > 4)
        put_attr(y, w < room ? cols - w - 1 : x, status, room, e, false);
}

static void draw_help(const form_view_t *f, int y, int cols)
{
    attrset(theme_attr(THEME_DEFAULT));
    move(y, 0);
    hline(' ', cols);
    char help[900];
    if (f->prompt != PROMPT_OFF) {
        const char *label = f->prompt == PROMPT_SAVE ? "Save descriptor to: " : "Open descriptor: ";
        put_attr(y, 0, label, cols, THEME_PROMPT, false);
        int x = screen_text_width(label);
        snprintf(help, sizeof help, "%s", f->pbuf);
        const char *shown = help;
        while (x + screen_text_width(shown) >= cols && *shown)
            shown++;
        put_attr(y, x, shown, cols - x, THEME_PROMPT, true);
        int cx = x + screen_text_width(shown);
        if (cx < cols) {
            attrset(theme_attr(THEME_PROMPT) ^ A_REVERSE);
            screen_put(y, cx, " ", 1, false, false);
        }
        return;
    }
    const form_row_t *r = focus_row(f);
    if (!r) {
        static const char *const what[BTN_COUNT] = {
            "Preview: the exact objects and the diff against the live ones (nothing is written)",
            "Apply: through the preview, where a confirms; refused while a field is invalid",
            "Roll out: a blue/green rollout of this descriptor"};
        put_attr(y, 0, what[f->focus - f->m->n_rows < BTN_COUNT ? f->focus - f->m->n_rows : 0],
                 cols, THEME_TABLE_DIM, false);
        return;
    }
    if (r->error) {
        snprintf(help, sizeof help, "%s: %s", r->path[0] ? r->path : "descriptor", r->error);
        put_attr(y, 0, help, cols, THEME_FORM_ERROR, false);
        return;
    }
    const char *doc = r->field ? r->field->doc : "";
    const char *hint = "";
    bool cm, key;
    const char *ref;
    if (r->kind == FORM_ROW_ITEM || r->kind == FORM_ROW_ADD)
        hint = r->kind == FORM_ROW_ADD ? "Enter adds"
             : form_row_editable(f->m, f->focus) ? "Delete on empty removes  Shift-Up/Down move"
                                                : "+ add  - remove  K/J move";
    else if (form_row_keyref(f->m, f->focus, &cm, &key, &ref))
        hint = "Enter picks from the namespace";
    else if (r->kind == FORM_ROW_CHOICE || (r->field && r->field->enums))
        hint = "Enter picks";
    else if (r->toggle || (r->field && r->field->kind == DESC_F_BOOL))
        hint = "Enter switches";
    if (r->kind == FORM_ROW_CHOICE)
        doc = r->type && r->type->doc ? r->type->doc : "";
    snprintf(help, sizeof help, "%s%s%s", doc ? doc : "", *hint && doc && *doc ? " · " : "", hint);
    put_attr(y, 0, help, cols, THEME_TABLE_DIM, false);
}

static void form_draw(view_t *v, int top, int rows, int cols)
{
    form_view_t *f = v->priv;
    attrset(theme_attr(THEME_DEFAULT));
    for (int y = top; y < top + rows; y++) {
        move(y, 0);
        hline(' ', cols);
    }
    if (rows < 3 || cols < 20) {
        put_attr(top, 0, "terminal too small for the form", cols, THEME_FORM_ERROR, false);
        return;
    }
    int body = rows - 2;
    line_t *lines = malloc((2 * f->m->n_rows + 1) * sizeof *lines);
    if (!lines)
        return;
    size_t n;
    build_lines(f, lines, &n);
    /* keep the focused row (and its message) on screen */
    if (f->focus < f->m->n_rows) {
        size_t first = 0, last = 0;
        for (size_t k = 0; k < n; k++)
            if (lines[k].row == f->focus) {
                if (!lines[k].error)
                    first = k;
                last = k;
            }
        /* a section's heading comes along when it fits */
        if (first < f->top)
            f->top = first;
        if (last >= f->top + (size_t)body)
            f->top = last - (size_t)body + 1;
    }
    if (f->top + (size_t)body > n)
        f->top = n > (size_t)body ? n - (size_t)body : 0;
    int lw = label_width(f, cols);
    for (int k = 0; k < body && f->top + (size_t)k < n; k++) {
        const line_t *l = &lines[f->top + (size_t)k];
        if (l->error)
            draw_error(f, l->row, top + k, cols, lw);
        else
            draw_row(f, l->row, top + k, cols, lw);
    }
    /* scroll marks */
    const glyphs_t *g = screen_glyphs();
    if (f->top > 0)
        put_attr(top, cols - 1, g->up, 1, THEME_BORDER, false);
    if (f->top + (size_t)body < n)
        put_attr(top + body - 1, cols - 1, g->down, 1, THEME_BORDER, false);
    free(lines);
    draw_buttons(f, top + body, cols);
    draw_help(f, top + body + 1, cols);
}

/* ---- keys ------------------------------------------------------------------------------------ */

static bool form_action(view_t *v, action_t a);

static bool form_key_first(view_t *v, int key)
{
    form_view_t *f = v->priv;
    if (f->prompt != PROMPT_OFF)
        return prompt_key(f, key);
    if (key == '\r') { /* Enter as the terminal sends it (nonl) */
        form_action(v, ACT_ENTER);
        return true;
    }
    if (f->editing && edit_key(f, key))
        return true;
    /* Backspace is "back" elsewhere; in a form it must never leave by accident */
    return key == KEY_BACKSPACE || key == 127 || key == 8;
}

static bool form_action(view_t *v, action_t a)
{
    form_view_t *f = v->priv;
    int page = LINES > 10 ? LINES - 10 : 1;
    switch (a) {
    case ACT_UP: move_focus(f, -1, false); return true;
    case ACT_DOWN: move_focus(f, 1, false); return true;
    case ACT_FIELD_NEXT: move_focus(f, 1, true); return true;
    case ACT_FIELD_PREV: move_focus(f, -1, true); return true;
    case ACT_PAGE_UP: for (int i = 0; i < page; i++) move_focus(f, -1, false); return true;
    case ACT_PAGE_DOWN: for (int i = 0; i < page; i++) move_focus(f, 1, false); return true;
    case ACT_HOME: set_focus(f, 0); move_focus(f, 1, false); return true;
    case ACT_END: set_focus(f, f->m->n_rows ? f->m->n_rows - 1 : 0); return true;
    case ACT_LEFT:
    case ACT_RIGHT:
        if (f->focus >= f->m->n_rows) { /* between buttons */
            size_t b = f->focus - f->m->n_rows, nb = n_buttons(f);
            b = a == ACT_LEFT ? (b ? b - 1 : 0) : (b + 1 < nb ? b + 1 : b);
            set_focus(f, f->m->n_rows + b);
        }
        return true;
    case ACT_ENTER:
        if (f->load)
            return true;
        if (f->focus >= f->m->n_rows)
            press(f, f->focus - f->m->n_rows);
        else
            enter_row(f);
        return true;
    case ACT_ITEM_ADD: case ACT_ITEM_REMOVE: case ACT_ITEM_UP: case ACT_ITEM_DOWN:
        if (!f->load)
            item_action(f, a);
        return true;
    case ACT_FORM_SAVE: prompt_open(f, PROMPT_SAVE); return true;
    case ACT_FORM_OPEN: prompt_open(f, PROMPT_OPEN); return true;
    case ACT_FORM_PREVIEW: preview(f, false); return true;
    case ACT_FORM_APPLY: preview(f, true); return true;
    case ACT_FORM_DISCARD: discard_draft(f); return true;
    case ACT_BACK:
        save_draft(f);
        if (f->m->changes != f->saved_changes)
            return true; /* not saved (the status line says why): stay */
        app_pop_view(f->app); /* frees v */
        return true;
    case ACT_QUIT:
        save_draft(f);
        return false;
    case ACT_FILTER: case ACT_SEARCH_NEXT: case ACT_SEARCH_PREV:
        return true;
    default:
        return false;
    }
}

/* ":field PATH" jumps to a field ("containers[0].image", "service.port"): handy after a message
 * that names one, and in scripts. */
static bool form_command(view_t *v, const char *cmd, const char *arg)
{
    form_view_t *f = v->priv;
    if (strcmp(cmd, "field"))
        return false;
    size_t r = arg && *arg ? form_model_find(f->m, arg) : SIZE_MAX;
    if (r == SIZE_MAX) {
        app_error(f->app, ":field %s: no such field on the form", arg ? arg : "");
        return true;
    }
    set_focus(f, r); /* exactly that row, items included */
    if (!focusable(f, f->focus))
        move_focus(f, 1, false);
    app_dirty(f->app);
    return true;
}

static void form_title(view_t *v, char *buf, size_t len)
{
    form_view_t *f = v->priv;
    const descriptor_t *d = f->m->d;
    const char *name = d->name && *d->name ? d->name : f->name;
    if (f->is_new)
        snprintf(buf, len, " New app%s%s (%s)", *name ? ": " : "", name, form_ns(f));
    else
        snprintf(buf, len, " Edit %s (%s)", name, form_ns(f));
    if (f->m->changes != f->saved_changes)
        snprintf(buf + strlen(buf), len - strlen(buf), " *");
}

static void form_free(view_t *v)
{
    form_view_t *f = v->priv;
    save_draft(f); /* Esc, quit, a context switch: what was typed stays */
    live_descriptor_cancel(f->load);
    form_refs_cancel(f->refs);
    form_apply_release(f->fa);
    if (f->draft_timer) {
        uv_timer_stop(f->draft_timer);
        uv_close((uv_handle_t *)f->draft_timer, free_timer);
    }
    form_model_free(f->m);
    free(f); /* the view itself is the app's to free */
}

/* A form that never reached the stack. */
static void form_discard(form_view_t *f)
{
    view_t *v = f->view;
    form_free(v);
    free(v);
}

static const view_ops_t form_ops = {
    .name = "form", .keyctx = KEYCTX_FORM, .draw = form_draw, .action = form_action,
    .key_first = form_key_first, .title = form_title, .command = form_command,
    .free = form_free,
};

/* ---- opening --------------------------------------------------------------------------------- */

static form_view_t *form_new(app_t *app, const char *ns, const char *name, bool is_new)
{
    view_t *v = calloc(1, sizeof *v);
    form_view_t *f = calloc(1, sizeof *f);
    if (!v || !f) {
        free(v);
        free(f);
        return NULL;
    }
    f->view = v;
    f->app = app;
    f->is_new = is_new;
    snprintf(f->ns, sizeof f->ns, "%s", ns);
    snprintf(f->name, sizeof f->name, "%s", name ? name : "");
    snprintf(f->draft_key, sizeof f->draft_key, "%s", is_new ? DRAFT_NEW_APP : name);
    v->ops = &form_ops;
    v->app = app;
    v->priv = f;
    if ((f->draft_timer = calloc(1, sizeof *f->draft_timer))) {
        uv_timer_init(app_loop(app), f->draft_timer);
        f->draft_timer->data = f;
    }
    return f;
}

/* The draft of this form, if one was left: restored, with a word in the status line. */
static bool restore_draft(form_view_t *f)
{
    char file[1200], err[1400];
    if (!draft_file(context_name(f->app), f->ns, f->draft_key, false, file, sizeof file))
        return false;
    draft_t *dr = draft_load(file, err, sizeof err);
    if (!dr) {
        if (err[0])
            app_error(f->app, "draft not restored: %s", err);
        return false;
    }
    f->m = form_model_new(dr->d);
    dr->d = NULL;
    if (f->m)
        form_model_set_pending(f->m, &dr->pending);
    char when[16] = "?";
    struct tm tm;
    if (dr->saved && localtime_r(&dr->saved, &tm))
        strftime(when, sizeof when, "%H:%M", &tm);
    draft_free(dr);
    if (!f->m)
        return false;
    f->saved_changes = f->m->changes;
    app_info(f->app, "draft from %s restored; Ctrl-R discards", when);
    snprintf(f->note, sizeof f->note, "draft from %s restored", when);
    return true;
}

static void push(form_view_t *f)
{
    set_focus(f, 0);
    move_focus(f, 1, false);
    /* the pickers of Secret and ConfigMap names read these informers */
    app_informer(f->app, KIND_SECRET, form_ns(f));
    app_informer(f->app, KIND_CONFIGMAP, form_ns(f));
    app_push_view(f->app, f->view);
}

static const char *current_ns(app_t *app)
{
    const char *ns = app_namespace(app);
    if (ns && *ns)
        return ns;
    const kube_target_t *t = app_target(app);
    return t && t->namespace && *t->namespace ? t->namespace : "default";
}

void view_form_open_new(app_t *app)
{
    if (app_read_only(app))
        return;
    form_view_t *f = form_new(app, current_ns(app), NULL, true);
    if (!f)
        return;
    if (!restore_draft(f) && !(f->m = form_model_new(form_model_blank(f->ns)))) {
        form_discard(f);
        return;
    }
    push(f);
}

void view_form_open_edit(app_t *app, const char *ns, const char *deployment)
{
    if (app_read_only(app) || !ns || !deployment)
        return;
    /* blue/green slots edit the app they belong to */
    char name[254];
    snprintf(name, sizeof name, "%s", deployment);
    size_t l = strlen(name);
    if (l > 5 && !strcmp(name + l - 5, "-blue"))
        name[l - 5] = '\0';
    else if (l > 6 && !strcmp(name + l - 6, "-green"))
        name[l - 6] = '\0';
    form_view_t *f = form_new(app, ns, name, false);
    if (!f)
        return;
    if (!restore_draft(f)) {
        descriptor_t *d = descriptor_new();
        if (d) {
            d->namespace_ = strdup(ns);
            d->name = strdup(name);
        }
        if (!(f->m = form_model_new(d))) {
            form_discard(f);
            return;
        }
        f->saved_changes = f->m->changes;
        f->load = live_descriptor_load(app, ns, deployment, on_live, f);
        if (!f->load)
            note(f, true, "cannot load %s/%s: no connection", ns, name);
    }
    push(f);
}
