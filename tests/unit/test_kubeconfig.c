/* kubeconfig: file selection and merging as kubectl does it, every auth method, exec plugins,
 * in-cluster config, and the errors and warnings a user sees. Each test runs in its own
 * mkdtemp directory with HOME pointing there and the kube env vars cleared. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kdeck/kubeconfig.h"

#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkZBS0VDQQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define CA_PEM "-----BEGIN CERTIFICATE-----\nFAKECA\n-----END CERTIFICATE-----\n"
#define CERT_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkZBS0VDRVJUCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nFAKECERT\n-----END CERTIFICATE-----\n"
#define KEY_B64 "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCkZBS0VLRVkKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo="
#define KEY_PEM "-----BEGIN PRIVATE KEY-----\nFAKEKEY\n-----END PRIVATE KEY-----\n"

typedef struct fx {
    char dir[PATH_MAX];
    char cwd[PATH_MAX];
} fx_t;

static const char *const kube_env[] = {"KUBECONFIG", "KUBERNETES_SERVICE_HOST",
                                       "KUBERNETES_SERVICE_PORT", "POD_NAMESPACE",
                                       "KDECK_SA_DIR"};

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx || !getcwd(fx->cwd, sizeof fx->cwd))
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "%s/kdeck-kc-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    for (size_t i = 0; i < sizeof kube_env / sizeof kube_env[0]; i++)
        unsetenv(kube_env[i]);
    setenv("HOME", fx->dir, 1);
    char sa[PATH_MAX + 8];
    snprintf(sa, sizeof sa, "%s/sa", fx->dir); /* does not exist unless a test makes it */
    setenv("KDECK_SA_DIR", sa, 1);
    *state = fx;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    if (chdir(fx->cwd) != 0)
        return -1;
    nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* Absolute path of name inside the fixture dir (static rotating buffers: up to 8 at once). */
static const char *P(const fx_t *fx, const char *name)
{
    static char bufs[8][PATH_MAX + 64];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", fx->dir, name);
    return b;
}

static void mkdirs_for(const char *path)
{
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(tmp, 0700);
            *s = '/';
        }
    }
}

static const char *put_mode(const fx_t *fx, const char *name, const char *content, mode_t mode)
{
    const char *path = P(fx, name);
    mkdirs_for(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static const char *put(const fx_t *fx, const char *name, const char *content)
{
    return put_mode(fx, name, content, 0600);
}

/* Copies a fixture from tests/unit/data/kubeconfig into the temp dir (mode 0600). */
static const char *put_fixture(const fx_t *fx, const char *name)
{
    char src[PATH_MAX + 64];
    snprintf(src, sizeof src, "%s/tests/unit/data/kubeconfig/%s", fx->cwd, name);
    FILE *f = fopen(src, "r");
    if (!f)
        fail_msg("fixture %s: %s (run from the repository root)", src, strerror(errno));
    static char content[16384];
    size_t n = fread(content, 1, sizeof content - 1, f);
    content[n] = '\0';
    fclose(f);
    return put(fx, name, content);
}

static kubeconfig_t *load_path(const char *path, kc_error_t *err)
{
    kubeconfig_opts_t o = {.kubeconfig_path = path};
    return kubeconfig_load(&o, err);
}

static kubeconfig_t *must_load(const char *path)
{
    kc_error_t err;
    kubeconfig_t *kc = load_path(path, &err);
    if (!kc)
        fail_msg("load failed: %s", err.msg);
    return kc;
}

static kube_target_t *must_resolve(const kubeconfig_t *kc, const char *ctx, const char *ns)
{
    kc_error_t err;
    kube_target_t *t = kubeconfig_resolve(kc, ctx, ns, &err);
    if (!t)
        fail_msg("resolve failed: %s", err.msg);
    return t;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* Loads then resolves the current context, expecting failure with code. */
static void expect_resolve_error(const char *path, const char *ctx, kc_errcode_t code,
                                 kc_error_t *err)
{
    kubeconfig_t *kc = must_load(path);
    kube_target_t *t = kubeconfig_resolve(kc, ctx, NULL, err);
    if (t)
        fail_msg("resolve unexpectedly succeeded");
    if (err->code != code)
        fail_msg("code %s, want %s: %s", kc_errcode_name(err->code), kc_errcode_name(code),
                 err->msg);
    kubeconfig_free(kc);
}

static const char two_contexts[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "clusters:\n"
    "- name: prod\n"
    "  cluster:\n"
    "    server: https://prod.example.com:6443/\n"
    "    certificate-authority-data: " CA_B64 "\n"
    "    tls-server-name: api.prod.internal\n"
    "    proxy-url: socks5://127.0.0.1:1080\n"
    "- name: dev\n"
    "  cluster:\n"
    "    server: https://dev.example.com\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: alice\n"
    "  user:\n"
    "    token: sekrit-token-value\n"
    "contexts:\n"
    "- name: prod\n"
    "  context: {cluster: prod, user: alice, namespace: shop}\n"
    "- name: dev\n"
    "  context: {cluster: dev, user: alice}\n"
    "current-context: prod\n";

/* ------------------------------------------------------------ loading and merging */

static void test_single_file(void **state)
{
    fx_t *fx = *state;
    const char *path = put(fx, "config", two_contexts);
    kubeconfig_t *kc = must_load(path);

    assert_string_equal(kubeconfig_current_context(kc), "prod");
    assert_int_equal(kubeconfig_context_count(kc), 2);
    const kc_context_info_t *a = kubeconfig_context_at(kc, 0), *b = kubeconfig_context_at(kc, 1);
    assert_string_equal(a->name, "dev"); /* sorted by name */
    assert_false(a->current);
    assert_string_equal(a->namespace, "");
    assert_string_equal(b->name, "prod");
    assert_true(b->current);
    assert_string_equal(b->cluster, "prod");
    assert_string_equal(b->user, "alice");
    assert_string_equal(b->namespace, "shop");
    assert_string_equal(b->source_file, path);
    assert_null(kubeconfig_context_at(kc, 2));
    assert_int_equal(kubeconfig_file_count(kc), 1);
    assert_int_equal(kubeconfig_warning_count(kc), 0);
    assert_false(kubeconfig_is_in_cluster(kc));

    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->context, "prod");
    assert_string_equal(t->cluster_name, "prod");
    assert_string_equal(t->user_name, "alice");
    assert_string_equal(t->namespace, "shop");
    assert_string_equal(t->server, "https://prod.example.com:6443"); /* trailing / dropped */
    assert_string_equal(t->tls_server_name, "api.prod.internal");
    assert_string_equal(t->proxy_url, "socks5://127.0.0.1:1080");
    assert_int_equal(t->ca_pem_len, strlen(CA_PEM));
    assert_memory_equal(t->ca_pem, CA_PEM, t->ca_pem_len);
    assert_null(t->ca_file);
    assert_string_equal(t->token, "sekrit-token-value");
    assert_null(t->exec);
    assert_string_equal(t->source_file, path);
    assert_int_equal(t->nwarnings, 0);
    kube_target_free(t);

    /* --context and -n */
    t = must_resolve(kc, "dev", "payments");
    assert_string_equal(t->context, "dev");
    assert_string_equal(t->namespace, "payments");
    assert_true(t->insecure_skip_tls_verify);
    assert_null(t->ca_pem);
    kube_target_free(t);
    t = must_resolve(kc, "dev", NULL);
    assert_string_equal(t->namespace, "default");
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_real_world_fixtures(void **state)
{
    fx_t *fx = *state;
    kubeconfig_t *kc = must_load(put_fixture(fx, "kind.yaml"));
    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->server, "https://127.0.0.1:36881");
    assert_memory_equal(t->cert_pem, CERT_PEM, strlen(CERT_PEM));
    assert_memory_equal(t->key_pem, KEY_PEM, strlen(KEY_PEM));
    assert_int_equal(t->key_pem_len, strlen(KEY_PEM));
    kube_target_free(t);
    kubeconfig_free(kc);

    kc = must_load(put_fixture(fx, "eks-exec.yaml"));
    t = must_resolve(kc, "prod", NULL);
    assert_string_equal(t->cluster_name, "arn:aws:eks:eu-west-1:123456789012:cluster/prod");
    assert_non_null(t->exec);
    assert_string_equal(t->exec->command, "aws");
    assert_int_equal(t->exec->nargs, 6);
    assert_string_equal(t->exec->args[5], "prod");
    assert_int_equal(t->exec->nenv, 2);
    assert_string_equal(t->exec->env_names[0], "AWS_PROFILE");
    assert_string_equal(t->exec->env_values[0], "prod-admin");
    assert_string_equal(t->exec->api_version, "client.authentication.k8s.io/v1");
    assert_int_equal(t->exec->interactive_mode, KC_INTERACTIVE_IF_AVAILABLE);
    assert_false(t->exec->provide_cluster_info);
    kube_target_free(t);
    kubeconfig_free(kc);
}

static const char merge_a[] =
    "current-context: ctx-a\n"
    "clusters:\n"
    "- name: shared\n"
    "  cluster: {server: https://a.example.com}\n"
    "users:\n"
    "- name: u\n"
    "  user: {token: token-from-a}\n"
    "contexts:\n"
    "- name: ctx-a\n"
    "  context: {cluster: shared, user: u}\n"
    "- name: both\n"
    "  context: {cluster: shared, user: u, namespace: from-a}\n";

static const char merge_b[] =
    "current-context: ctx-b\n"
    "clusters:\n"
    "- name: shared\n"
    "  cluster: {server: https://b.example.com}\n"
    "- name: only-b\n"
    "  cluster: {server: https://only-b.example.com}\n"
    "users:\n"
    "- name: u\n"
    "  user: {token: token-from-b}\n"
    "contexts:\n"
    "- name: ctx-b\n"
    "  context: {cluster: only-b, user: u}\n"
    "- name: both\n"
    "  context: {cluster: only-b, user: u, namespace: from-b}\n";

static const char merge_c[] =
    "users:\n"
    "- name: extra\n"
    "  user: {username: admin, password: hunter2}\n"
    "contexts:\n"
    "- name: ctx-c\n"
    "  context: {cluster: only-b, user: extra}\n";

static void test_kubeconfig_env_merge(void **state)
{
    fx_t *fx = *state;
    char env[4 * PATH_MAX];
    const char *a = put(fx, "a.yaml", merge_a);
    const char *b = put(fx, "b.yaml", merge_b);
    const char *c = put(fx, "c.yaml", merge_c);
    /* a missing file in the middle, an empty entry and a repeated entry are all skipped */
    snprintf(env, sizeof env, "%s:%s::%s:%s:%s", a, P(fx, "missing.yaml"), b, a, c);
    setenv("KUBECONFIG", env, 1);
    kc_error_t err;
    kubeconfig_t *kc = kubeconfig_load(NULL, &err);
    if (!kc)
        fail_msg("%s", err.msg);
    assert_int_equal(kubeconfig_file_count(kc), 3);
    assert_string_equal(kubeconfig_file_at(kc, 0), a);
    assert_string_equal(kubeconfig_file_at(kc, 1), b);
    assert_string_equal(kubeconfig_file_at(kc, 2), c);
    assert_string_equal(kubeconfig_current_context(kc), "ctx-a"); /* first file wins */
    assert_int_equal(kubeconfig_context_count(kc), 4);             /* both, ctx-a, ctx-b, ctx-c */

    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->server, "https://a.example.com");
    assert_string_equal(t->token, "token-from-a");
    kube_target_free(t);

    /* duplicate context: a's whole entry wins (not a field-by-field mix) */
    t = must_resolve(kc, "both", NULL);
    assert_string_equal(t->namespace, "from-a");
    assert_string_equal(t->server, "https://a.example.com");
    assert_string_equal(t->source_file, a);
    kube_target_free(t);

    /* entries only b or c define are still there, and can refer across files */
    t = must_resolve(kc, "ctx-b", NULL);
    assert_string_equal(t->server, "https://only-b.example.com");
    assert_string_equal(t->token, "token-from-a"); /* user "u" came from a */
    assert_string_equal(t->source_file, b);
    kube_target_free(t);
    t = must_resolve(kc, "ctx-c", NULL);
    assert_string_equal(t->username, "admin");
    assert_string_equal(t->password, "hunter2");
    assert_null(t->token);
    kube_target_free(t);
    kubeconfig_free(kc);

    /* the same files in the other order: b wins */
    snprintf(env, sizeof env, "%s:%s", b, a);
    setenv("KUBECONFIG", env, 1);
    kc = kubeconfig_load(NULL, &err);
    assert_non_null(kc);
    assert_string_equal(kubeconfig_current_context(kc), "ctx-b");
    t = must_resolve(kc, "both", NULL);
    assert_string_equal(t->namespace, "from-b");
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_explicit_path_overrides_env(void **state)
{
    fx_t *fx = *state;
    const char *a = put(fx, "a.yaml", merge_a);
    const char *b = put(fx, "b.yaml", merge_b);
    setenv("KUBECONFIG", a, 1);
    kubeconfig_t *kc = must_load(b);
    assert_int_equal(kubeconfig_file_count(kc), 1);
    assert_string_equal(kubeconfig_current_context(kc), "ctx-b");
    kc_error_t err;
    assert_null(kubeconfig_resolve(kc, "ctx-a", NULL, &err)); /* a was not read */
    assert_int_equal(err.code, KC_ERR_UNKNOWN_CONTEXT);
    kubeconfig_free(kc);

    /* an explicit file must exist, even when KUBECONFIG would work */
    const char *missing = P(fx, "nope.yaml");
    assert_null(load_path(missing, &err));
    assert_int_equal(err.code, KC_ERR_IO);
    assert_contains(err.msg, missing);
    assert_contains(err.msg, "No such file or directory");
}

static void test_default_home_config(void **state)
{
    fx_t *fx = *state;
    put(fx, ".kube/config", merge_b);
    kc_error_t err;
    kubeconfig_t *kc = kubeconfig_load(NULL, &err);
    if (!kc)
        fail_msg("%s", err.msg);
    assert_string_equal(kubeconfig_file_at(kc, 0), P(fx, ".kube/config"));
    assert_string_equal(kubeconfig_current_context(kc), "ctx-b");
    kubeconfig_free(kc);

    /* KUBECONFIG set: ~/.kube/config is not consulted */
    setenv("KUBECONFIG", P(fx, "missing"), 1);
    assert_null(kubeconfig_load(NULL, &err));
    assert_int_equal(err.code, KC_ERR_NO_CONFIG);
    assert_contains(err.msg, "$KUBECONFIG");
    assert_contains(err.msg, P(fx, "missing"));
}

static void test_relative_paths(void **state)
{
    fx_t *fx = *state;
    put(fx, "sub/ca.pem", CA_PEM);
    put(fx, "sub/certs/client.pem", CERT_PEM);
    put(fx, "sub/certs/client.key", KEY_PEM);
    put(fx, "sub/token", "  file-token\n");
    put(fx, "sub/config",
        "clusters:\n"
        "- name: c\n"
        "  cluster: {server: https://k.example.com, certificate-authority: ca.pem}\n"
        "- name: c2\n"
        "  cluster: {server: https://k.example.com, certificate-authority: ./ca.pem}\n"
        "users:\n"
        "- name: certs\n"
        "  user: {client-certificate: certs/client.pem, client-key: certs/client.key}\n"
        "- name: tok\n"
        "  user: {tokenFile: token}\n"
        "- name: plug\n"
        "  user:\n"
        "    exec: {command: ./bin/plugin, apiVersion: client.authentication.k8s.io/v1beta1}\n"
        "- name: plug-path\n"
        "  user:\n"
        "    exec: {command: kubelogin, apiVersion: client.authentication.k8s.io/v1beta1}\n"
        "contexts:\n"
        "- {name: certs, context: {cluster: c, user: certs}}\n"
        "- {name: tok, context: {cluster: c2, user: tok}}\n"
        "- {name: plug, context: {cluster: c, user: plug}}\n"
        "- {name: plug-path, context: {cluster: c, user: plug-path}}\n");
    /* load through a relative KUBECONFIG entry: paths become absolute */
    assert_int_equal(chdir(fx->dir), 0);
    setenv("KUBECONFIG", "sub/config", 1);
    kc_error_t err;
    kubeconfig_t *kc = kubeconfig_load(NULL, &err);
    if (!kc)
        fail_msg("%s", err.msg);

    kube_target_t *t = must_resolve(kc, "certs", NULL);
    assert_string_equal(t->ca_file, P(fx, "sub/ca.pem"));
    assert_memory_equal(t->ca_pem, CA_PEM, t->ca_pem_len);
    assert_string_equal(t->cert_file, P(fx, "sub/certs/client.pem"));
    assert_string_equal(t->key_file, P(fx, "sub/certs/client.key"));
    assert_int_equal(t->cert_pem_len, strlen(CERT_PEM));
    assert_memory_equal(t->cert_pem, CERT_PEM, t->cert_pem_len);
    assert_memory_equal(t->key_pem, KEY_PEM, t->key_pem_len);
    kube_target_free(t);

    t = must_resolve(kc, "tok", NULL);
    assert_string_equal(t->ca_file, P(fx, "sub/ca.pem"));
    assert_string_equal(t->token_file, P(fx, "sub/token"));
    assert_string_equal(t->token, "file-token"); /* trimmed */
    kube_target_free(t);

    t = must_resolve(kc, "plug", NULL);
    assert_string_equal(t->exec->command, P(fx, "sub/bin/plugin"));
    kube_target_free(t);
    t = must_resolve(kc, "plug-path", NULL);
    assert_string_equal(t->exec->command, "kubelogin"); /* PATH lookup, untouched */
    kube_target_free(t);
    kubeconfig_free(kc);
}

/* ------------------------------------------------------------ auth methods */

static void test_auth_token_and_token_file(void **state)
{
    fx_t *fx = *state;
    put(fx, "tok", "from-file\n");
    const char *path = put(fx, "config",
                           "clusters: [{name: c, cluster: {server: https://k:6443}}]\n"
                           "users:\n"
                           "- {name: inline, user: {token: inline-token}}\n"
                           "- {name: both, user: {token: inline-token, tokenFile: tok}}\n"
                           "contexts:\n"
                           "- {name: inline, context: {cluster: c, user: inline}}\n"
                           "- {name: both, context: {cluster: c, user: both}}\n"
                           "- {name: anon, context: {cluster: c}}\n");
    kubeconfig_t *kc = must_load(path);
    kube_target_t *t = must_resolve(kc, "inline", NULL);
    assert_string_equal(t->token, "inline-token");
    assert_null(t->token_file);
    kube_target_free(t);
    /* client-go: the file's content wins over an inline token, and is re-read later */
    t = must_resolve(kc, "both", NULL);
    assert_string_equal(t->token, "from-file");
    assert_string_equal(t->token_file, P(fx, "tok"));
    kube_target_free(t);
    /* a context without a user is anonymous */
    t = must_resolve(kc, "anon", NULL);
    assert_string_equal(t->user_name, "");
    assert_null(t->token);
    assert_null(t->cert_pem);
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_auth_client_cert_files_and_data(void **state)
{
    fx_t *fx = *state;
    put(fx, "c.pem", CERT_PEM);
    put(fx, "k.pem", KEY_PEM);
    const char *path = put(
        fx, "config",
        "clusters: [{name: c, cluster: {server: https://k:6443}}]\n"
        "users:\n"
        "- name: files\n"
        "  user: {client-certificate: c.pem, client-key: k.pem}\n"
        "- name: data\n"
        "  user:\n"
        "    client-certificate-data: " CERT_B64 "\n"
        "    client-key-data: |\n"
        "      LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCkZBS0VLRVkKLS0tLS1FTkQg\n"
        "      UFJJVkFURSBLRVktLS0tLQo=\n"
        "contexts:\n"
        "- {name: files, context: {cluster: c, user: files}}\n"
        "- {name: data, context: {cluster: c, user: data}}\n");
    kubeconfig_t *kc = must_load(path);
    kube_target_t *t = must_resolve(kc, "files", NULL);
    assert_string_equal(t->cert_file, P(fx, "c.pem"));
    assert_memory_equal(t->cert_pem, CERT_PEM, strlen(CERT_PEM));
    assert_memory_equal(t->key_pem, KEY_PEM, strlen(KEY_PEM));
    assert_int_equal(t->nwarnings, 0);
    kube_target_free(t);
    t = must_resolve(kc, "data", NULL); /* wrapped base64 (block scalar) decodes too */
    assert_null(t->cert_file);
    assert_null(t->key_file);
    assert_int_equal(t->cert_pem_len, strlen(CERT_PEM));
    assert_int_equal(t->key_pem_len, strlen(KEY_PEM));
    assert_memory_equal(t->key_pem, KEY_PEM, t->key_pem_len);
    kube_target_free(t);
    kubeconfig_free(kc);

    /* a world-readable key file is worth a warning */
    chmod(P(fx, "k.pem"), 0644);
    kc = must_load(path);
    t = must_resolve(kc, "files", NULL);
    assert_int_equal(t->nwarnings, 1);
    assert_contains(t->warnings[0], "client-key");
    assert_contains(t->warnings[0], "0644");
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_auth_basic_and_impersonation(void **state)
{
    fx_t *fx = *state;
    const char *path = put(fx, "config",
                           "clusters: [{name: c, cluster: {server: k.example.com:8080}}]\n"
                           "users:\n"
                           "- name: basic\n"
                           "  user:\n"
                           "    username: admin\n"
                           "    password: \"12345\"\n"
                           "    as: jane\n"
                           "    as-uid: \"42\"\n"
                           "    as-groups: [devs, ops]\n"
                           "    as-user-extra: {scopes: [view, edit]}\n"
                           "contexts: [{name: b, context: {cluster: c, user: basic}}]\n"
                           "current-context: b\n");
    kubeconfig_t *kc = must_load(path);
    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->username, "admin");
    assert_string_equal(t->password, "12345");
    /* no scheme and no TLS settings: kubectl's DefaultServerURL picks http */
    assert_string_equal(t->server, "http://k.example.com:8080");
    assert_int_equal(t->nwarnings, 1);
    assert_contains(t->warnings[0], "plain http");
    assert_string_equal(t->impersonate_user, "jane");
    assert_string_equal(t->impersonate_uid, "42");
    assert_int_equal(t->nimpersonate_groups, 2);
    assert_string_equal(t->impersonate_groups[1], "ops");
    assert_int_equal(t->nimpersonate_extra, 2);
    assert_string_equal(t->impersonate_extra_keys[1], "scopes");
    assert_string_equal(t->impersonate_extra_values[1], "edit");
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_auth_exec_v1_and_v1beta1(void **state)
{
    fx_t *fx = *state;
    const char *path = put(
        fx, "config",
        "clusters:\n"
        "- name: c\n"
        "  cluster:\n"
        "    server: https://k:6443\n"
        "    certificate-authority-data: " CA_B64 "\n"
        "    tls-server-name: kube.internal\n"
        "    extensions:\n"
        "    - name: unrelated\n"
        "      extension: {x: 1}\n"
        "    - name: client.authentication.k8s.io/exec\n"
        "      extension: {audience: prod, retries: 3, debug: true}\n"
        "users:\n"
        "- name: v1\n"
        "  user:\n"
        "    exec:\n"
        "      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: /usr/local/bin/get-token\n"
        "      args: [--cluster, prod, \"--verbose=false\"]\n"
        "      env:\n"
        "      - {name: PROFILE, value: admin}\n"
        "      - {name: EMPTY}\n"
        "      installHint: install get-token from example.com\n"
        "      interactiveMode: Never\n"
        "      provideClusterInfo: true\n"
        "- name: beta\n"
        "  user:\n"
        "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: tok}\n"
        "- name: v1-no-mode\n"
        "  user:\n"
        "    exec: {apiVersion: client.authentication.k8s.io/v1, command: tok}\n"
        "- name: alpha\n"
        "  user:\n"
        "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: tok}\n"
        "- name: both\n"
        "  user:\n"
        "    token: static\n"
        "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: tok}\n"
        "contexts:\n"
        "- {name: v1, context: {cluster: c, user: v1}}\n"
        "- {name: beta, context: {cluster: c, user: beta}}\n"
        "- {name: v1-no-mode, context: {cluster: c, user: v1-no-mode}}\n"
        "- {name: alpha, context: {cluster: c, user: alpha}}\n"
        "- {name: both, context: {cluster: c, user: both}}\n");
    kubeconfig_t *kc = must_load(path);
    kube_target_t *t = must_resolve(kc, "v1", NULL);
    const kc_exec_t *e = t->exec;
    assert_non_null(e);
    assert_string_equal(e->command, "/usr/local/bin/get-token");
    assert_int_equal(e->nargs, 3);
    assert_string_equal(e->args[2], "--verbose=false");
    assert_int_equal(e->nenv, 2);
    assert_string_equal(e->env_names[1], "EMPTY");
    assert_string_equal(e->env_values[1], "");
    assert_string_equal(e->install_hint, "install get-token from example.com");
    assert_int_equal(e->interactive_mode, KC_INTERACTIVE_NEVER);
    assert_true(e->provide_cluster_info);

    /* KUBERNETES_EXEC_INFO with the cluster */
    char *info = kc_exec_info_json(t, false);
    assert_non_null(info);
    cJSON *j = cJSON_Parse(info);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "ExecCredential");
    assert_string_equal(cJSON_GetObjectItem(j, "apiVersion")->valuestring,
                        "client.authentication.k8s.io/v1");
    cJSON *spec = cJSON_GetObjectItem(j, "spec");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(spec, "interactive")));
    cJSON *cl = cJSON_GetObjectItem(spec, "cluster");
    assert_string_equal(cJSON_GetObjectItem(cl, "server")->valuestring, "https://k:6443");
    assert_string_equal(cJSON_GetObjectItem(cl, "tls-server-name")->valuestring, "kube.internal");
    assert_string_equal(cJSON_GetObjectItem(cl, "certificate-authority-data")->valuestring, CA_B64);
    assert_null(cJSON_GetObjectItem(cl, "insecure-skip-tls-verify")); /* omitempty */
    assert_null(cJSON_GetObjectItem(cl, "proxy-url"));
    cJSON *cfg = cJSON_GetObjectItem(cl, "config");
    assert_string_equal(cJSON_GetObjectItem(cfg, "audience")->valuestring, "prod");
    assert_int_equal(cJSON_GetObjectItem(cfg, "retries")->valueint, 3);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cfg, "debug")));
    cJSON_Delete(j);
    free(info);

    bool inter = true;
    kc_error_t err;
    assert_true(kc_exec_interactive(e, true, &inter, &err));
    assert_false(inter); /* Never */
    kube_target_free(t);

    /* v1beta1: interactiveMode defaults to IfAvailable; no cluster info unless asked */
    t = must_resolve(kc, "beta", NULL);
    assert_int_equal(t->exec->interactive_mode, KC_INTERACTIVE_IF_AVAILABLE);
    assert_true(kc_exec_interactive(t->exec, true, &inter, &err));
    assert_true(inter);
    info = kc_exec_info_json(t, true);
    assert_string_equal(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":"
                              "\"client.authentication.k8s.io/v1beta1\",\"spec\":"
                              "{\"interactive\":true}}");
    free(info);
    kube_target_free(t);

    /* v1 requires interactiveMode; v1alpha1 is gone */
    assert_null(kubeconfig_resolve(kc, "v1-no-mode", NULL, &err));
    assert_int_equal(err.code, KC_ERR_INVALID);
    assert_contains(err.msg, "interactiveMode must be specified for user \"v1-no-mode\"");
    assert_null(kubeconfig_resolve(kc, "alpha", NULL, &err));
    assert_int_equal(err.code, KC_ERR_UNSUPPORTED);
    assert_contains(err.msg, "v1alpha1");

    /* static credentials win over the plugin, as in client-go */
    t = must_resolve(kc, "both", NULL);
    assert_null(t->exec);
    assert_string_equal(t->token, "static");
    assert_int_equal(t->nwarnings, 1);
    assert_contains(t->warnings[0], "not used");
    kube_target_free(t);
    kubeconfig_free(kc);

    /* the GKE fixture: v1beta1, install hint folded over two lines, extension config */
    kc = must_load(put_fixture(fx, "gke-exec.yaml"));
    t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->namespace, "shop");
    assert_contains(t->exec->install_hint, "Install gke-gcloud-auth-plugin");
    assert_contains(t->exec->install_hint, " https://cloud.google.com/");
    info = kc_exec_info_json(t, false);
    assert_contains(info, "\"config\":{\"audience\":\"prod\",\"scopes\":[\"openid\",\"email\"]}");
    free(info);
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_exec_interactive_always(void **state)
{
    (void)state;
    kc_exec_t e = {.command = "tok", .interactive_mode = KC_INTERACTIVE_ALWAYS};
    bool inter = false;
    kc_error_t err;
    assert_true(kc_exec_interactive(&e, true, &inter, &err));
    assert_true(inter);
    assert_false(kc_exec_interactive(&e, false, &inter, &err));
    assert_contains(err.msg, "standard input is not a terminal");
    e.interactive_mode = KC_INTERACTIVE_IF_AVAILABLE;
    assert_true(kc_exec_interactive(&e, false, &inter, &err));
    assert_false(inter);
}

/* ------------------------------------------------------------ ExecCredential */

static bool parse_cred(const char *json, const char *api, kc_exec_credential_t *c, kc_error_t *err)
{
    return kc_exec_credential_parse(json, strlen(json), api, c, err);
}

static void test_exec_credential_good(void **state)
{
    (void)state;
    kc_exec_credential_t c;
    kc_error_t err;
    const char *v1 = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                     "\"spec\":{\"interactive\":false},"
                     "\"status\":{\"token\":\"tok-123\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}";
    assert_true(parse_cred(v1, "client.authentication.k8s.io/v1", &c, &err));
    assert_string_equal(c.token, "tok-123");
    assert_null(c.client_cert_pem);
    assert_int_equal(c.expiration, 1893553445);
    assert_false(kc_exec_credential_expired(&c, 1893553445 - 120, 60));
    assert_true(kc_exec_credential_expired(&c, 1893553445 - 30, 60));
    kc_exec_credential_clear(&c);
    assert_null(c.token);

    const char *beta = "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
                       "\"status\":{\"clientCertificateData\":\"" "-----BEGIN CERTIFICATE-----\\nX\\n"
                       "\",\"clientKeyData\":\"-----BEGIN PRIVATE KEY-----\\nY\\n\"}}";
    assert_true(parse_cred(beta, "client.authentication.k8s.io/v1beta1", &c, &err));
    assert_null(c.token);
    assert_string_equal(c.client_cert_pem, "-----BEGIN CERTIFICATE-----\nX\n");
    assert_string_equal(c.client_key_pem, "-----BEGIN PRIVATE KEY-----\nY\n");
    assert_int_equal(c.expiration, 0); /* never expires */
    assert_false(kc_exec_credential_expired(&c, time(NULL), 60));
    kc_exec_credential_clear(&c);
}

static void test_exec_credential_expired(void **state)
{
    (void)state;
    kc_exec_credential_t c;
    kc_error_t err;
    const char *old = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                      "\"status\":{\"token\":\"old\",\"expirationTimestamp\":\"2020-06-01T12:00:00.123+02:00\"}}";
    /* client-go accepts it and asks again on the next request; so do we */
    assert_true(parse_cred(old, "client.authentication.k8s.io/v1", &c, &err));
    assert_int_equal(c.expiration, 1591005600);
    assert_true(kc_exec_credential_expired(&c, time(NULL), 0));
    kc_exec_credential_clear(&c);
}

static void test_exec_credential_bad(void **state)
{
    (void)state;
    const char *v1 = "client.authentication.k8s.io/v1";
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"not json at all secret-token", "not a JSON ExecCredential"},
        {"[1,2]", "not a JSON ExecCredential"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"t\"}}",
         "configured to use API version client.authentication.k8s.io/v1, plugin returned "
         "version \"client.authentication.k8s.io/v1beta1\""},
        {"{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}", "plugin returned version \"\""},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"Status\","
         "\"status\":{\"token\":\"t\"}}",
         "kind \"Status\", expected ExecCredential"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}",
         "didn't return a status field"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{}}",
         "didn't return a token or cert/key pair"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"clientCertificateData\":\"c\"}}",
         "only certificate or key, not both"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":42}}",
         "status.token must be a string"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"tomorrow\"}}",
         "is not RFC 3339"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kc_exec_credential_t c;
        kc_error_t err;
        if (parse_cred(cases[i].json, v1, &c, &err))
            fail_msg("case %zu parsed", i);
        assert_int_equal(err.code, KC_ERR_CREDENTIAL);
        assert_contains(err.msg, cases[i].want);
        assert_null(strstr(err.msg, "secret-token"));
        assert_null(c.token);
    }
}

static void test_rfc3339(void **state)
{
    (void)state;
    time_t t;
    assert_true(kc_parse_rfc3339("1970-01-01T00:00:00Z", &t));
    assert_int_equal(t, 0);
    assert_true(kc_parse_rfc3339("2024-02-29T23:59:59.999999999-05:30", &t));
    assert_int_equal(t, 1709251199 + 5 * 3600 + 1800);
    assert_false(kc_parse_rfc3339("2024-02-29 23:59:59Z", &t));
    assert_false(kc_parse_rfc3339("2024-02-29T23:59:59", &t));
    assert_false(kc_parse_rfc3339("2024-13-01T00:00:00Z", &t));
    assert_false(kc_parse_rfc3339("2024-01-01T00:00:00Zjunk", &t));
    assert_false(kc_parse_rfc3339("2024-01-01T00:00:00.Z", &t));
}

/* ------------------------------------------------------------ in-cluster */

static void make_sa(const fx_t *fx, const char *ns)
{
    put_mode(fx, "sa/token", "sa-token-abc\n", 0644); /* projected volumes use 0644 */
    put(fx, "sa/ca.crt", CA_PEM);
    if (ns)
        put(fx, "sa/namespace", ns);
}

static void test_in_cluster(void **state)
{
    fx_t *fx = *state;
    make_sa(fx, "team-a\n");
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    kc_error_t err;
    kubeconfig_t *kc = kubeconfig_load(NULL, &err);
    if (!kc)
        fail_msg("%s", err.msg);
    assert_true(kubeconfig_is_in_cluster(kc));
    assert_string_equal(kubeconfig_current_context(kc), "in-cluster");
    assert_int_equal(kubeconfig_context_count(kc), 1);
    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_true(t->in_cluster);
    assert_string_equal(t->server, "https://10.96.0.1:443");
    assert_string_equal(t->token, "sa-token-abc");
    assert_string_equal(t->token_file, P(fx, "sa/token"));
    assert_string_equal(t->ca_file, P(fx, "sa/ca.crt"));
    assert_memory_equal(t->ca_pem, CA_PEM, strlen(CA_PEM));
    assert_string_equal(t->namespace, "team-a");
    assert_int_equal(t->nwarnings, 0);
    kube_target_free(t);
    /* -n still applies; another context name is an error, not a silent fallback */
    t = must_resolve(kc, NULL, "other");
    assert_string_equal(t->namespace, "other");
    kube_target_free(t);
    assert_null(kubeconfig_resolve(kc, "prod", NULL, &err));
    assert_int_equal(err.code, KC_ERR_UNKNOWN_CONTEXT);
    assert_contains(err.msg, "\"in-cluster\"");
    kubeconfig_free(kc);

    /* POD_NAMESPACE first; IPv6 service host bracketed; sa dir through opts */
    setenv("POD_NAMESPACE", "from-downward-api", 1);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    unsetenv("KDECK_SA_DIR");
    kubeconfig_opts_t o = {.sa_dir = P(fx, "sa")};
    kc = kubeconfig_load(&o, &err);
    assert_non_null(kc);
    t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->server, "https://[fd00::1]:443");
    assert_string_equal(t->namespace, "from-downward-api");
    kube_target_free(t);
    kubeconfig_free(kc);
}

static void test_in_cluster_not_used_when_kubeconfig_exists(void **state)
{
    fx_t *fx = *state;
    make_sa(fx, NULL);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    put(fx, ".kube/config", two_contexts);
    kc_error_t err;
    kubeconfig_t *kc = kubeconfig_load(NULL, &err);
    assert_non_null(kc);
    assert_false(kubeconfig_is_in_cluster(kc));
    kubeconfig_free(kc);

    /* no kubeconfig, and the namespace file missing: "default" */
    unlink(P(fx, ".kube/config"));
    kc = kubeconfig_load(NULL, &err);
    assert_non_null(kc);
    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_string_equal(t->namespace, "default");
    kube_target_free(t);
    kubeconfig_free(kc);

    /* without the env vars there is nothing to use */
    unsetenv("KUBERNETES_SERVICE_PORT");
    assert_null(kubeconfig_load(NULL, &err));
    assert_int_equal(err.code, KC_ERR_NO_CONFIG);
    assert_contains(err.msg, P(fx, ".kube/config"));
    assert_contains(err.msg, "not running in a cluster");
}

/* ------------------------------------------------------------ errors */

static void test_error_unreadable(void **state)
{
    fx_t *fx = *state;
    mkdir(P(fx, "adir"), 0700);
    kc_error_t err;
    assert_null(load_path(P(fx, "adir"), &err));
    assert_int_equal(err.code, KC_ERR_IO);
    assert_contains(err.msg, P(fx, "adir"));
    assert_contains(err.msg, strerror(EISDIR));
    assert_string_equal(err.file, P(fx, "adir"));

    /* in a KUBECONFIG list only *missing* files are skipped; other failures stop */
    char env[2 * PATH_MAX + 8];
    snprintf(env, sizeof env, "%s:%s", put(fx, "ok", merge_a), P(fx, "adir"));
    setenv("KUBECONFIG", env, 1);
    assert_null(kubeconfig_load(NULL, &err));
    assert_int_equal(err.code, KC_ERR_IO);
}

static void test_error_yaml_syntax(void **state)
{
    fx_t *fx = *state;
    const char *path = put(fx, "config",
                           "apiVersion: v1\n"
                           "clusters:\n"
                           "- name: c\n"
                           "  cluster:\n"
                           "    server: https://k\n"
                           "   bad-indent: x\n");
    kc_error_t err;
    assert_null(load_path(path, &err));
    assert_int_equal(err.code, KC_ERR_SYNTAX);
    assert_int_equal(err.line, 6);
    assert_true(err.col > 0);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s:6:%d: ", path, err.col);
    assert_contains(err.msg, want);
    assert_contains(err.msg, "did not find expected");

    path = put(fx, "config2", "clusters: [\n  {name: x}\n");
    assert_null(load_path(path, &err));
    assert_int_equal(err.code, KC_ERR_SYNTAX);
    assert_true(err.line >= 2);
}

static void test_error_wrong_types(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *yaml;
        const char *want;
        int line;
    } cases[] = {
        {"clusters:\n- name: c\n  cluster:\n    server:\n      url: https://k\n",
         "clusters[0].cluster.server must be a string, not a mapping", 5},
        {"clusters:\n- name: c\n  cluster:\n    server: 8080\n",
         "clusters[0].cluster.server must be a string, not an integer (quote the value)", 4},
        {"clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: \"true\"\n",
         "clusters[0].cluster.insecure-skip-tls-verify must be a boolean (true or false), not a "
         "string",
         4},
        {"clusters: {name: c}\n", "clusters must be a list, not a mapping", 1},
        {"users:\n- just-a-string\n", "users[0] must be a mapping, not a string", 2},
        {"users:\n- name: u\n  user:\n    exec:\n      command: x\n      args: [a, [b]]\n",
         "users[0].user.exec.args[1] must be a string, not a list", 6},
        {"users:\n- name: u\n  user:\n    exec:\n      env: [{name: A, value: {x: 1}}]\n",
         "users[0].user.exec.env[0].value must be a string, not a mapping", 5},
        {"contexts:\n- context: {cluster: c}\n", "contexts[0].name is required", 2},
        {"current-context: [a]\n", "current-context must be a string, not a list", 1},
        {"- a\n- b\n", "a kubeconfig must be a mapping, not a list", 1},
        {"apiVersion: v2\n", "apiVersion \"v2\" is not supported", 1},
        {"kind: Pod\n", "kind \"Pod\" is not a kubeconfig", 1},
        {"clusters:\n- name: c\n  cluster: {server: a}\n- name: d\n  cluster: {server: b}\n"
         "- name: c\n  cluster: {server: c}\n",
         "clusters[2]: duplicate cluster name \"c\" (first defined at line 2)", 6},
        {"a: 1\nb: 2\na: 3\n", "duplicate key \"a\"", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = put(fx, "config", cases[i].yaml);
        kc_error_t err;
        kubeconfig_t *kc = load_path(path, &err);
        if (kc)
            fail_msg("case %zu loaded", i);
        char want[PATH_MAX + 300];
        snprintf(want, sizeof want, "%s:%d: %s", path, cases[i].line, cases[i].want);
        if (i == sizeof cases / sizeof cases[0] - 1) /* yaml-level: has a column */
            snprintf(want, sizeof want, "%s:%d:", path, cases[i].line);
        assert_contains(err.msg, want);
        assert_int_equal(err.line, cases[i].line);
    }
}

static void test_error_base64(void **state)
{
    fx_t *fx = *state;
    const char *path = put(fx, "config",
                           "users:\n"
                           "- name: u\n"
                           "  user:\n"
                           "    token: t\n"
                           "    client-key-data: c2VjcmV0!a2V5\n");
    kc_error_t err;
    assert_null(load_path(path, &err));
    assert_int_equal(err.code, KC_ERR_BASE64);
    assert_int_equal(err.line, 5);
    assert_contains(err.msg, "users[0].user.client-key-data is not valid base64: invalid "
                             "character at offset 8");
    assert_null(strstr(err.msg, "c2VjcmV0")); /* no key material in messages */
}

static void test_error_unknown_context(void **state)
{
    fx_t *fx = *state;
    const char *path = put(fx, "config", two_contexts);
    kc_error_t err;
    expect_resolve_error(path, "staging", KC_ERR_UNKNOWN_CONTEXT, &err);
    assert_contains(err.msg, "context \"staging\" not found in");
    assert_contains(err.msg, path);
    assert_contains(err.msg, "available contexts: \"prod\", \"dev\"");

    /* no current-context and no --context */
    path = put(fx, "nocur", "contexts:\n- {name: a, context: {cluster: c}}\n"
                            "- {name: b, context: {cluster: c}}\n");
    expect_resolve_error(path, NULL, KC_ERR_NO_CONTEXT, &err);
    assert_contains(err.msg, "no current-context");
    assert_contains(err.msg, "\"a\", \"b\"");
}

static void test_error_missing_cluster_user_server(void **state)
{
    fx_t *fx = *state;
    const char *path = put(fx, "config",
                           "clusters:\n"
                           "- {name: noserver, cluster: {insecure-skip-tls-verify: true}}\n"
                           "- {name: ok, cluster: {server: https://k}}\n"
                           "users: [{name: u, user: {token: t}}]\n"
                           "contexts:\n"
                           "- {name: a, context: {cluster: gone, user: u}}\n"
                           "- {name: b, context: {cluster: ok, user: ghost}}\n"
                           "- {name: c, context: {cluster: noserver, user: u}}\n"
                           "- {name: d, context: {user: u}}\n"
                           "- {name: e, context: {cluster: ok, user: u, namespace: Bad_NS}}\n");
    kc_error_t err;
    expect_resolve_error(path, "a", KC_ERR_MISSING_CLUSTER, &err);
    assert_contains(err.msg, ":6: cluster \"gone\" was not found for context \"a\" (defined "
                             "clusters: \"noserver\", \"ok\")");
    expect_resolve_error(path, "b", KC_ERR_MISSING_USER, &err);
    assert_contains(err.msg, "user \"ghost\" was not found for context \"b\" (defined users: \"u\")");
    expect_resolve_error(path, "c", KC_ERR_NO_SERVER, &err);
    assert_contains(err.msg, ":2: no server found for cluster \"noserver\"");
    expect_resolve_error(path, "d", KC_ERR_MISSING_CLUSTER, &err);
    assert_contains(err.msg, "cluster was not specified for context \"d\"");
    expect_resolve_error(path, "e", KC_ERR_INVALID, &err);
    assert_contains(err.msg, "namespace \"Bad_NS\" for context \"e\" does not conform");

    /* a bad -n is refused too (it ends up in URL paths) */
    kubeconfig_t *kc = must_load(path);
    assert_null(kubeconfig_resolve(kc, "e", "../../secrets", &err));
    assert_int_equal(err.code, KC_ERR_INVALID);
    kubeconfig_free(kc);
}

static void test_error_invalid_combinations(void **state)
{
    fx_t *fx = *state;
    put(fx, "ca.pem", CA_PEM);
    const char *path = put(
        fx, "config",
        "clusters:\n"
        "- {name: both-ca, cluster: {server: https://k, certificate-authority: ca.pem, "
        "certificate-authority-data: " CA_B64 "}}\n"
        "- {name: insecure-ca, cluster: {server: https://k, certificate-authority: ca.pem, "
        "insecure-skip-tls-verify: true}}\n"
        "- {name: missing-ca, cluster: {server: https://k, certificate-authority: nope.pem}}\n"
        "- {name: ftp-proxy, cluster: {server: https://k, proxy-url: ftp://p}}\n"
        "- {name: ok, cluster: {server: https://k}}\n"
        "users:\n"
        "- {name: tok-basic, user: {token: t, username: u, password: p}}\n"
        "- {name: cert-only, user: {client-certificate-data: " CERT_B64 "}}\n"
        "- {name: missing-token-file, user: {tokenFile: /nonexistent/kdeck/token}}\n"
        "contexts:\n"
        "- {name: both-ca, context: {cluster: both-ca}}\n"
        "- {name: insecure-ca, context: {cluster: insecure-ca}}\n"
        "- {name: missing-ca, context: {cluster: missing-ca}}\n"
        "- {name: ftp-proxy, context: {cluster: ftp-proxy}}\n"
        "- {name: tok-basic, context: {cluster: ok, user: tok-basic}}\n"
        "- {name: cert-only, context: {cluster: ok, user: cert-only}}\n"
        "- {name: missing-token-file, context: {cluster: ok, user: missing-token-file}}\n");
    kc_error_t err;
    expect_resolve_error(path, "both-ca", KC_ERR_INVALID, &err);
    assert_contains(err.msg, "certificate-authority-data and certificate-authority are both");
    expect_resolve_error(path, "insecure-ca", KC_ERR_INVALID, &err);
    assert_contains(err.msg, "insecure flag is not allowed");
    expect_resolve_error(path, "missing-ca", KC_ERR_IO, &err);
    assert_contains(err.msg, P(fx, "nope.pem"));
    assert_contains(err.msg, "No such file or directory");
    expect_resolve_error(path, "ftp-proxy", KC_ERR_INVALID, &err);
    assert_contains(err.msg, "http, https, or socks5");
    expect_resolve_error(path, "tok-basic", KC_ERR_INVALID, &err);
    assert_contains(err.msg, "more than one authentication method");
    assert_null(strstr(err.msg, "\"p\""));
    expect_resolve_error(path, "cert-only", KC_ERR_INVALID, &err);
    assert_contains(err.msg, "client certificate but no client key");
    expect_resolve_error(path, "missing-token-file", KC_ERR_IO, &err);
    assert_contains(err.msg, "/nonexistent/kdeck/token");
}

static void test_error_auth_provider(void **state)
{
    fx_t *fx = *state;
    const char *path = put_fixture(fx, "oidc-auth-provider.yaml");
    kc_error_t err;
    expect_resolve_error(path, NULL, KC_ERR_UNSUPPORTED, &err);
    assert_contains(err.msg, "user \"oidc\" uses auth-provider \"oidc\", which kdeck does not "
                             "support");
    assert_contains(err.msg, "exec credential plugin");
    assert_null(strstr(err.msg, "not-a-real-token"));
}

static void test_errcode_names(void **state)
{
    (void)state;
    assert_string_equal(kc_errcode_name(KC_OK), "ok");
    assert_string_equal(kc_errcode_name(KC_ERR_UNKNOWN_CONTEXT), "context not found");
    assert_string_equal(kc_errcode_name((kc_errcode_t)999), "unknown error");
}

/* ------------------------------------------------------------ security warnings */

static void test_world_readable_warning(void **state)
{
    fx_t *fx = *state;
    const char *path = put_mode(fx, "config", two_contexts, 0644);
    kubeconfig_t *kc = must_load(path);
    assert_int_equal(kubeconfig_warning_count(kc), 1);
    assert_contains(kubeconfig_warning_at(kc, 0), path);
    assert_contains(kubeconfig_warning_at(kc, 0), "mode 0644");
    assert_contains(kubeconfig_warning_at(kc, 0), "chmod 600");
    assert_null(strstr(kubeconfig_warning_at(kc, 0), "sekrit"));
    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_int_equal(t->nwarnings, 1); /* carried into the target for the status line */
    assert_contains(t->warnings[0], "mode 0644");
    kube_target_free(t);
    kubeconfig_free(kc);

    chmod(path, 0640); /* group-readable is enough */
    kc = must_load(path);
    assert_int_equal(kubeconfig_warning_count(kc), 1);
    kubeconfig_free(kc);
    chmod(path, 0600);
    kc = must_load(path);
    assert_int_equal(kubeconfig_warning_count(kc), 0);
    kubeconfig_free(kc);
}

static void test_empty_and_null_fields(void **state)
{
    fx_t *fx = *state;
    /* an empty file is an empty config: via KUBECONFIG that means "nothing found"... */
    const char *empty = put(fx, "empty", "");
    kc_error_t err;
    setenv("KUBECONFIG", empty, 1);
    assert_null(kubeconfig_load(NULL, &err));
    assert_int_equal(err.code, KC_ERR_NO_CONFIG);
    assert_contains(err.msg, "no configuration in $KUBECONFIG");
    unsetenv("KUBECONFIG");
    /* ...and named with --kubeconfig it loads, but has no context to use */
    kubeconfig_t *kc = must_load(empty);
    assert_int_equal(kubeconfig_context_count(kc), 0);
    assert_null(kubeconfig_resolve(kc, NULL, NULL, &err));
    assert_int_equal(err.code, KC_ERR_NO_CONTEXT);
    assert_contains(err.msg, "no contexts are defined in");
    kubeconfig_free(kc);
    /* nulls mean "unset", unknown fields are ignored (kubectl is not strict) */
    const char *path = put(fx, "config",
                           "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n"
                           "- name: c\n  cluster:\n    server: https://k\n    proxy-url: null\n"
                           "    certificate-authority-data: ~\n    future-field: [1, 2]\n"
                           "users:\ncontexts:\n- name: x\n  context:\n    cluster: c\n"
                           "    namespace:\ncurrent-context: x\n");
    kc = must_load(path);
    kube_target_t *t = must_resolve(kc, NULL, NULL);
    assert_null(t->proxy_url);
    assert_null(t->ca_pem);
    assert_string_equal(t->namespace, "default");
    kube_target_free(t);
    kubeconfig_free(kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_world_fixtures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_env_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explicit_path_overrides_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_home_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_token_and_token_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_client_cert_files_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_basic_and_impersonation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_exec_v1_and_v1beta1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_interactive_always, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_credential_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_credential_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_credential_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc3339, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_cluster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_cluster_not_used_when_kubeconfig_exists, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_error_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_yaml_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_wrong_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_unknown_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_missing_cluster_user_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_invalid_combinations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_auth_provider, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errcode_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_readable_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_null_fields, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
