/* form_model: the descriptor's field table walked into form rows, and the form's edits applied to
 * the descriptor. Generic over the table (desc_type_t), so a field added to the descriptor shows
 * up in the form with its label, help, range and checks without touching this file. */
#include "form_model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeck/validate.h"

/* ---- member access: descriptor.h's desc_get_ptr() & co.; AT names a plain member ------------- */

#define AT(base, f, T) ((T *)(void *)((char *)(base) + (f)->off))

static bool in_one_of(const desc_type_t *t, const char *key)
{
    for (size_t i = 0; t->one_of && t->one_of[i]; i++)
        if (!strcmp(t->one_of[i], key))
            return true;
    return false;
}

/* A group where exactly one member is used (env source, probe handler) is a picker; groups that
 * allow several (threshold min/max) are plain fields. */
static bool is_choice_group(const desc_type_t *t)
{
    return t->one_of && t->one_of_max == 1;
}

/* The member in use; for groups that may have none (env), the first member stands for "none". */
static const char *chosen_member(const desc_type_t *t, const void *base)
{
    for (size_t i = 0; t->one_of[i]; i++) {
        const desc_field_t *f = desc_find_field(t, t->one_of[i]);
        if (f && desc_field_is_set(f, base))
            return t->one_of[i];
    }
    return t->one_of_min == 0 ? t->one_of[0] : NULL;
}

/* Sensible starting values for an object the form has just created. */
static void object_defaults(const desc_type_t *t, void *base);

static void *new_object(const desc_type_t *t)
{
    void *p = desc_new_type(t);
    if (p)
        object_defaults(t, p);
    return p;
}

static void object_defaults(const desc_type_t *t, void *base)
{
    if (t->one_of && t->one_of_min >= 1 && t->one_of_max == 1) { /* probe: an HTTP GET */
        const desc_field_t *f = desc_find_field(t, "httpGet");
        if (!f)
            f = desc_find_field(t, t->one_of[0]);
        if (f && f->kind == DESC_F_OBJ)
            desc_set_ptr(base, f, new_object(f->sub));
    }
    const desc_field_t *use = desc_find_field(t, "useHealthCheck");
    if (use && use->kind == DESC_F_BOOL)
        *AT(base, use, bool) = true; /* switching the section on means using it */
}

/* ---- paths ----------------------------------------------------------------------------------- */

static void path_key(char *out, size_t len, const char *parent, const char *key)
{
    bool plain = *key != '\0';
    for (const char *c = key; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            plain = false;
    if (plain)
        snprintf(out, len, "%s%s%s", parent, *parent ? "." : "", key);
    else
        snprintf(out, len, "%s[\"%s\"]", parent, key);
}

static void path_index(char *out, size_t len, const char *parent, size_t i)
{
    snprintf(out, len, "%s[%zu]", parent, i);
}

/* Is row path p the path q or one of its ancestors? */
static bool path_prefix(const char *p, const char *q)
{
    size_t n = strlen(p);
    return n && !strncmp(p, q, n) && (q[n] == '\0' || q[n] == '.' || q[n] == '[');
}

/* ---- labels ---------------------------------------------------------------------------------- */

static const struct { const char *key, *section, *item; } names[] = {
    {"containers", "Containers", "container"}, {"healthCheck", "Health check", NULL},
    {"service", "Service", NULL}, {"ingress", "Ingress", NULL}, {"autoscaler", "Autoscaler", NULL},
    {"migration", "Migration", NULL}, {"rollout", "Rollout", NULL}, {"ports", NULL, "port"},
    {"env", NULL, "env"}, {"analysis", NULL, "analysis"}, {"args", NULL, "arg"},
    {"command", NULL, "command"}, {"labels", NULL, "label"}, {"annotations", NULL, "annotation"},
    {"secretKeyRef", "secret", NULL}, {"configMapKeyRef", "configMap", NULL},
    {"httpGet", "http", NULL}, {"tcpSocket", "tcp", NULL}, {"exec", "exec", NULL},
};

static const char *section_name(const char *key)
{
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(names[i].key, key) && names[i].section)
            return names[i].section;
    return key;
}

static const char *item_name(const char *key)
{
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(names[i].key, key) && names[i].item)
            return names[i].item;
    return key;
}

/* ---- building rows --------------------------------------------------------------------------- */

typedef struct builder {
    form_model_t *m;
    size_t cap;
    bool oom;
} builder_t;

static form_row_t *emit(builder_t *b, form_row_kind_t kind, int depth, const char *path,
                        const char *label, const desc_field_t *f, void *base)
{
    form_model_t *m = b->m;
    if (m->n_rows == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        form_row_t *r = realloc(m->rows, cap * sizeof *r);
        if (!r) {
            b->oom = true;
            return NULL;
        }
        m->rows = r;
        b->cap = cap;
    }
    form_row_t *r = &m->rows[m->n_rows++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->depth = depth;
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->label, sizeof r->label, "%s", label);
    r->field = f;
    r->base = base;
    return r;
}

static void walk_type(builder_t *b, const desc_type_t *t, void *base, const char *path, int depth,
                      const char *label_prefix);

static void walk_repeated(builder_t *b, const desc_field_t *f, void *base, const char *path,
                          int depth)
{
    char p[256], label[64];
    const char *item = item_name(f->key);
    size_t n = f->kind == DESC_F_LIST ? desc_get_count(base, f)
             : f->kind == DESC_F_STRV ? AT(base, f, desc_strv_t)->n
                                      : AT(base, f, desc_map_t)->n;
    for (size_t i = 0; i < n; i++) {
        if (f->kind == DESC_F_MAP)
            path_key(p, sizeof p, path, AT(base, f, desc_map_t)->v[i].key);
        else
            path_index(p, sizeof p, path, i);
        snprintf(label, sizeof label, "%s %zu", item, i + 1);
        form_row_t *r = emit(b, FORM_ROW_ITEM, depth, p, label, f, base);
        if (!r)
            return;
        r->index = i;
        snprintf(r->parent, sizeof r->parent, "%s", path);
        if (f->kind == DESC_F_LIST)
            walk_type(b, f->sub, (char *)desc_get_ptr(base, f) + i * f->sub->size, p, depth + 1, NULL);
    }
    snprintf(p, sizeof p, "%s[+]", path);
    snprintf(label, sizeof label, "+ add %s", item);
    form_row_t *r = emit(b, FORM_ROW_ADD, depth, p, label, f, base);
    if (r)
        snprintf(r->parent, sizeof r->parent, "%s", path);
}

static void walk_type(builder_t *b, const desc_type_t *t, void *base, const char *path, int depth,
                      const char *label_prefix)
{
    bool root = t == &desc_type_descriptor;
    bool choice = is_choice_group(t), choice_shown = false;
    const char *chosen = choice ? chosen_member(t, base) : NULL;
    char p[256], label[64];
    bool app_section = false;
    for (size_t i = 0; i < t->n_fields && !b->oom; i++) {
        const desc_field_t *f = &t->fields[i];
        if (root && (!strcmp(f->key, "apiVersion") || !strcmp(f->key, "kind")))
            continue; /* fixed values */
        path_key(p, sizeof p, path, f->key);
        if (label_prefix)
            snprintf(label, sizeof label, "%s %s", label_prefix, f->key);
        else
            snprintf(label, sizeof label, "%s", f->key);
        if (choice && in_one_of(t, f->key)) {
            if (!choice_shown) { /* the picker, where the group's first member would be */
                char cp[256];
                snprintf(cp, sizeof cp, "%s%s%s", path, *path ? "." : "", "(source)");
                form_row_t *r = emit(b, FORM_ROW_CHOICE, depth, cp,
                                     t->one_of_min ? "handler" : "source", NULL, base);
                if (r)
                    r->type = t;
                choice_shown = true;
            }
            if (!chosen || strcmp(f->key, chosen))
                continue;
            if (f->kind == DESC_F_OBJ) { /* the chosen handler's fields, without a heading */
                void *sub = desc_get_ptr(base, f);
                if (sub)
                    walk_type(b, f->sub, sub, p, depth, section_name(f->key));
                continue;
            }
        }
        if (root && !app_section && f->kind != DESC_F_OBJ && f->kind != DESC_F_LIST) {
            emit(b, FORM_ROW_SECTION, 0, "", "App", NULL, base);
            app_section = true;
        }
        int d = root ? 1 : depth;
        switch (f->kind) {
        case DESC_F_STR: case DESC_F_INT: case DESC_F_BOOL: case DESC_F_NUM: case DESC_F_INTSTR:
            emit(b, FORM_ROW_FIELD, d, p, label, f, base);
            break;
        case DESC_F_STRV: case DESC_F_MAP:
            walk_repeated(b, f, base, p, d);
            break;
        case DESC_F_OBJ: {
            void *sub = desc_get_ptr(base, f);
            form_row_t *r = emit(b, root ? FORM_ROW_SECTION : FORM_ROW_OBJECT, root ? 0 : depth, p,
                                 root ? section_name(f->key) : label, f, base);
            if (r) {
                r->toggle = true;
                r->on = sub != NULL;
            }
            if (sub)
                walk_type(b, f->sub, sub, p, root ? 1 : depth + 1, NULL);
            break;
        }
        case DESC_F_LIST:
            if (root) {
                emit(b, FORM_ROW_SECTION, 0, p, section_name(f->key), f, base);
                walk_repeated(b, f, base, p, 1);
            } else {
                walk_repeated(b, f, base, p, depth);
            }
            break;
        }
    }
}

static void build_rows(form_model_t *m)
{
    m->n_rows = 0;
    builder_t b = {.m = m, .cap = 0};
    free(m->rows);
    m->rows = NULL;
    walk_type(&b, &desc_type_descriptor, m->d, "", 0, NULL);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

form_model_t *form_model_new(descriptor_t *d)
{
    form_model_t *m = calloc(1, sizeof *m);
    if (!d)
        d = descriptor_new();
    if (!m || !d) {
        free(m);
        descriptor_free(d);
        return NULL;
    }
    m->d = d;
    form_model_refresh(m);
    return m;
}

void form_model_free(form_model_t *m)
{
    if (!m)
        return;
    descriptor_free(m->d);
    free(m->rows);
    desc_problems_free(&m->problems);
    desc_problems_free(&m->external);
    desc_map_clear(&m->pending);
    free(m);
}

void form_model_replace(form_model_t *m, descriptor_t *d)
{
    if (!d)
        return;
    descriptor_free(m->d);
    m->d = d;
    desc_map_clear(&m->pending);
    desc_problems_free(&m->external);
    m->changes++;
    form_model_refresh(m);
}

descriptor_t *form_model_blank(const char *ns)
{
    descriptor_t *d = descriptor_new();
    if (!d)
        return NULL;
    const desc_field_t *f = desc_find_field(&desc_type_descriptor, "containers");
    void *c = f ? new_object(f->sub) : NULL;
    d->namespace_ = ns && *ns ? strdup(ns) : NULL;
    if (!c) {
        descriptor_free(d);
        return NULL;
    }
    desc_set_ptr(d, f, c);
    desc_set_count(d, f, 1);
    return d;
}

/* ---- pending text (numbers that are not numbers yet) ----------------------------------------- */

static const char *pending_get(const form_model_t *m, const char *path)
{
    for (size_t i = 0; i < m->pending.n; i++)
        if (!strcmp(m->pending.v[i].key, path))
            return m->pending.v[i].value;
    return NULL;
}

static void pending_drop(form_model_t *m, const char *path)
{
    for (size_t i = 0; i < m->pending.n; i++)
        if (!strcmp(m->pending.v[i].key, path)) {
            free(m->pending.v[i].key);
            free(m->pending.v[i].value);
            memmove(&m->pending.v[i], &m->pending.v[i + 1],
                    (m->pending.n - i - 1) * sizeof m->pending.v[0]);
            m->pending.n--;
            return;
        }
}

static void pending_set(form_model_t *m, const char *path, const char *text)
{
    pending_drop(m, path);
    desc_kv_t *v = realloc(m->pending.v, (m->pending.n + 1) * sizeof *v);
    if (!v)
        return;
    m->pending.v = v;
    char *k = strdup(path), *t = strdup(text);
    if (!k || !t) {
        free(k);
        free(t);
        return;
    }
    v[m->pending.n].key = k;
    v[m->pending.n].value = t;
    m->pending.n++;
}

void form_model_set_pending(form_model_t *m, const desc_map_t *pending)
{
    desc_map_clear(&m->pending);
    for (size_t i = 0; pending && i < pending->n; i++)
        pending_set(m, pending->v[i].key, pending->v[i].value ? pending->v[i].value : "");
    form_model_refresh(m);
}

/* Drops the server errors on path and below it, and with ancestors also those on its ancestors
 * (an object's error is stale once one of its fields changes). */
static void external_drop_under(form_model_t *m, const char *path, bool ancestors)
{
    desc_problems_t *e = &m->external;
    for (size_t i = 0; i < e->n;) {
        if (path_prefix(path, e->v[i].path) || (ancestors && path_prefix(e->v[i].path, path))) {
            free(e->v[i].path);
            free(e->v[i].msg);
            memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof e->v[0]);
            e->n--;
        } else {
            i++;
        }
    }
}

static void external_drop(form_model_t *m, const char *path)
{
    external_drop_under(m, path, true);
}

/* ---- validation ------------------------------------------------------------------------------ */

size_t form_model_find(const form_model_t *m, const char *path)
{
    size_t best = SIZE_MAX, best_len = 0;
    for (size_t i = 0; i < m->n_rows; i++) {
        const char *p = m->rows[i].path;
        if (!strcmp(p, path))
            return i;
        size_t n = strlen(p);
        if (n > best_len && path_prefix(p, path)) {
            best = i;
            best_len = n;
        }
    }
    return best;
}

void form_model_refresh(form_model_t *m)
{
    build_rows(m);
    desc_problems_free(&m->problems);
    descriptor_validate(m->d, &m->problems);
    for (size_t i = 0; i < m->pending.n; i++) {
        size_t r = form_model_find(m, m->pending.v[i].key);
        char buf[96];
        const char *msg = r != SIZE_MAX && m->rows[r].field
                              ? desc_field_expect(m->rows[r].field, buf, sizeof buf)
                              : "is not a number";
        /* the field itself is unset meanwhile: its "is required" would only confuse */
        for (size_t j = 0; j < m->problems.n; j++)
            if (!strcmp(m->problems.v[j].path, m->pending.v[i].key)) {
                free(m->problems.v[j].msg);
                m->problems.v[j].msg = strdup(msg);
                if (!m->problems.v[j].msg)
                    m->problems.v[j].msg = strdup("");
                msg = NULL;
            }
        if (msg)
            desc_problems_add(&m->problems, m->pending.v[i].key, "%s", msg);
    }
    for (size_t i = 0; i < m->external.n; i++)
        desc_problems_add(&m->problems, m->external.v[i].path, "%s", m->external.v[i].msg);
    m->invalid = 0;
    for (size_t i = 0; i < m->problems.n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(m->problems.v[j].path, m->problems.v[i].path);
        m->invalid += !seen;
        size_t r = form_model_find(m, m->problems.v[i].path);
        if (r != SIZE_MAX && !m->rows[r].error)
            m->rows[r].error = m->problems.v[i].msg ? m->problems.v[i].msg : "";
    }
}

void form_model_set_external(form_model_t *m, const desc_problems_t *errors)
{
    desc_problems_free(&m->external);
    for (size_t i = 0; errors && i < errors->n; i++)
        desc_problems_add(&m->external, errors->v[i].path, "%s", errors->v[i].msg);
    form_model_refresh(m);
}

const desc_problem_t *form_model_first_problem(const form_model_t *m, size_t *row)
{
    const desc_problem_t *best = NULL;
    size_t best_row = SIZE_MAX;
    for (size_t i = 0; i < m->problems.n; i++) {
        size_t r = form_model_find(m, m->problems.v[i].path);
        if (!best || r < best_row) {
            best = &m->problems.v[i];
            best_row = r;
        }
    }
    if (row)
        *row = best_row;
    return best;
}

/* ---- reading values -------------------------------------------------------------------------- */

static void item_summary(const desc_type_t *t, const void *item, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < t->n_fields; i++) {
        const desc_field_t *f = &t->fields[i];
        size_t o = strlen(buf);
        if (f->kind == DESC_F_STR && !strcmp(f->key, "name") && *AT(item, f, char *))
            snprintf(buf + o, len - o, "%s%s", o ? " " : "", *AT(item, f, char *));
        else if (f->kind == DESC_F_INT && f->required && *AT(item, f, int) != DESC_UNSET)
            snprintf(buf + o, len - o, "%s%d", o ? " " : "", *AT(item, f, int));
    }
}

void form_row_text(const form_model_t *m, size_t row, char *buf, size_t len)
{
    buf[0] = '\0';
    if (row >= m->n_rows || !len)
        return;
    const form_row_t *r = &m->rows[row];
    const desc_field_t *f = r->field;
    const char *pend = pending_get(m, r->path);
    if (pend) {
        snprintf(buf, len, "%s", pend);
        return;
    }
    switch (r->kind) {
    case FORM_ROW_FIELD:
        switch (f->kind) {
        case DESC_F_STR: {
            const char *v = *AT(r->base, f, char *);
            snprintf(buf, len, "%s", v ? v : "");
            break;
        }
        case DESC_F_INT:
            if (*AT(r->base, f, int) != DESC_UNSET)
                snprintf(buf, len, "%d", *AT(r->base, f, int));
            break;
        case DESC_F_BOOL: snprintf(buf, len, "%s", *AT(r->base, f, bool) ? "true" : "false"); break;
        case DESC_F_NUM:
            if (!isnan(*AT(r->base, f, double)))
                snprintf(buf, len, "%.15g", *AT(r->base, f, double));
            break;
        case DESC_F_INTSTR: {
            const desc_intstr_t *is = AT(r->base, f, desc_intstr_t);
            if (is->str)
                snprintf(buf, len, "%s", is->str);
            else if (is->num != DESC_UNSET)
                snprintf(buf, len, "%d", is->num);
            break;
        }
        default: break;
        }
        break;
    case FORM_ROW_CHOICE: {
        const char *c = chosen_member(r->type, r->base);
        snprintf(buf, len, "%s", c ? c : "");
        break;
    }
    case FORM_ROW_ITEM:
        if (f->kind == DESC_F_STRV) {
            snprintf(buf, len, "%s", AT(r->base, f, desc_strv_t)->v[r->index]);
        } else if (f->kind == DESC_F_MAP) {
            const desc_kv_t *kv = &AT(r->base, f, desc_map_t)->v[r->index];
            if (*kv->key || (kv->value && *kv->value)) /* a new label is empty, not "=" */
                snprintf(buf, len, "%s=%s", kv->key, kv->value ? kv->value : "");
        } else {
            item_summary(f->sub, (char *)desc_get_ptr(r->base, f) + r->index * f->sub->size, buf, len);
        }
        break;
    default:
        break;
    }
}

bool form_row_editable(const form_model_t *m, size_t row)
{
    if (row >= m->n_rows)
        return false;
    const form_row_t *r = &m->rows[row];
    if (r->kind == FORM_ROW_ITEM)
        return r->field->kind == DESC_F_STRV || r->field->kind == DESC_F_MAP;
    if (r->kind != FORM_ROW_FIELD)
        return false;
    switch (r->field->kind) {
    case DESC_F_STR: return !r->field->enums;
    case DESC_F_INT: case DESC_F_NUM: case DESC_F_INTSTR: return true;
    default: return false;
    }
}

bool form_row_keyref(const form_model_t *m, size_t row, bool *config_map, bool *is_key,
                     const char **ref_name)
{
    if (row >= m->n_rows || m->rows[row].kind != FORM_ROW_FIELD)
        return false;
    const form_row_t *r = &m->rows[row];
    const char *p = r->path;
    const char *s = strstr(p, ".secretKeyRef."), *c = strstr(p, ".configMapKeyRef.");
    if (!s && !c)
        return false;
    const desc_keyref_t *ref = r->base;
    if (config_map)
        *config_map = c != NULL;
    if (is_key)
        *is_key = !strcmp(r->field->key, "key");
    if (ref_name)
        *ref_name = ref->name && *ref->name ? ref->name : NULL;
    return true;
}

/* ---- edits ----------------------------------------------------------------------------------- */

static void edited(form_model_t *m, const char *path)
{
    external_drop(m, path);
    m->changes++;
    form_model_refresh(m);
}

/* Structural edits move the paths under `under` (a list, or an object switched or re-sourced):
 * pending text and server errors there no longer line up and go; the rest stays. */
static void restructured(form_model_t *m, const char *under)
{
    for (size_t i = 0; i < m->pending.n;) {
        if (path_prefix(under, m->pending.v[i].key)) {
            char key[256];
            snprintf(key, sizeof key, "%s", m->pending.v[i].key);
            pending_drop(m, key);
        } else {
            i++;
        }
    }
    external_drop_under(m, under, false);
    m->changes++;
    form_model_refresh(m);
}

static bool parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

bool form_row_set_text(form_model_t *m, size_t row, const char *text)
{
    if (!form_row_editable(m, row))
        return false;
    form_row_t *r = &m->rows[row];
    const desc_field_t *f = r->field;
    void *base = r->base;
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    pending_drop(m, path);
    if (r->kind == FORM_ROW_ITEM && f->kind == DESC_F_STRV) {
        char *s = strdup(text);
        if (!s)
            return false;
        desc_strv_t *v = AT(base, f, desc_strv_t);
        free(v->v[r->index]);
        v->v[r->index] = s;
    } else if (r->kind == FORM_ROW_ITEM) { /* MAP: key=value */
        const char *eq = strchr(text, '=');
        char *k = eq ? strndup(text, (size_t)(eq - text)) : strdup(text);
        char *v = strdup(eq ? eq + 1 : "");
        if (!k || !v) {
            free(k);
            free(v);
            return false;
        }
        desc_kv_t *kv = &AT(base, f, desc_map_t)->v[r->index];
        free(kv->key);
        free(kv->value);
        kv->key = k;
        kv->value = v;
        /* the item's path is its key: server errors on the old key are stale */
        external_drop(m, r->parent);
    } else {
        switch (f->kind) {
        case DESC_F_STR: {
            char *s = *text ? strdup(text) : NULL;
            if (*text && !s)
                return false;
            free(*AT(base, f, char *));
            *AT(base, f, char *) = s;
            break;
        }
        case DESC_F_INT: {
            int v;
            if (!*text)
                *AT(base, f, int) = DESC_UNSET;
            else if (parse_int(text, &v))
                *AT(base, f, int) = v;
            else {
                *AT(base, f, int) = DESC_UNSET;
                pending_set(m, path, text);
            }
            break;
        }
        case DESC_F_NUM: {
            char *end;
            double v = strtod(text, &end);
            if (!*text)
                *AT(base, f, double) = NAN;
            else if (end != text && !*end && isfinite(v))
                *AT(base, f, double) = v;
            else {
                *AT(base, f, double) = NAN;
                pending_set(m, path, text);
            }
            break;
        }
        case DESC_F_INTSTR: {
            desc_intstr_t *is = AT(base, f, desc_intstr_t);
            int v;
            free(is->str);
            is->str = NULL;
            is->num = DESC_UNSET;
            if (all_digits(text) && parse_int(text, &v))
                is->num = v;
            else if (all_digits(text))
                pending_set(m, path, text);
            else if (*text)
                is->str = strdup(text);
            break;
        }
        default:
            return false;
        }
    }
    edited(m, path);
    return true;
}

void form_row_choices(const form_model_t *m, size_t row, form_choices_t *out)
{
    memset(out, 0, sizeof *out);
    out->current = -1;
    if (row >= m->n_rows)
        return;
    const form_row_t *r = &m->rows[row];
    const size_t max = sizeof out->v / sizeof out->v[0];
    if (r->kind == FORM_ROW_FIELD && r->field->kind == DESC_F_STR && r->field->enums) {
        const char *cur = *AT(r->base, r->field, char *);
        if (!r->field->required) {
            out->v[out->n++] = "(default)";
            if (!cur)
                out->current = 0;
        }
        for (size_t i = 0; r->field->enums[i] && out->n < max; i++) {
            if (cur && !strcmp(cur, r->field->enums[i]))
                out->current = (int)out->n;
            out->v[out->n++] = r->field->enums[i];
        }
    } else if (r->kind == FORM_ROW_CHOICE) {
        const char *cur = chosen_member(r->type, r->base);
        for (size_t i = 0; r->type->one_of[i] && out->n < max; i++) {
            if (cur && !strcmp(cur, r->type->one_of[i]))
                out->current = (int)out->n;
            out->v[out->n++] = r->type->one_of[i];
        }
    }
}

bool form_row_choose(form_model_t *m, size_t row, size_t index)
{
    form_choices_t c;
    form_row_choices(m, row, &c);
    if (index >= c.n)
        return false;
    form_row_t *r = &m->rows[row];
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    if (r->kind == FORM_ROW_FIELD) {
        bool dflt = !r->field->required && index == 0;
        char *s = dflt ? NULL : strdup(c.v[index]);
        if (!dflt && !s)
            return false;
        free(*AT(r->base, r->field, char *));
        *AT(r->base, r->field, char *) = s;
        edited(m, path);
        return true;
    }
    const desc_type_t *t = r->type;
    const char *want = c.v[index];
    char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".(source)"))
        *dot = '\0'; /* the object whose source changes */
    for (size_t i = 0; t->one_of[i]; i++) {
        const desc_field_t *f = desc_find_field(t, t->one_of[i]);
        if (!f)
            continue;
        if (strcmp(t->one_of[i], want)) {
            desc_clear_field(f, r->base);
        } else if (!desc_field_is_set(f, r->base)) {
            if (f->kind == DESC_F_OBJ)
                desc_set_ptr(r->base, f, new_object(f->sub));
            else if (f->kind == DESC_F_STR)
                *AT(r->base, f, char *) = strdup("");
        }
    }
    restructured(m, path);
    return true;
}

bool form_row_toggle(form_model_t *m, size_t row)
{
    if (row >= m->n_rows)
        return false;
    form_row_t *r = &m->rows[row];
    const desc_field_t *f = r->field;
    if (r->kind == FORM_ROW_FIELD && f->kind == DESC_F_BOOL) {
        *AT(r->base, f, bool) = !*AT(r->base, f, bool);
        char path[256];
        snprintf(path, sizeof path, "%s", r->path);
        edited(m, path);
        return true;
    }
    if (!r->toggle || !f || f->kind != DESC_F_OBJ)
        return false;
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    if (r->on)
        desc_clear_field(f, r->base);
    else
        desc_set_ptr(r->base, f, new_object(f->sub));
    restructured(m, path);
    return true;
}

/* Inserts an empty item at position at of a repeated field. */
static bool insert_item(const desc_field_t *f, void *base, size_t at)
{
    if (f->kind == DESC_F_LIST) {
        size_t n = desc_get_count(base, f), sz = f->sub->size;
        char *arr = realloc(desc_get_ptr(base, f), (n + 1) * sz);
        if (!arr)
            return false;
        memmove(arr + (at + 1) * sz, arr + at * sz, (n - at) * sz);
        desc_init_type(f->sub, arr + at * sz);
        object_defaults(f->sub, arr + at * sz);
        desc_set_ptr(base, f, arr);
        desc_set_count(base, f, n + 1);
    } else if (f->kind == DESC_F_STRV) {
        desc_strv_t *v = AT(base, f, desc_strv_t);
        char *s = strdup("");
        char **arr = s ? realloc(v->v, (v->n + 1) * sizeof *arr) : NULL;
        if (!arr) {
            free(s);
            return false;
        }
        memmove(arr + at + 1, arr + at, (v->n - at) * sizeof *arr);
        arr[at] = s;
        v->v = arr;
        v->n++;
    } else if (f->kind == DESC_F_MAP) {
        desc_map_t *mp = AT(base, f, desc_map_t);
        char *k = strdup(""), *val = strdup("");
        desc_kv_t *arr = k && val ? realloc(mp->v, (mp->n + 1) * sizeof *arr) : NULL;
        if (!arr) {
            free(k);
            free(val);
            return false;
        }
        memmove(arr + at + 1, arr + at, (mp->n - at) * sizeof *arr);
        arr[at].key = k;
        arr[at].value = val;
        mp->v = arr;
        mp->n++;
    } else {
        return false;
    }
    return true;
}

static size_t item_count(const desc_field_t *f, void *base)
{
    return f->kind == DESC_F_LIST ? desc_get_count(base, f)
         : f->kind == DESC_F_STRV ? AT(base, f, desc_strv_t)->n
                                  : AT(base, f, desc_map_t)->n;
}

static void item_path(const desc_field_t *f, void *base, const char *parent, size_t i, char *out,
                      size_t len)
{
    if (!out)
        return;
    if (f->kind == DESC_F_MAP)
        path_key(out, len, parent, AT(base, f, desc_map_t)->v[i].key);
    else
        path_index(out, len, parent, i);
}

bool form_row_add(form_model_t *m, size_t row, char *new_path, size_t len)
{
    if (row >= m->n_rows)
        return false;
    form_row_t *r = &m->rows[row];
    if (r->kind != FORM_ROW_ADD && r->kind != FORM_ROW_ITEM)
        return false;
    const desc_field_t *f = r->field;
    void *base = r->base;
    char parent[256];
    snprintf(parent, sizeof parent, "%s", r->parent);
    size_t at = r->kind == FORM_ROW_ADD ? item_count(f, base) : r->index + 1;
    if (!insert_item(f, base, at))
        return false;
    item_path(f, base, parent, at, new_path, len);
    restructured(m, parent);
    return true;
}

bool form_row_remove(form_model_t *m, size_t row)
{
    if (row >= m->n_rows || m->rows[row].kind != FORM_ROW_ITEM)
        return false;
    form_row_t *r = &m->rows[row];
    const desc_field_t *f = r->field;
    void *base = r->base;
    size_t i = r->index, n = item_count(f, base);
    char parent[256];
    snprintf(parent, sizeof parent, "%s", r->parent);
    if (f->kind == DESC_F_LIST) {
        size_t sz = f->sub->size;
        char *arr = desc_get_ptr(base, f);
        desc_free_fields(f->sub, arr + i * sz);
        memmove(arr + i * sz, arr + (i + 1) * sz, (n - i - 1) * sz);
        desc_set_count(base, f, n - 1);
        if (n == 1) {
            free(arr);
            desc_set_ptr(base, f, NULL);
        }
    } else if (f->kind == DESC_F_STRV) {
        desc_strv_t *v = AT(base, f, desc_strv_t);
        free(v->v[i]);
        memmove(v->v + i, v->v + i + 1, (n - i - 1) * sizeof *v->v);
        if (!--v->n) {
            free(v->v);
            v->v = NULL;
        }
    } else {
        desc_map_t *mp = AT(base, f, desc_map_t);
        free(mp->v[i].key);
        free(mp->v[i].value);
        memmove(mp->v + i, mp->v + i + 1, (n - i - 1) * sizeof *mp->v);
        if (!--mp->n) {
            free(mp->v);
            mp->v = NULL;
        }
    }
    restructured(m, parent);
    return true;
}

static void swap_bytes(void *a, void *b, size_t n)
{
    unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        unsigned char t = x[i];
        x[i] = y[i];
        y[i] = t;
    }
}

bool form_row_move(form_model_t *m, size_t row, int dir, char *new_path, size_t len)
{
    if (row >= m->n_rows || m->rows[row].kind != FORM_ROW_ITEM || !dir)
        return false;
    form_row_t *r = &m->rows[row];
    const desc_field_t *f = r->field;
    void *base = r->base;
    size_t i = r->index, n = item_count(f, base);
    size_t j = dir < 0 ? i - 1 : i + 1;
    if ((dir < 0 && i == 0) || j >= n)
        return false;
    if (f->kind == DESC_F_LIST) {
        char *arr = desc_get_ptr(base, f);
        swap_bytes(arr + i * f->sub->size, arr + j * f->sub->size, f->sub->size);
    } else if (f->kind == DESC_F_STRV) {
        desc_strv_t *v = AT(base, f, desc_strv_t);
        swap_bytes(&v->v[i], &v->v[j], sizeof v->v[0]);
    } else {
        desc_map_t *mp = AT(base, f, desc_map_t);
        swap_bytes(&mp->v[i], &mp->v[j], sizeof mp->v[0]);
    }
    char parent[256];
    snprintf(parent, sizeof parent, "%s", r->parent);
    item_path(f, base, parent, j, new_path, len);
    restructured(m, parent);
    return true;
}
