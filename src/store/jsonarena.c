/* A bump allocator behind cJSON's hooks for one document at a time. */
#include "kdeck/jsonarena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (1u << 20)

typedef struct block {
    struct block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned payload */
} block_t;

static block_t *blocks;   /* the arena of the document being parsed */
static int active;

static void *arena_malloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!blocks || blocks->used + n > blocks->cap) {
        size_t cap = n > BLOCK ? n : BLOCK;
        block_t *b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = blocks;
        b->used = 0;
        b->cap = cap;
        blocks = b;
    }
    void *p = (char *)blocks->data + blocks->used;
    blocks->used += n;
    return p;
}

static void arena_free(void *p)
{
    (void)p; /* everything goes at once in json_arena_release */
}

static void arena_reset(void)
{
    while (blocks) {
        block_t *next = blocks->next;
        free(blocks);
        blocks = next;
    }
}

cJSON *json_arena_parse(const char *text, size_t len)
{
    if (active) /* not re-entrant: fall back to ordinary allocation */
        return cJSON_ParseWithLength(text, len);
    cJSON_Hooks hooks = { arena_malloc, arena_free };
    cJSON_InitHooks(&hooks);
    active = 1;
    cJSON *tree = cJSON_ParseWithLength(text, len);
    /* Back to malloc at once: decoding may call into cJSON for other documents. Nodes already in
     * the arena are only read until json_arena_release. */
    cJSON_InitHooks(NULL);
    if (!tree) {
        arena_reset();
        active = 0;
    }
    return tree;
}

void json_arena_release(cJSON *tree)
{
    if (!active) {
        cJSON_Delete(tree);
        return;
    }
    (void)tree; /* its nodes live in the arena */
    arena_reset();
    active = 0;
}
