/* yamltree: a YAML document (libyaml) as a small in-memory tree that remembers where each node
 * came from (line/column), so schema checks can say "file:12: x must be a string".
 * Scalars are typed the way Kubernetes' YAML reader (YAML 1.1, go-yaml v2) types them:
 * plain `true`/`yes`/`on`, numbers and `null`/`~`/empty are not strings; quoted scalars are. */
#ifndef KDECK_YAMLTREE_H
#define KDECK_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef enum yt_kind {
    YT_NULL,   /* explicit null, or an empty document */
    YT_STRING,
    YT_BOOL,
    YT_INT,
    YT_FLOAT,
    YT_MAP,
    YT_SEQ,
} yt_kind_t;

typedef struct yt_node {
    yt_kind_t kind;
    int line, col;          /* 1-based start of the node */
    char *text;             /* scalars: the text as written (NUL-terminated) */
    size_t len;             /* length of text (may contain NULs from escapes) */
    bool bool_value;        /* YT_BOOL */
    size_t n;               /* YT_MAP: pairs, YT_SEQ: items */
    struct yt_node **keys;  /* YT_MAP only: keys[i] pairs with items[i] */
    struct yt_node **items;
} yt_node_t;

typedef struct yt_error {
    int line, col;          /* 1-based; 0 when unknown */
    char msg[256];          /* libyaml's problem text, or ours */
} yt_error_t;

/* Parses the first document of buf. An empty input gives a YT_NULL node. Aliases are expanded
 * (with a node budget against "billion laughs"); duplicate keys in a mapping are an error.
 * NULL on error, with *err filled. */
yt_node_t *yt_parse(const char *buf, size_t len, yt_error_t *err);

/* Frees the tree; scalar text is wiped first because kubeconfigs carry secrets. NULL is fine. */
void yt_free(yt_node_t *node);

/* The value for a string key of a mapping, or NULL (also when node is not a mapping). */
const yt_node_t *yt_map_get(const yt_node_t *map, const char *key);

/* "a string", "a mapping", ...: for error messages. */
const char *yt_kind_name(yt_kind_t kind);

/* True when node is a scalar (string, bool, int, float). */
bool yt_is_scalar(const yt_node_t *node);

/* The tree as cJSON (keys are the key text; non-string keys use their text too). NULL on ENOMEM. */
cJSON *yt_to_cjson(const yt_node_t *node);

#endif
