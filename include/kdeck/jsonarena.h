/* Parses a large JSON document (a LIST page) into a bump arena instead of one malloc per node:
 * the tree is freed all at once, which removes most of the allocator work of a 10,000-pod list.
 * cJSON's allocation hooks are process-wide, so the arena is switched on only for the duration of
 * one parse/use/delete sequence on the loop's thread. */
#ifndef KDECK_JSONARENA_H
#define KDECK_JSONARENA_H

#include <cJSON.h>
#include <stddef.h>

/* Parses into the arena; the tree must be released with json_arena_release (not cJSON_Delete). */
cJSON *json_arena_parse(const char *text, size_t len);
/* Frees the tree and everything the arena holds. */
void json_arena_release(cJSON *tree);

#endif
