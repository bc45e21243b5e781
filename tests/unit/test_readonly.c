/* The read-only choke point: every mutating verb and every interactive channel is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "kdeck/readonly.h"

static void test_reads_allowed(void **state)
{
    (void)state;
    assert_true(kube_request_allowed_read_only("GET", "/api/v1/pods?limit=500"));
    assert_true(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods?watch=1&resourceVersion=5"));
    assert_true(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x/log?follow=true"));
    assert_true(kube_request_allowed_read_only("GET", "/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query?query=up"));
    assert_true(kube_request_allowed_read_only("HEAD", "/version"));
    assert_true(kube_request_allowed_read_only("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"));
    assert_true(kube_request_allowed_read_only("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"));
}

static void test_writes_refused(void **state)
{
    (void)state;
    const char *methods[] = { "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "post", "", "GETX" };
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        assert_false(kube_request_allowed_read_only(methods[i], "/api/v1/namespaces/app/pods/x"));
    assert_false(kube_request_allowed_read_only("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/extra"));
    assert_false(kube_request_allowed_read_only("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"));
    assert_false(kube_request_allowed_read_only("POST", "/apis/apps/v1/namespaces/app/deployments"));
    assert_false(kube_request_allowed_read_only(NULL, "/api"));
    assert_false(kube_request_allowed_read_only("GET", NULL));
}

static void test_interactive_refused(void **state)
{
    (void)state;
    /* exec/attach/portforward are WebSocket upgrades over GET: refused whatever the method. */
    assert_false(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x/exec?command=sh&stdin=true"));
    assert_false(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x/attach"));
    assert_false(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x/portforward?ports=80"));
    assert_false(kube_request_allowed_read_only("POST", "/api/v1/namespaces/app/pods/x/exec"));
    /* Disguises: dot segments, encoded slashes and dots. */
    assert_false(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x/log/../exec"));
    assert_false(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x%2Fexec"));
    assert_false(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/x/%2e%2e/exec"));
    /* A pod named "exec-worker" is not the exec subresource. */
    assert_true(kube_request_allowed_read_only("GET", "/api/v1/namespaces/app/pods/exec-worker"));
}

static void test_refusal_message(void **state)
{
    (void)state;
    char buf[256];
    kube_read_only_refusal("DELETE", "/api/v1/namespaces/app/pods/x?gracePeriodSeconds=0", buf, sizeof buf);
    assert_string_equal(buf, "read-only session: refusing DELETE /api/v1/namespaces/app/pods/x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_allowed),
        cmocka_unit_test(test_writes_refused),
        cmocka_unit_test(test_interactive_refused),
        cmocka_unit_test(test_refusal_message),
    };
    return cmocka_run_group_tests_name("readonly", tests, NULL, NULL);
}
