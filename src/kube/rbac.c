/* SelfSubjectRulesReview answers: resourceRules with verbs, apiGroups, resources, resourceNames. */
#include "kdeck/rbac.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 512

typedef struct rule {
    char **verbs, **groups, **resources, **names;
    size_t nverbs, ngroups, nresources, nnames;
} rule_t;

struct rbac_rules {
    rule_t *rules;
    size_t n;
    bool incomplete;
};

static char **strings(const cJSON *arr, size_t *n)
{
    *n = 0;
    int count = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    if (count <= 0)
        return NULL;
    char **v = calloc((size_t)count, sizeof *v);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
        if (v && cJSON_IsString(it))
            v[(*n)++] = strdup(it->valuestring);
    return v;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void rbac_rules_free(rbac_rules_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free_strings(r->rules[i].verbs, r->rules[i].nverbs);
        free_strings(r->rules[i].groups, r->rules[i].ngroups);
        free_strings(r->rules[i].resources, r->rules[i].nresources);
        free_strings(r->rules[i].names, r->rules[i].nnames);
    }
    free(r->rules);
    free(r);
}

rbac_rules_t *rbac_rules_parse(const char *json, size_t len, char *err, size_t errlen)
{
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const cJSON *status = doc ? cJSON_GetObjectItemCaseSensitive(doc, "status") : NULL;
    const cJSON *rules = cJSON_IsObject(status) ? cJSON_GetObjectItemCaseSensitive(status, "resourceRules") : NULL;
    if (!cJSON_IsObject(status)) {
        snprintf(err, errlen, "the access review answer has no status");
        cJSON_Delete(doc);
        return NULL;
    }
    rbac_rules_t *r = calloc(1, sizeof *r);
    int count = cJSON_IsArray(rules) ? cJSON_GetArraySize(rules) : 0;
    if (count > MAX_RULES)
        count = MAX_RULES;
    if (r && count > 0)
        r->rules = calloc((size_t)count, sizeof *r->rules);
    const cJSON *it;
    cJSON_ArrayForEach(it, rules) {
        if (!r || !r->rules || r->n >= (size_t)count)
            break;
        rule_t *ru = &r->rules[r->n++];
        ru->verbs = strings(cJSON_GetObjectItemCaseSensitive(it, "verbs"), &ru->nverbs);
        ru->groups = strings(cJSON_GetObjectItemCaseSensitive(it, "apiGroups"), &ru->ngroups);
        ru->resources = strings(cJSON_GetObjectItemCaseSensitive(it, "resources"), &ru->nresources);
        ru->names = strings(cJSON_GetObjectItemCaseSensitive(it, "resourceNames"), &ru->nnames);
    }
    if (r)
        r->incomplete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(status, "incomplete"));
    cJSON_Delete(doc);
    if (!r)
        snprintf(err, errlen, "out of memory");
    return r;
}

static bool matches(char **v, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], "*") || !strcmp(v[i], want))
            return true;
    return false;
}

/* A rule for "pods" with a trailing slash-star covers every subresource of pods; a lone star covers all. */
static bool resource_matches(char **v, size_t n, const char *want)
{
    if (matches(v, n, want))
        return true;
    const char *slash = strchr(want, '/');
    if (!slash)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]);
        if (l >= 2 && !strcmp(v[i] + l - 2, "/*") && !strncmp(v[i], want, l - 1))
            return true;
    }
    return false;
}

bool rbac_allows(const rbac_rules_t *r, const char *verb, const char *group, const char *resource, const char *name)
{
    if (!r)
        return false;
    for (size_t i = 0; i < r->n; i++) {
        const rule_t *ru = &r->rules[i];
        if (!matches(ru->verbs, ru->nverbs, verb) || !matches(ru->groups, ru->ngroups, group ? group : "") ||
            !resource_matches(ru->resources, ru->nresources, resource))
            continue;
        if (ru->nnames && (!name || !matches(ru->names, ru->nnames, name)))
            continue;
        return true;
    }
    return false;
}

bool rbac_incomplete(const rbac_rules_t *r)
{
    return r && r->incomplete;
}

int rbac_review_body(const char *ns, char *buf, size_t len)
{
    return snprintf(buf, len,
                    "{\"kind\":\"SelfSubjectRulesReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
                    "\"spec\":{\"namespace\":\"%s\"}}", ns);
}
