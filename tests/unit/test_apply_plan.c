/* apply_plan: the pure parts of applying a descriptor — object paths, the merge of live and
 * desired for a PUT, preview words, `kubectl rollout status` messages, Job states, 422 field
 * causes mapped to descriptor paths, the 409 words and diff, and the active slot of a blue/green
 * app and the refusal while its rollout runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/apply_plan.h"

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

static const cJSON *at(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *k = strtok(buf, "."); k && cur; k = strtok(NULL, ".")) {
        if (cJSON_IsArray(cur))
            cur = cJSON_GetArrayItem(cur, atoi(k));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    }
    return cur;
}

/* ---- paths ---- */

static void test_object_paths(void **state)
{
    (void)state;
    char buf[300];
    assert_string_equal(apply_object_path("Deployment", "app", "back", buf, sizeof buf),
                        "/apis/apps/v1/namespaces/app/deployments/back");
    assert_string_equal(apply_object_path("Service", "app", NULL, buf, sizeof buf), "/api/v1/namespaces/app/services");
    assert_string_equal(apply_object_path("Ingress", "app", "back", buf, sizeof buf),
                        "/apis/networking.k8s.io/v1/namespaces/app/ingresses/back");
    assert_string_equal(apply_object_path("HorizontalPodAutoscaler", "a", "b", buf, sizeof buf),
                        "/apis/autoscaling/v2/namespaces/a/horizontalpodautoscalers/b");
    assert_string_equal(apply_object_path("Job", "a", "m", buf, sizeof buf), "/apis/batch/v1/namespaces/a/jobs/m");
    assert_null(apply_object_path("ConfigMap", "a", "b", buf, sizeof buf));
    assert_null(apply_object_path(NULL, "a", "b", buf, sizeof buf));
    assert_string_equal(apply_resource_name("HorizontalPodAutoscaler"), "horizontalpodautoscalers");
    assert_string_equal(apply_resource_name("Pod"), "?");
    assert_string_equal(apply_app_of_deployment("back-blue", buf, sizeof buf), "back");
    assert_string_equal(apply_app_of_deployment("back-green", buf, sizeof buf), "back");
    assert_string_equal(apply_app_of_deployment("back", buf, sizeof buf), "back");
    assert_string_equal(apply_app_of_deployment("-blue", buf, sizeof buf), "-blue");
}

static void test_find_objects(void **state)
{
    (void)state;
    cJSON *ings = parse("{\"items\":[{\"metadata\":{\"name\":\"other\"},\"spec\":{\"rules\":[{\"http\":{\"paths\":"
                        "[{\"backend\":{\"service\":{\"name\":\"front\"}}}]}}]}},"
                        "{\"metadata\":{\"name\":\"app\"},\"spec\":{\"rules\":[{\"http\":{\"paths\":"
                        "[{\"backend\":{\"service\":{\"name\":\"back\"}}}]}}]}}]}");
    const cJSON *ing = apply_find_ingress(ings, "back");
    assert_non_null(ing);
    assert_string_equal(at(ing, "metadata.name")->valuestring, "app");
    assert_null(apply_find_ingress(ings, "nothing"));
    cJSON *typed = apply_typed_copy(ing, "networking.k8s.io/v1", "Ingress");
    assert_string_equal(at(typed, "kind")->valuestring, "Ingress");
    assert_string_equal(at(typed, "apiVersion")->valuestring, "networking.k8s.io/v1");
    assert_null(apply_typed_copy(NULL, "v1", "X"));
    cJSON *hpas = parse("{\"items\":[{\"metadata\":{\"name\":\"h\"},\"spec\":{\"scaleTargetRef\":"
                        "{\"kind\":\"Deployment\",\"name\":\"back\"}}}]}");
    assert_non_null(apply_find_hpa(hpas, "back"));
    assert_null(apply_find_hpa(hpas, "front"));
    cJSON_Delete(typed);
    cJSON_Delete(ings);
    cJSON_Delete(hpas);
}

/* ---- the merge for a PUT ---- */

static const char *live_dep =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"back\",\"namespace\":\"app\","
    "\"uid\":\"u-1\",\"resourceVersion\":\"42\",\"generation\":3,\"labels\":{\"app\":\"back\",\"team\":\"x\"},"
    "\"annotations\":{\"deployment.kubernetes.io/revision\":\"3\"}},"
    "\"spec\":{\"replicas\":2,\"progressDeadlineSeconds\":600,\"selector\":{\"matchLabels\":{\"app\":\"back\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"back\"}},\"spec\":{\"containers\":[{\"name\":\"back\","
    "\"image\":\"r/back:1\",\"imagePullPolicy\":\"IfNotPresent\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
    "{\"name\":\"B\",\"value\":\"2\"}]}]}}},\"status\":{\"replicas\":2}}";

static const char *desired_dep =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"back\",\"namespace\":\"app\","
    "\"labels\":{\"app\":\"back\"}},"
    "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"back\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"back\"}},\"spec\":{\"containers\":[{\"name\":\"back\","
    "\"image\":\"r/back:2\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]}}}}";

static void test_merge_for_put(void **state)
{
    (void)state;
    cJSON *live = parse(live_dep), *want = parse(desired_dep);
    cJSON *m = apply_merge_for_put(live, want);
    assert_non_null(m);
    /* the desired values win */
    assert_int_equal(at(m, "spec.replicas")->valueint, 3);
    assert_string_equal(at(m, "spec.template.spec.containers.0.image")->valuestring, "r/back:2");
    /* the precondition and server-populated fields stay */
    assert_string_equal(at(m, "metadata.resourceVersion")->valuestring, "42");
    assert_string_equal(at(m, "metadata.uid")->valuestring, "u-1");
    assert_non_null(at(m, "status"));
    assert_non_null(at(m, "spec.progressDeadlineSeconds"));   /* a server default */
    assert_string_equal(at(m, "spec.template.spec.containers.0.imagePullPolicy")->valuestring, "IfNotPresent");
    /* what the diff shows as removed is removed: an extra label, an env entry */
    assert_null(at(m, "metadata.labels.team"));
    assert_int_equal(cJSON_GetArraySize(at(m, "spec.template.spec.containers.0.env")), 1);
    char *body = apply_write_body(live, want);
    assert_non_null(body);
    assert_non_null(strstr(body, "\"resourceVersion\":\"42\""));
    free(body);
    /* a creation sends the desired object as it is */
    body = apply_write_body(NULL, want);
    cJSON *back = parse(body);
    assert_true(cJSON_Compare(back, want, true));
    cJSON_Delete(back);
    free(body);
    cJSON_Delete(m);
    cJSON_Delete(live);
    cJSON_Delete(want);
}

/* ---- preview words ---- */

static void test_object_summary(void **state)
{
    (void)state;
    char buf[120];
    cJSON *live = parse(live_dep), *want = parse(desired_dep);
    textdiff_t *d = textdiff_objects(want, live, 3);
    assert_true(apply_object_changed("Deployment", live, d));
    apply_object_summary("Deployment", live, d, buf, sizeof buf);
    assert_non_null(strstr(buf, "will be updated (+"));
    textdiff_t *none = textdiff_objects(want, NULL, 3);
    assert_string_equal(apply_object_summary("Deployment", NULL, none, buf, sizeof buf), "will be created");
    assert_true(apply_object_changed("Deployment", NULL, none));
    textdiff_t *same = textdiff_objects(want, want, 3);
    assert_string_equal(apply_object_summary("Service", want, same, buf, sizeof buf), "unchanged");
    assert_false(apply_object_changed("Service", want, same));
    cJSON *job = parse("{\"status\":{\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}");
    assert_string_equal(apply_object_summary("Job", job, NULL, buf, sizeof buf), "exists, completed (not run again)");
    assert_false(apply_object_changed("Job", job, NULL));
    assert_true(apply_object_changed("Job", NULL, NULL));
    textdiff_free(d);
    textdiff_free(none);
    textdiff_free(same);
    cJSON_Delete(job);
    cJSON_Delete(live);
    cJSON_Delete(want);
}

static void test_job_state(void **state)
{
    (void)state;
    const char *msg;
    cJSON *running = parse("{\"status\":{\"active\":1}}");
    assert_null(apply_job_state(running, &msg));
    assert_null(msg);
    cJSON *failed = parse("{\"status\":{\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\","
                          "\"reason\":\"BackoffLimitExceeded\",\"message\":\"Job has reached the specified backoff limit\"}]}}");
    assert_string_equal(apply_job_state(failed, &msg), "Failed");
    assert_string_equal(msg, "Job has reached the specified backoff limit");
    cJSON *notyet = parse("{\"status\":{\"conditions\":[{\"type\":\"Complete\",\"status\":\"False\"}]}}");
    assert_null(apply_job_state(notyet, &msg));
    cJSON_Delete(running);
    cJSON_Delete(failed);
    cJSON_Delete(notyet);
}

/* ---- rollout status ---- */

static apply_rollout_t status_of(const char *json, char *msg, char *brief)
{
    cJSON *d = parse(json);
    apply_rollout_t r = apply_rollout_status(d, msg, 300, brief, 300);
    cJSON_Delete(d);
    return r;
}

static void test_rollout_status(void **state)
{
    (void)state;
    char msg[300], brief[300];
    assert_int_equal(status_of("{\"metadata\":{\"name\":\"back\",\"generation\":4},\"spec\":{\"replicas\":2},"
                               "\"status\":{\"observedGeneration\":3}}", msg, brief), APPLY_ROLLOUT_PROGRESSING);
    assert_string_equal(msg, "Waiting for deployment spec update to be observed...");
    assert_int_equal(status_of("{\"metadata\":{\"name\":\"back\",\"generation\":4},\"spec\":{\"replicas\":2},"
                               "\"status\":{\"observedGeneration\":4,\"replicas\":3,\"updatedReplicas\":1}}",
                               msg, brief), APPLY_ROLLOUT_PROGRESSING);
    assert_string_equal(msg, "Waiting for deployment \"back\" rollout to finish: 1 out of 2 new replicas have been updated...");
    assert_string_equal(brief, "1 out of 2 new replicas have been updated...");
    status_of("{\"metadata\":{\"name\":\"back\"},\"spec\":{\"replicas\":2},"
              "\"status\":{\"replicas\":3,\"updatedReplicas\":2}}", msg, brief);
    assert_string_equal(brief, "1 old replicas are pending termination...");
    status_of("{\"metadata\":{\"name\":\"back\"},\"spec\":{\"replicas\":2},"
              "\"status\":{\"replicas\":2,\"updatedReplicas\":2,\"availableReplicas\":1}}", msg, brief);
    assert_string_equal(msg, "Waiting for deployment \"back\" rollout to finish: 1 of 2 updated replicas are available...");
    assert_string_equal(brief, "1 of 2 updated replicas are available...");
    assert_int_equal(status_of("{\"metadata\":{\"name\":\"back\"},\"spec\":{\"replicas\":2},"
                               "\"status\":{\"replicas\":2,\"updatedReplicas\":2,\"availableReplicas\":2}}",
                               msg, brief), APPLY_ROLLOUT_DONE);
    assert_string_equal(msg, "deployment \"back\" successfully rolled out");
    assert_string_equal(brief, "successfully rolled out");
    assert_int_equal(status_of("{\"metadata\":{\"name\":\"back\"},\"spec\":{\"replicas\":2},\"status\":{\"conditions\":"
                               "[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}",
                               msg, brief), APPLY_ROLLOUT_FAILED);
    assert_string_equal(msg, "deployment \"back\" exceeded its progress deadline");
    /* replicas unset means 1, as the API defaults it; no brief buffer is fine */
    cJSON *d = parse("{\"metadata\":{\"name\":\"x\"},\"status\":{\"replicas\":1,\"updatedReplicas\":1,\"availableReplicas\":1}}");
    assert_int_equal(apply_rollout_status(d, msg, sizeof msg, NULL, 0), APPLY_ROLLOUT_DONE);
    cJSON_Delete(d);
}

/* ---- 422 causes ---- */

static void expect_path(const char *kind, const char *field, const char *want)
{
    char buf[300];
    bool ok = apply_cause_path(kind, field, buf, sizeof buf);
    if (!want) {
        assert_false(ok);
        assert_string_equal(buf, "");
        return;
    }
    assert_true(ok);
    assert_string_equal(buf, want);
}

static void test_cause_paths(void **state)
{
    (void)state;
    expect_path("Deployment", "spec.template.spec.containers[0].resources.requests.cpu",
                "containers[0].resources.requests.cpu");
    expect_path("Deployment", "spec.template.spec.containers[1].resources.limits[memory]",
                "containers[1].resources.limits.memory");
    expect_path("Deployment", "spec.replicas", "replicas");
    expect_path("Deployment", "spec.template.spec.containers[0].image", "containers[0].image");
    expect_path("Deployment", "spec.template.spec.containers[0].name", "containers[0].name");
    expect_path("Deployment", "spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.key",
                "containers[0].env[2].secretKeyRef.key");
    expect_path("Deployment", "spec.template.spec.containers[0].ports[1].containerPort",
                "containers[0].ports[1].containerPort");
    expect_path("Deployment", "spec.template.spec.containers[0].readinessProbe.httpGet.port",
                "containers[0].readinessProbe.httpGet.port");
    expect_path("Deployment", "spec.template.spec.containers", "containers");
    expect_path("Deployment", "metadata.name", "name");
    expect_path("Deployment", "metadata.labels", "labels");
    expect_path("Deployment", "spec.selector", NULL);
    expect_path("Deployment", "spec.replicasX", NULL);     /* a prefix is not a field */
    expect_path("Service", "spec.ports[0].port", "service.port");
    expect_path("Service", "spec.ports[0].targetPort", "service.targetPort");
    expect_path("Service", "spec.ports[0].name", "service.portName");
    expect_path("Service", "spec.type", "service.type");
    expect_path("Service", "metadata.name", "name");
    expect_path("Service", "spec.clusterIP", NULL);
    expect_path("Ingress", "spec.rules[0].host", "ingress.host");
    expect_path("Ingress", "spec.rules[0].http.paths[0].path", "ingress.path");
    expect_path("Ingress", "spec.rules[0].http.paths[0].pathType", "ingress.pathType");
    expect_path("Ingress", "spec.tls[0].secretName", "ingress.tlsSecret");
    expect_path("Ingress", "spec.tls[0].hosts[0]", "ingress.host");
    expect_path("Ingress", "spec.ingressClassName", "ingress.ingressClassName");
    expect_path("HorizontalPodAutoscaler", "spec.minReplicas", "autoscaler.minReplicas");
    expect_path("HorizontalPodAutoscaler", "spec.maxReplicas", "autoscaler.maxReplicas");
    expect_path("HorizontalPodAutoscaler", "spec.metrics[0].resource.target.averageUtilization",
                "autoscaler.targetCPUUtilizationPercentage");
    expect_path("Job", "spec.template.spec.containers[0].image", "migration.image");
    expect_path("Job", "spec.template.spec.containers[0].env[0].name", "migration.env[0].name");
    expect_path("Job", "spec.backoffLimit", "migration.backoffLimit");
    expect_path("Job", "spec.activeDeadlineSeconds", "migration.timeoutSeconds");
    expect_path("Pod", "spec.containers", NULL);
    expect_path("Deployment", "", NULL);
    expect_path("Deployment", NULL, NULL);
}

static void test_status_causes(void **state)
{
    (void)state;
    const char *body =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Ingress.networking.k8s.io "
        "\\\"back\\\" is invalid\",\"reason\":\"Invalid\",\"details\":{\"causes\":["
        "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: \\\"/a//b\\\": must not contain '//'\","
        "\"field\":\"spec.rules[0].http.paths[0].path\"},"
        "{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid value: \\\"x\\\": odd\",\"field\":\"spec.defaultBackend\"},"
        "{\"reason\":\"FieldValueInvalid\",\"message\":\"no field at all\"}]},\"code\":422}";
    desc_problems_t p = {0};
    assert_int_equal(apply_status_causes("Ingress", body, strlen(body), &p), 3);
    assert_string_equal(p.v[0].path, "ingress.path");
    assert_string_equal(p.v[0].msg, "Invalid value: \"/a//b\": must not contain '//'");
    assert_string_equal(p.v[1].path, "");
    assert_string_equal(p.v[1].msg, "Ingress spec.defaultBackend: Invalid value: \"x\": odd");
    assert_string_equal(p.v[2].path, "");
    assert_string_equal(p.v[2].msg, "Ingress: no field at all");
    desc_problems_free(&p);
    /* no causes, or no JSON at all: one problem, never nothing */
    const char *plain = "{\"kind\":\"Status\",\"message\":\"denied by policy\",\"code\":422}";
    assert_int_equal(apply_status_causes("Service", plain, strlen(plain), &p), 1);
    assert_string_equal(p.v[0].msg, "Service: denied by policy");
    desc_problems_free(&p);
    assert_int_equal(apply_status_causes("Service", "<html>", 6, &p), 1);
    assert_string_equal(p.v[0].path, "");
    desc_problems_free(&p);
    /* control characters from the server never reach the screen */
    const char *hostile = "{\"details\":{\"causes\":[{\"field\":\"spec.replicas\",\"message\":\"bad\\u001b[2Jvalue\"}]}}";
    apply_status_causes("Deployment", hostile, strlen(hostile), &p);
    assert_string_equal(p.v[0].path, "replicas");
    assert_null(strchr(p.v[0].msg, 0x1b));
    desc_problems_free(&p);
}

/* ---- 409 ---- */

static void test_conflict(void **state)
{
    (void)state;
    char buf[400];
    cJSON *read = parse(live_dep), *want = parse(desired_dep);
    apply_conflict_text("Deployment", "app", "back", read, buf, sizeof buf);
    assert_string_equal(buf, "conflict: Deployment app/back was changed on the server after kdeck read it "
                             "(resourceVersion 42); nothing of it was overwritten.");
    cJSON *now = cJSON_Duplicate(read, true);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(now, "metadata"), "resourceVersion",
                                           cJSON_CreateString("50"));
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(now, "spec"), "replicas",
                                           cJSON_CreateNumber(5));
    textdiff_t *d = apply_conflict_diff(read, now, want);
    assert_non_null(d);
    assert_int_equal(d->n_hunks, 1);
    bool saw = false;
    for (size_t i = 0; i < d->n_lines; i++)
        saw |= d->lines[i].tag == '+' && d->lines[i].len == 13 && !memcmp(d->lines[i].text, "  replicas: 5", 13);
    assert_true(saw);
    textdiff_free(d);
    /* only the resourceVersion changed: nothing to show */
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(now, "spec"), "replicas",
                                           cJSON_CreateNumber(2));
    d = apply_conflict_diff(read, now, want);
    assert_int_equal(d->n_hunks, 0);
    textdiff_free(d);
    cJSON_Delete(now);
    cJSON_Delete(read);
    cJSON_Delete(want);
}

/* ---- blue/green apps ---- */

static void test_active_slot(void **state)
{
    (void)state;
    static const struct { const char *svc, *slot; } cases[] = {
        { "{\"spec\":{\"selector\":{\"app\":\"web\",\"slot\":\"blue\"}}}", "blue" },
        { "{\"spec\":{\"selector\":{\"app\":\"web\",\"slot\":\"green\"}}}", "green" },
        { "{\"spec\":{\"selector\":{\"app\":\"web\"}}}", NULL },          /* a plain app */
        { "{\"spec\":{\"selector\":{\"app\":\"web\",\"slot\":\"canary\"}}}", NULL },
        { "{\"spec\":{\"selector\":{\"slot\":7}}}", NULL },
        { "{\"spec\":{}}", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *svc = parse(cases[i].svc);
        const char *got = apply_active_slot(svc);
        if (cases[i].slot)
            assert_string_equal(got, cases[i].slot);
        else
            assert_null(got);
        cJSON_Delete(svc);
    }
    assert_null(apply_active_slot(NULL));   /* no Service */

    char buf[300];
    assert_string_equal(apply_bluegreen_note("web", "blue", buf, sizeof buf),
                        "web is deployed blue/green: applying to the active slot blue as a rolling update; "
                        "ship new versions with kdeck rollout apply / r");
    assert_string_equal(apply_rollout_lease_path("shop", "web", buf, sizeof buf),
                        "/apis/coordination.k8s.io/v1/namespaces/shop/leases/kdeck-rollout-web");
}

static void test_rollout_running(void **state)
{
    (void)state;
    const int64_t renewed = 1767225600000;   /* 2026-01-01T00:00:00Z */
    char buf[600] = "";
    cJSON *held = parse("{\"metadata\":{\"annotations\":{\"kdeck.dev/driver-pid\":\"42\"}},"
                        "\"spec\":{\"holderIdentity\":\"root@vm\",\"leaseDurationSeconds\":15,"
                        "\"acquireTime\":\"2026-01-01T00:00:00.000000Z\","
                        "\"renewTime\":\"2026-01-01T00:00:00.000000Z\"}}");
    /* held and renewed 5 s ago, by a driver on another machine */
    assert_true(apply_rollout_running(held, "web", "bastion2", renewed + 5000, buf, sizeof buf));
    assert_string_equal(buf, "a rollout of web is running (root@vm (pid 42) since 2026-01-01T00:00:00.000000Z): "
                             "wait for it or abort it");
    /* expired: its driver stopped renewing it */
    assert_false(apply_rollout_running(held, "web", "bastion2", renewed + 60000, buf, sizeof buf));
    /* released (no holder), or no Lease at all */
    cJSON *released = parse("{\"spec\":{\"leaseDurationSeconds\":15,"
                            "\"renewTime\":\"2026-01-01T00:00:00.000000Z\"}}");
    assert_false(apply_rollout_running(released, "web", "bastion2", renewed + 1000, buf, sizeof buf));
    assert_false(apply_rollout_running(NULL, "web", "bastion2", renewed, buf, sizeof buf));
    cJSON_Delete(released);
    cJSON_Delete(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_paths),
        cmocka_unit_test(test_find_objects),
        cmocka_unit_test(test_merge_for_put),
        cmocka_unit_test(test_object_summary),
        cmocka_unit_test(test_job_state),
        cmocka_unit_test(test_rollout_status),
        cmocka_unit_test(test_cause_paths),
        cmocka_unit_test(test_status_causes),
        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_active_slot),
        cmocka_unit_test(test_rollout_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
