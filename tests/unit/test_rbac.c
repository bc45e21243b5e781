/* RBAC rules from a SelfSubjectRulesReview: wildcards, subresources, resource names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "kdeck/rbac.h"

static rbac_rules_t *parse(const char *json)
{
    char err[128];
    return rbac_rules_parse(json, strlen(json), err, sizeof err);
}

static void test_viewer(void **state)
{
    (void)state;
    rbac_rules_t *r = parse("{\"kind\":\"SelfSubjectRulesReview\",\"status\":{\"resourceRules\":["
                            "{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}],"
                            "\"nonResourceRules\":[],\"incomplete\":false}}");
    assert_non_null(r);
    assert_true(rbac_allows(r, "list", "", "pods", NULL));
    assert_true(rbac_allows(r, "get", "apps", "deployments", "back"));
    assert_false(rbac_allows(r, "create", "", "pods/exec", NULL));
    assert_false(rbac_allows(r, "delete", "", "pods", "x"));
    assert_false(rbac_incomplete(r));
    rbac_rules_free(r);
}

static void test_specific_rules(void **state)
{
    (void)state;
    rbac_rules_t *r = parse("{\"status\":{\"incomplete\":true,\"resourceRules\":["
                            "{\"verbs\":[\"create\"],\"apiGroups\":[\"\"],\"resources\":[\"pods/exec\"]},"
                            "{\"verbs\":[\"*\"],\"apiGroups\":[\"apps\"],\"resources\":[\"deployments/*\"]},"
                            "{\"verbs\":[\"patch\"],\"apiGroups\":[\"\"],\"resources\":[\"services\"],\"resourceNames\":[\"back\"]}]}}");
    assert_non_null(r);
    assert_true(rbac_allows(r, "create", "", "pods/exec", NULL));
    assert_false(rbac_allows(r, "create", "apps", "pods/exec", NULL));
    assert_false(rbac_allows(r, "create", "", "pods/attach", NULL));
    assert_true(rbac_allows(r, "update", "apps", "deployments/scale", NULL));
    assert_false(rbac_allows(r, "update", "apps", "deployments", NULL));
    assert_true(rbac_allows(r, "patch", "", "services", "back"));
    assert_false(rbac_allows(r, "patch", "", "services", "front"));
    assert_false(rbac_allows(r, "patch", "", "services", NULL));
    assert_true(rbac_incomplete(r));
    rbac_rules_free(r);
}

static void test_bad_input(void **state)
{
    (void)state;
    char err[128];
    assert_null(rbac_rules_parse("nope", 4, err, sizeof err));
    assert_null(rbac_rules_parse("{}", 2, err, sizeof err));
    rbac_rules_t *r = parse("{\"status\":{\"resourceRules\":[{\"verbs\":7,\"apiGroups\":null},3,{}]}}");
    assert_non_null(r);
    assert_false(rbac_allows(r, "get", "", "pods", NULL));
    rbac_rules_free(r);
    char body[256];
    rbac_review_body("app", body, sizeof body);
    assert_non_null(strstr(body, "\"namespace\":\"app\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_viewer),
        cmocka_unit_test(test_specific_rules),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests_name("rbac", tests, NULL, NULL);
}
