/* yamltree: libyaml events -> a tree with positions. Built with an explicit stack so deep or
 * hostile input cannot overflow the C stack while parsing; depth is capped for the recursive
 * walkers (free, copy, cJSON). */
#include "kdeck/yamltree.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YT_MAX_DEPTH 256
#define YT_ALIAS_BUDGET 100000 /* nodes that alias expansion may add */

typedef struct yt_anchor {
    char *name;
    yt_node_t *node;
    bool done; /* an alias to a node still being built would be recursive */
} yt_anchor_t;

typedef struct yt_frame {
    yt_node_t *node;
    yt_node_t *pending_key; /* mappings: key waiting for its value */
} yt_frame_t;

typedef struct yt_builder {
    yt_node_t *root;
    yt_frame_t stack[YT_MAX_DEPTH];
    size_t depth;
    yt_anchor_t *anchors;
    size_t nanchors, capanchors;
    size_t alias_budget;
    yt_error_t *err;
} yt_builder_t;

static void yt_seterr(yt_error_t *err, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void yt_seterr(yt_error_t *err, int line, int col, const char *fmt, ...)
{
    va_list ap;
    err->line = line;
    err->col = col;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

const char *yt_kind_name(yt_kind_t kind)
{
    switch (kind) {
    case YT_NULL: return "null";
    case YT_STRING: return "a string";
    case YT_BOOL: return "a boolean";
    case YT_INT: return "an integer";
    case YT_FLOAT: return "a number";
    case YT_MAP: return "a mapping";
    case YT_SEQ: return "a list";
    }
    return "?";
}

bool yt_is_scalar(const yt_node_t *node)
{
    return node && (node->kind == YT_STRING || node->kind == YT_BOOL || node->kind == YT_INT ||
                    node->kind == YT_FLOAT);
}

static void yt_free_depth(yt_node_t *node, int depth)
{
    if (!node)
        return;
    if (depth < YT_MAX_DEPTH * 2) {
        for (size_t i = 0; i < node->n; i++) {
            if (node->keys)
                yt_free_depth(node->keys[i], depth + 1);
            yt_free_depth(node->items[i], depth + 1);
        }
    }
    free(node->keys);
    free(node->items);
    if (node->text) {
        explicit_bzero(node->text, node->len);
        free(node->text);
    }
    free(node);
}

void yt_free(yt_node_t *node)
{
    yt_free_depth(node, 0);
}

/* --- scalar typing (YAML 1.1 as go-yaml v2 resolves plain scalars) --- */

static bool yt_in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

static bool yt_all_digits(const char *s, const char *digits)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr(digits, *s))
            return false;
    return true;
}

/* Go's strconv.ParseInt(s, 0) after go-yaml removed the underscores. */
static bool yt_looks_int(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return yt_all_digits(s + 2, "0123456789abcdefABCDEF");
    if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        return yt_all_digits(s + 2, "01");
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        return yt_all_digits(s + 2, "01234567");
    if (s[0] == '0' && s[1])
        return yt_all_digits(s + 1, "01234567");
    return yt_all_digits(s, "0123456789");
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yt_looks_float(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    size_t before = 0, after = 0;
    while (*s >= '0' && *s <= '9') { s++; before++; }
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') { s++; after++; }
        if (!before && !after)
            return false;
    } else if (!before) {
        return false;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static void yt_type_plain(yt_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                                        "on", "On", "ON", NULL};
    static const char *const falses[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                                         "off", "Off", "OFF", NULL};
    static const char *const specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                           "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
                                           NULL};
    const char *s = n->text;
    n->kind = YT_STRING;
    if (strlen(s) != n->len)
        return;
    if (yt_in_list(s, nulls)) { n->kind = YT_NULL; return; }
    if (yt_in_list(s, trues)) { n->kind = YT_BOOL; n->bool_value = true; return; }
    if (yt_in_list(s, falses)) { n->kind = YT_BOOL; n->bool_value = false; return; }
    if (yt_in_list(s, specials)) { n->kind = YT_FLOAT; return; }
    if (n->len > 64)
        return;
    char plain[72];
    size_t j = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != '_')
            plain[j++] = s[i];
    plain[j] = '\0';
    if (yt_looks_int(plain))
        n->kind = YT_INT;
    else if (yt_looks_float(plain))
        n->kind = YT_FLOAT;
}

static void yt_type_scalar(yt_node_t *n, const yaml_event_t *ev)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag && strcmp(tag, "!") != 0) {
        static const char pfx[] = "tag:yaml.org,2002:";
        n->kind = YT_STRING;
        if (!strncmp(tag, pfx, sizeof pfx - 1)) {
            const char *t = tag + sizeof pfx - 1;
            if (!strcmp(t, "null")) {
                n->kind = YT_NULL;
            } else if (!strcmp(t, "bool") || !strcmp(t, "int") || !strcmp(t, "float")) {
                yt_type_plain(n); /* the text still decides the value */
                if (n->kind == YT_STRING || n->kind == YT_NULL)
                    n->kind = YT_STRING;
            }
        }
        return;
    }
    if (tag || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        n->kind = YT_STRING;
        return;
    }
    yt_type_plain(n);
}

/* --- building --- */

static yt_node_t *yt_node_new(yt_builder_t *b, yt_kind_t kind, const yaml_mark_t *mark)
{
    yt_node_t *n = calloc(1, sizeof *n);
    if (!n) {
        yt_seterr(b->err, 0, 0, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    return n;
}

static bool yt_push_child(yt_builder_t *b, yt_node_t *parent, yt_node_t *key, yt_node_t *val)
{
    /* grow by doubling: n is the count, capacity is the next power of two */
    size_t n = parent->n;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? n * 2 : 1;
        if (cap > SIZE_MAX / sizeof(yt_node_t *))
            goto nomem;
        yt_node_t **items = realloc(parent->items, cap * sizeof *items);
        if (!items)
            goto nomem;
        parent->items = items;
        if (parent->kind == YT_MAP) {
            yt_node_t **keys = realloc(parent->keys, cap * sizeof *keys);
            if (!keys)
                goto nomem;
            parent->keys = keys;
        }
    }
    if (parent->kind == YT_MAP)
        parent->keys[n] = key;
    parent->items[n] = val;
    parent->n = n + 1;
    return true;
nomem:
    yt_seterr(b->err, 0, 0, "out of memory");
    return false;
}

/* Hands a finished (or started, for containers) node to its parent. Takes ownership. */
static bool yt_attach(yt_builder_t *b, yt_node_t *n)
{
    if (b->depth == 0) {
        if (b->root) { /* cannot happen with one document, but never leak */
            yt_free(n);
            return true;
        }
        b->root = n;
        return true;
    }
    yt_frame_t *f = &b->stack[b->depth - 1];
    if (f->node->kind == YT_SEQ) {
        if (!yt_push_child(b, f->node, NULL, n)) {
            yt_free(n);
            return false;
        }
        return true;
    }
    if (!f->pending_key) {
        f->pending_key = n;
        return true;
    }
    yt_node_t *key = f->pending_key;
    f->pending_key = NULL;
    if (!yt_push_child(b, f->node, key, n)) {
        yt_free(key);
        yt_free(n);
        return false;
    }
    return true;
}

static bool yt_add_anchor(yt_builder_t *b, const yaml_char_t *name, yt_node_t *n, bool done)
{
    if (!name)
        return true;
    if (b->nanchors == b->capanchors) {
        size_t cap = b->capanchors ? b->capanchors * 2 : 8;
        yt_anchor_t *a = realloc(b->anchors, cap * sizeof *a);
        if (!a)
            goto nomem;
        b->anchors = a;
        b->capanchors = cap;
    }
    char *copy = strdup((const char *)name);
    if (!copy)
        goto nomem;
    /* a later anchor with the same name shadows the earlier one (YAML spec) */
    b->anchors[b->nanchors++] = (yt_anchor_t){.name = copy, .node = n, .done = done};
    return true;
nomem:
    yt_seterr(b->err, 0, 0, "out of memory");
    return false;
}

static void yt_anchor_done(yt_builder_t *b, const yt_node_t *n)
{
    for (size_t i = 0; i < b->nanchors; i++)
        if (b->anchors[i].node == n)
            b->anchors[i].done = true;
}

static yt_node_t *yt_copy(yt_builder_t *b, const yt_node_t *src, const yaml_mark_t *mark,
                          int depth)
{
    if (b->alias_budget == 0 || depth > YT_MAX_DEPTH) {
        yt_seterr(b->err, (int)mark->line + 1, (int)mark->column + 1,
                  "alias expands to too many nodes");
        return NULL;
    }
    b->alias_budget--;
    yt_node_t *n = yt_node_new(b, src->kind, mark);
    if (!n)
        return NULL;
    n->bool_value = src->bool_value;
    n->len = src->len;
    if (src->text) {
        n->text = malloc(src->len + 1);
        if (!n->text)
            goto nomem;
        memcpy(n->text, src->text, src->len + 1);
    }
    for (size_t i = 0; i < src->n; i++) {
        yt_node_t *k = NULL, *v = NULL;
        if (src->keys && !(k = yt_copy(b, src->keys[i], mark, depth + 1)))
            goto fail;
        if (!(v = yt_copy(b, src->items[i], mark, depth + 1))) {
            yt_free(k);
            goto fail;
        }
        if (!yt_push_child(b, n, k, v)) {
            yt_free(k);
            yt_free(v);
            goto fail;
        }
    }
    return n;
nomem:
    yt_seterr(b->err, 0, 0, "out of memory");
fail:
    yt_free(n);
    return NULL;
}

static int yt_key_cmp(const void *pa, const void *pb)
{
    const yt_node_t *a = *(yt_node_t *const *)pa, *c = *(yt_node_t *const *)pb;
    size_t n = a->len < c->len ? a->len : c->len;
    int r = memcmp(a->text, c->text, n);
    if (r)
        return r;
    if (a->len != c->len)
        return a->len < c->len ? -1 : 1;
    /* equal text: order by position so the error names the second occurrence */
    return a->line != c->line ? (a->line < c->line ? -1 : 1) : (a->col < c->col ? -1 : 1);
}

/* Duplicate keys make a config ambiguous (which one did the user mean?): reject them. */
static bool yt_check_duplicates(yt_builder_t *b, const yt_node_t *map)
{
    if (map->n < 2)
        return true;
    yt_node_t **keys = malloc(map->n * sizeof *keys);
    if (!keys) {
        yt_seterr(b->err, 0, 0, "out of memory");
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->text)
            keys[k++] = map->keys[i];
    qsort(keys, k, sizeof *keys, yt_key_cmp);
    bool ok = true;
    for (size_t i = 1; i < k && ok; i++) {
        if (keys[i]->len == keys[i - 1]->len &&
            !memcmp(keys[i]->text, keys[i - 1]->text, keys[i]->len)) {
            yt_seterr(b->err, keys[i]->line, keys[i]->col,
                      "duplicate key \"%.64s\" (first at line %d)", keys[i]->text,
                      keys[i - 1]->line);
            ok = false;
        }
    }
    free(keys);
    return ok;
}

static bool yt_on_event(yt_builder_t *b, const yaml_event_t *ev)
{
    yt_node_t *n;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if (!(n = yt_node_new(b, YT_STRING, &ev->start_mark)))
            return false;
        n->len = ev->data.scalar.length;
        if (!(n->text = malloc(n->len + 1))) {
            free(n);
            yt_seterr(b->err, 0, 0, "out of memory");
            return false;
        }
        memcpy(n->text, ev->data.scalar.value, n->len);
        n->text[n->len] = '\0';
        yt_type_scalar(n, ev);
        if (!yt_attach(b, n))
            return false;
        return yt_add_anchor(b, ev->data.scalar.anchor, n, true);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        if (b->depth == YT_MAX_DEPTH) {
            yt_seterr(b->err, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                      "nesting deeper than %d levels", YT_MAX_DEPTH);
            return false;
        }
        if (!(n = yt_node_new(b, map ? YT_MAP : YT_SEQ, &ev->start_mark)))
            return false;
        if (!yt_attach(b, n))
            return false;
        b->stack[b->depth++] = (yt_frame_t){.node = n};
        return yt_add_anchor(b, map ? ev->data.mapping_start.anchor
                                    : ev->data.sequence_start.anchor, n, false);
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        yt_frame_t *f = &b->stack[--b->depth];
        yt_anchor_done(b, f->node);
        if (f->pending_key) { /* libyaml always pairs keys; be defensive */
            yt_free(f->pending_key);
            f->pending_key = NULL;
        }
        return f->node->kind != YT_MAP || yt_check_duplicates(b, f->node);
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = b->nanchors; i-- > 0;) {
            if (strcmp(b->anchors[i].name, name) != 0)
                continue;
            if (!b->anchors[i].done) {
                yt_seterr(b->err, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                          "recursive alias *%.64s", name);
                return false;
            }
            if (!(n = yt_copy(b, b->anchors[i].node, &ev->start_mark, 0)))
                return false;
            return yt_attach(b, n);
        }
        yt_seterr(b->err, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                  "unknown alias *%.64s", name);
        return false;
    }
    default:
        return true;
    }
}

yt_node_t *yt_parse(const char *buf, size_t len, yt_error_t *err)
{
    yaml_parser_t parser;
    yt_builder_t b = {.err = err, .alias_budget = YT_ALIAS_BUDGET};
    bool ok = true, done = false;

    memset(err, 0, sizeof *err);
    if (!yaml_parser_initialize(&parser)) {
        yt_seterr(err, 0, 0, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const char *problem = parser.problem ? parser.problem : "syntax error";
            size_t at = parser.problem_mark.index;
            /* the most common cause of libyaml's vaguest message */
            const char *hint = at < len && buf[at] == '\t' ? " (a tab: YAML indents with spaces)"
                                                           : "";
            if (parser.context)
                yt_seterr(err, (int)parser.problem_mark.line + 1,
                          (int)parser.problem_mark.column + 1,
                          "%s%s (%s that started at line %d, column %d)", problem, hint,
                          parser.context, (int)parser.context_mark.line + 1,
                          (int)parser.context_mark.column + 1);
            else
                yt_seterr(err, (int)parser.problem_mark.line + 1,
                          (int)parser.problem_mark.column + 1, "%s%s", problem, hint);
            ok = false;
            break;
        }
        if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT)
            done = true; /* only the first document matters */
        else
            ok = yt_on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    /* on error the partial tree hangs off root; pending keys live only in frames */
    for (size_t i = 0; i < b.depth; i++)
        yt_free(b.stack[i].pending_key);
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (!ok) {
        yt_free(b.root);
        return NULL;
    }
    if (!b.root) {
        yaml_mark_t start = {0};
        b.root = yt_node_new(&b, YT_NULL, &start);
    }
    return b.root;
}

const yt_node_t *yt_map_get(const yt_node_t *map, const char *key)
{
    if (!map || map->kind != YT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const yt_node_t *k = map->keys[i];
        if (k->text && k->len == klen && !memcmp(k->text, key, klen))
            return map->items[i];
    }
    return NULL;
}

static double yt_number(const yt_node_t *n)
{
    char plain[72];
    size_t j = 0;
    for (size_t i = 0; n->text[i] && j < sizeof plain - 1; i++)
        if (n->text[i] != '_')
            plain[j++] = n->text[i];
    plain[j] = '\0';
    const char *s = plain;
    bool neg = *s == '-';
    if (*s == '+' || *s == '-')
        s++;
    if (n->kind == YT_INT) {
        int base = 10;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
        else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) { base = 2; s += 2; }
        else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) { base = 8; s += 2; }
        else if (s[0] == '0' && s[1]) { base = 8; s += 1; }
        double v = (double)strtoull(s, NULL, base);
        return neg ? -v : v;
    }
    return strtod(plain, NULL);
}

static cJSON *yt_to_cjson_depth(const yt_node_t *n, int depth)
{
    if (depth > YT_MAX_DEPTH)
        return NULL;
    switch (n->kind) {
    case YT_NULL: return cJSON_CreateNull();
    case YT_STRING: return cJSON_CreateString(n->text);
    case YT_BOOL: return cJSON_CreateBool(n->bool_value);
    case YT_INT:
    case YT_FLOAT: return cJSON_CreateNumber(yt_number(n));
    case YT_SEQ:
    case YT_MAP: {
        cJSON *out = n->kind == YT_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
        if (!out)
            return NULL;
        for (size_t i = 0; i < n->n; i++) {
            cJSON *v = yt_to_cjson_depth(n->items[i], depth + 1);
            if (!v) {
                cJSON_Delete(out);
                return NULL;
            }
            if (n->kind == YT_SEQ)
                cJSON_AddItemToArray(out, v);
            else
                cJSON_AddItemToObject(out, n->keys[i]->text ? n->keys[i]->text : "?", v);
        }
        return out;
    }
    }
    return NULL;
}

cJSON *yt_to_cjson(const yt_node_t *node)
{
    return node ? yt_to_cjson_depth(node, 0) : NULL;
}
