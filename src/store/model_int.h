/* model_int.h — private to src/store/model*.c and columns.c: the block builder
 * and the lenient JSON readers the per-kind decoders share. */
#ifndef KDECK_MODEL_INT_H
#define KDECK_MODEL_INT_H

#include "kdeck/model.h"

/* Builds one object in one block, in two passes over the same decoder:
 * the measure pass bump-allocates from throwaway scratch and records the total,
 * the fill pass bump-allocates from the exact-size block. Same code, same
 * alignment arithmetic, so the sizes agree and no pointer ever needs fixing. */
typedef struct kb_chunk kb_chunk_t;
typedef struct kb {
	bool measure;
	size_t off;          /* virtual offset: identical in both passes */
	char *block;         /* fill pass: the object's block */
	size_t cap;
	kb_chunk_t *chunks;  /* measure pass: scratch memory */
	char *sp;            /* measure pass: bump pointer in the newest chunk */
	size_t sleft;
	/* diagnostics */
	char *err;
	size_t errlen;
	bool warned;
	bool quiet;          /* fill pass: warnings were already recorded */
	const char *what;    /* "pod", for messages */
	const char *ns, *name;
} kb_t;

void *kb_alloc(kb_t *b, size_t n, size_t align);   /* zeroed */
void kb_release(kb_t *b);                          /* frees measure-pass scratch */
#define KB_NEW(b, type, n) ((type *)kb_alloc((b), sizeof(type) * (size_t)(n), _Alignof(type)))
const char *kb_strn(kb_t *b, const char *s, size_t n);
const char *kb_str(kb_t *b, const char *s);        /* NULL stays NULL, "" is not copied */

/* Records the first problem: "<what> <ns>/<name>: <path> <problem>". */
void kb_warn(kb_t *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Lenient readers. `ctx` is a printf format for the parent's path (e.g.
 * "status.containerStatuses[%d]") and idx its argument; formatted only when a
 * warning is needed. A missing or null member is silently "absent"; a member of
 * the wrong type is absent too, with a warning. */
const cJSON *kj_obj(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx);
const cJSON *kj_arr(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx);
const char *kj_str(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx);
int64_t kj_int(kb_t *b, const cJSON *o, const char *key, int64_t dflt, const char *ctx, int idx);
int32_t kj_i32(kb_t *b, const cJSON *o, const char *key, int32_t dflt, const char *ctx, int idx);
bool kj_bool(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx);
int64_t kj_time(kb_t *b, const cJSON *o, const char *key, const char *ctx, int idx);
/* Elements of a JSON array to decode, clamped to what a uint16_t count can hold (0 for NULL). */
int kj_count(const cJSON *arr);
/* Is the member there and not null? (kj_int also takes "3": pre-1.0 servers.) */
bool kj_present(const cJSON *o, const char *key);

/* Copies a string->string JSON map into a key-sorted label array. */
const kobj_label_t *kj_labels(kb_t *b, const cJSON *map, uint16_t *n, const char *ctx);
/* Decodes a metav1.LabelSelector ({matchLabels, matchExpressions}) into sel. */
void kj_selector(kb_t *b, const cJSON *ls, ksel_t *sel, const char *ctx);
/* Containers of a pod spec: name + image only (templates). */
const kobj_container_t *kj_containers(kb_t *b, const cJSON *spec, uint16_t *n, const char *ctx);
/* Interned copy for strings that repeat across objects ("TCP", "Running"). */
const char *kb_intern(kb_t *b, const char *s);

/* Per-kind decoders, after the common metadata. */
void kdec_pod(kb_t *b, kobj_t *o, const cJSON *obj);
void kdec_workload(kb_t *b, kobj_t *o, const cJSON *obj);
void kdec_service(kb_t *b, kobj_t *o, const cJSON *obj);
void kdec_endpoints(kb_t *b, kobj_t *o, const cJSON *obj);
void kdec_event(kb_t *b, kobj_t *o, const cJSON *obj);
void kdec_node(kb_t *b, kobj_t *o, const cJSON *obj);
void kdec_misc(kb_t *b, kobj_t *o, const cJSON *obj);

/* Sorted-requirement helpers shared by the selector parser and decoder. */
void ksel_sort(ksel_req_t *reqs, size_t n);
int kobj_strcmp(const char *a, const char *b); /* NULL sorts first */

#endif
