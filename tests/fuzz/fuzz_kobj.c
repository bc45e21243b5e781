/* Kubernetes object decoding: the first byte picks the kind, the rest is JSON decoded with
 * kobj_decode; every column of the kind is then formatted and compared, and label selectors are
 * applied, so the decoded block is read end to end. */
#include "fuzz_common.h"
#include "kdeck/kinds.h"
#include "kdeck/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kind_id_t kind = (kind_id_t)(data[0] % KIND__COUNT);
    cJSON *j = cJSON_ParseWithLength((const char *)data + 1, size - 1);
    if (!j)
        return 0;
    char err[256];
    kobj_t *o = kobj_decode(kind, j, err, sizeof err);
    /* Also the kind named by the object itself, as a List item would be. */
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kind");
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(j, "apiVersion");
    if (cJSON_IsString(k))
        (void)kind_by_kind(k->valuestring, cJSON_IsString(av) ? av->valuestring : NULL);
    cJSON_Delete(j);
    if (!o)
        return 0;
    size_t n = 0;
    const kcol_t *cols = kcol_table(kind, &n);
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        cols[i].cell(o, 1700000000, buf, sizeof buf);
        cols[i].cell(o, 0, buf, 8); /* a narrow buffer too */
        if (cols[i].compare)
            (void)cols[i].compare(o, o);
    }
    (void)kobj_label(o, "app");
    (void)kobj_matches_labels(o, "app=x,tier in (a,b),!gone");
    (void)kobj_selects(o, o);
    kobj_free(o);
    return 0;
}
