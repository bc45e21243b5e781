/* `kdeck descriptor get APP` and `kdeck descriptor validate FILE...`, and the helpers the
 * headless commands share (cli_int.h). */
#include "cli_int.h"

#include "kdeck/apierror.h"
#include "kdeck/apply_plan.h"
#include "kdeck/descriptor.h"
#include "kdeck/textdiff.h"
#include "kdeck/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers ---- */

const char *cli_object_path(const char *api_version, const char *kind, const char *ns,
                            const char *name, char *buf, size_t len)
{
    (void)api_version;   /* one version per kind: the one descriptor objects use */
    return apply_object_path(kind, ns, name, buf, len);
}

const char *cli_resource_name(const char *kind)
{
    return apply_resource_name(kind);
}

int cli_status_of(const kube_resp_t *r)
{
    if (r->refused)
        return CLI_USAGE;
    if (r->status == 0)
        return CLI_UNREACHABLE;
    return CLI_FAIL;
}

int cli_get_json(kube_conn_t *c, const char *path, bool missing_ok, cJSON **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    kube_resp_t r;
    if (kube_conn_call(c, "GET", path, NULL, NULL, 0, &r) != 0) {
        snprintf(err, errlen, "out of memory");
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    if (r.status == 404 && missing_ok) {
        rc = CLI_OK;
    } else if (r.status != 200) {
        http_result_t res;
        kube_resp_result(&r, &res);
        char what[600];
        snprintf(what, sizeof what, "GET %s", path);
        api_error_describe(what, &res, err, errlen);
        rc = cli_status_of(&r);
    } else if (!(*out = cJSON_ParseWithLength(r.body, r.body_len))) {
        snprintf(err, errlen, "GET %s: the answer is not JSON", path);
        rc = CLI_FAIL;
    }
    kube_resp_free(&r);
    return rc;
}

/* ---- descriptor get ---- */

static void get_usage(FILE *f)
{
    fputs("Usage: kdeck descriptor get APP [-n NS] [-o json|yaml]\n"
          "       kdeck descriptor validate FILE...\n", f);
}

static int descriptor_get(int argc, char **argv, const cli_conn_t *conn)
{
    const char *app = NULL, *ns = conn->ns, *format = "json";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-n") || !strcmp(a, "--namespace")) && i + 1 < argc)
            ns = argv[++i];
        else if (!strncmp(a, "--namespace=", 12))
            ns = a + 12;
        else if (!strcmp(a, "-o") && i + 1 < argc)
            format = argv[++i];
        else if (!strncmp(a, "--output=", 9))
            format = a + 9;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            get_usage(stdout);
            return CLI_OK;
        } else if (a[0] == '-' || app) {
            fprintf(stderr, "kdeck descriptor get: unexpected argument '%s'\n", a);
            get_usage(stderr);
            return CLI_USAGE;
        } else
            app = a;
    }
    if (!app || (strcmp(format, "json") && strcmp(format, "yaml"))) {
        if (app)
            fprintf(stderr, "kdeck descriptor get: -o must be json or yaml\n");
        get_usage(stderr);
        return CLI_USAGE;
    }
    char err[1500];
    kube_conn_t *c = kube_conn_open(conn->kubeconfig, conn->context, ns, conn->read_only, err, sizeof err);
    if (!c) {
        fprintf(stderr, "kdeck: %s\n", err);
        return CLI_FAIL;
    }
    const char *nsv = c->target->namespace ? c->target->namespace : "default";
    char path[700];
    cJSON *dep = NULL, *svc = NULL, *ings = NULL, *hpas = NULL;
    int rc = cli_get_json(c, cli_object_path(NULL, "Deployment", nsv, app, path, sizeof path), true,
                          &dep, err, sizeof err);
    if (rc == CLI_OK && !dep) {
        snprintf(err, sizeof err, "deployment \"%s\" not found in namespace \"%s\"", app, nsv);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = cli_get_json(c, cli_object_path(NULL, "Service", nsv, app, path, sizeof path), true, &svc,
                          err, sizeof err);
    if (rc == CLI_OK)
        rc = cli_get_json(c, cli_object_path(NULL, "Ingress", nsv, NULL, path, sizeof path), true,
                          &ings, err, sizeof err);
    if (rc == CLI_OK)
        rc = cli_get_json(c, cli_object_path(NULL, "HorizontalPodAutoscaler", nsv, NULL, path, sizeof path),
                          true, &hpas, err, sizeof err);
    if (rc != CLI_OK) {
        fprintf(stderr, "kdeck: %s\n", err);
    } else {
        cJSON *ing = apply_typed_copy(apply_find_ingress(ings, app), "networking.k8s.io/v1", "Ingress");
        cJSON *hpa = apply_typed_copy(apply_find_hpa(hpas, app), "autoscaling/v2", "HorizontalPodAutoscaler");
        desc_problems_t notes = {0};
        descriptor_t *d = descriptor_from_objects(dep, svc, ing, hpa, &notes);
        for (size_t i = 0; i < notes.n; i++)
            fprintf(stderr, "note: %s%s%s\n", notes.v[i].path ? notes.v[i].path : "",
                    notes.v[i].path && notes.v[i].path[0] ? ": " : "", notes.v[i].msg);
        if (!d) {
            fprintf(stderr, "kdeck: cannot derive a descriptor from deployment \"%s\"\n", app);
            rc = CLI_FAIL;
        } else {
            char *text = NULL;
            if (!strcmp(format, "yaml")) {
                cJSON *j = descriptor_to_json(d);
                text = j ? textdiff_yaml(j) : NULL;
                cJSON_Delete(j);
            } else {
                text = descriptor_to_text(d);
            }
            if (text)
                fputs(text, stdout);
            else {
                fprintf(stderr, "kdeck: out of memory\n");
                rc = CLI_FAIL;
            }
            free(text);
            descriptor_free(d);
        }
        desc_problems_free(&notes);
        cJSON_Delete(ing);
        cJSON_Delete(hpa);
    }
    cJSON_Delete(dep);
    cJSON_Delete(svc);
    cJSON_Delete(ings);
    cJSON_Delete(hpas);
    kube_conn_close(c);
    return rc;
}

/* ---- descriptor validate ---- */

static void print_problems(const char *file, const desc_problems_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const char *path = p->v[i].path ? p->v[i].path : "";
        printf("%s: %s%s%s\n", file, path, path[0] ? ": " : "", p->v[i].msg);
    }
}

static int descriptor_validate_files(int argc, char **argv)
{
    int nfiles = 0, rc = CLI_OK;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            get_usage(stdout);
            return CLI_OK;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "kdeck descriptor validate: unknown option '%s'\n", argv[i]);
            return CLI_USAGE;
        }
        nfiles++;
    }
    if (!nfiles) {
        fprintf(stderr, "kdeck descriptor validate: no FILE given\n");
        get_usage(stderr);
        return CLI_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        desc_problems_t p = {0};
        descriptor_t *d = descriptor_load(argv[i], &p);
        if (d)
            descriptor_validate(d, &p);
        else if (!p.n)
            desc_problems_add(&p, "", "cannot be read");
        if (p.n) {
            print_problems(argv[i], &p);
            rc = CLI_FAIL;
        } else {
            printf("%s: valid\n", argv[i]);
        }
        descriptor_free(d);
        desc_problems_free(&p);
    }
    return rc;
}

int cli_descriptor_main(int argc, char **argv, const cli_conn_t *conn)
{
    if (argc < 2) {
        get_usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "get"))
        return descriptor_get(argc - 2, argv + 2, conn);
    if (!strcmp(argv[1], "validate"))
        return descriptor_validate_files(argc - 2, argv + 2);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        get_usage(stdout);
        return CLI_OK;
    }
    fprintf(stderr, "kdeck descriptor: unknown subcommand '%s'\n", argv[1]);
    get_usage(stderr);
    return CLI_USAGE;
}
