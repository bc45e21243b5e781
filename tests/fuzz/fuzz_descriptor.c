/* Descriptor loading and validation: descriptor_parse, descriptor_validate, and for a valid
 * descriptor the objects it becomes (rolling and blue/green), its text form (which must parse
 * back to an equal descriptor) and the round trip through descriptor_from_objects. */
#include "fuzz_common.h"
#include "kdeck/descriptor.h"
#include "kdeck/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    desc_problems_t probs = { 0 };
    descriptor_t *d = descriptor_parse((const char *)data, size, &probs);
    char *msg = desc_problems_format(&probs);
    free(msg);
    desc_problems_free(&probs);
    if (!d)
        return 0;
    desc_problems_t vp = { 0 };
    bool valid = descriptor_validate(d, &vp);
    desc_problems_free(&vp);
    char *text = descriptor_to_text(d);
    if (text) {
        descriptor_t *back = descriptor_parse(text, strlen(text), NULL);
        if (!back || !descriptor_equal(d, back))
            abort(); /* what kdeck saves must load back unchanged */
        descriptor_free(back);
        free(text);
    }
    descriptor_t *dup = descriptor_dup(d);
    descriptor_free(dup);
    if (valid) {
        const char *slots[] = { NULL, "blue", "green" };
        for (int i = 0; i < 3; i++) {
            cJSON *objs = descriptor_objects(d, slots[i]);
            cJSON_Delete(objs);
        }
        char *job = descriptor_job_name(d);
        free(job);
        cJSON *dep = descriptor_deployment(d, NULL);
        cJSON *svc = descriptor_service(d, NULL);
        cJSON *ing = descriptor_ingress(d);
        cJSON *hpa = descriptor_hpa(d, NULL);
        desc_problems_t notes = { 0 };
        descriptor_t *live = descriptor_from_objects(dep, svc, ing, hpa, &notes);
        desc_problems_free(&notes);
        descriptor_free(live);
        cJSON_Delete(dep);
        cJSON_Delete(svc);
        cJSON_Delete(ing);
        cJSON_Delete(hpa);
    }
    descriptor_free(d);
    return 0;
}
