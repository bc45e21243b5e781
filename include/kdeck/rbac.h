/* What the user may do, from a SelfSubjectRulesReview: kdeck asks once per namespace and greys out
 * (with the reason) the actions RBAC would refuse, instead of letting the operator find out by a 403. */
#ifndef KDECK_RBAC_H
#define KDECK_RBAC_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rbac_rules rbac_rules_t;

/* Parses the review's answer (the whole SelfSubjectRulesReview object). NULL with err on error. */
rbac_rules_t *rbac_rules_parse(const char *json, size_t len, char *err, size_t errlen);
void rbac_rules_free(rbac_rules_t *r);
/* Do the rules allow verb on group/resource ("pods/exec" for a subresource), optionally one name?
 * "*" in rules matches anything, as in Kubernetes RBAC. */
bool rbac_allows(const rbac_rules_t *r, const char *verb, const char *group, const char *resource, const char *name);
/* The server said its list may be incomplete (other authorizers): a "no" is then only a guess. */
bool rbac_incomplete(const rbac_rules_t *r);

/* The body of a SelfSubjectRulesReview for a namespace, into buf. */
int rbac_review_body(const char *ns, char *buf, size_t len);

#endif
