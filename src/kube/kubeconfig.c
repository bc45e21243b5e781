/* kubeconfig loading, merging and context resolution, following client-go's clientcmd:
 * loader.go (which files, merge order, relative paths), validation.go (what makes a context
 * usable), inClusterClientConfig (service account). See include/kdeck/kubeconfig.h. */
#include "kdeck/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kdeck/base64.h"
#include "kdeck/yamltree.h"

#define KC_MAX_FILE (16u << 20) /* a kubeconfig or PEM larger than this is a mistake */
#define KC_DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KC_EXEC_EXT "client.authentication.k8s.io/exec"
#define KC_API_V1 "client.authentication.k8s.io/v1"
#define KC_API_V1BETA1 "client.authentication.k8s.io/v1beta1"

typedef struct kc_cluster {
    char *name;
    char *server, *ca_file, *tls_server_name, *proxy_url, *exec_ext_json;
    unsigned char *ca_data;
    size_t ca_data_len;
    bool insecure, disable_compression;
    size_t file;
    int line;
} kc_cluster_t;

typedef struct kc_user {
    char *name;
    char *token, *token_file, *cert_file, *key_file, *username, *password;
    unsigned char *cert_data, *key_data;
    size_t cert_data_len, key_data_len;
    char *as, *as_uid;
    char **as_groups;
    size_t nas_groups;
    char **extra_keys, **extra_values;
    size_t nextra;
    kc_exec_t *exec;
    char *exec_interactive; /* raw interactiveMode, checked when the user is resolved */
    char *auth_provider;    /* auth-provider name ("" when unnamed) */
    bool in_cluster;        /* projected token files are 0644 by design: no mode warning */
    size_t file;
    int line;
} kc_user_t;

typedef struct kc_ctx {
    char *name, *cluster, *user, *namespace;
    size_t file;
    int line;
} kc_ctx_t;

struct kubeconfig {
    char **files; /* absolute paths of the files read, in precedence order */
    size_t nfiles;
    kc_cluster_t *clusters;
    size_t nclusters;
    kc_user_t *users;
    size_t nusers;
    kc_ctx_t *contexts;
    size_t ncontexts;
    char *current;
    kc_context_info_t *infos; /* contexts sorted by name, for views */
    char **warnings;
    size_t nwarnings;
    bool in_cluster;
};

/* Per-file parsing state. */
typedef struct kc_parse {
    kubeconfig_t *kc;
    size_t file;      /* index in kc->files */
    const char *path; /* for messages */
    char *dir;        /* absolute directory, for relative paths */
    kc_error_t *err;
} kc_parse_t;

/* ------------------------------------------------------------------ errors */

static const char *const kc_errcode_names[] = {
#define KC_NAME_ITEM(name, text) text,
    KC_ERRCODES(KC_NAME_ITEM)
#undef KC_NAME_ITEM
};

const char *kc_errcode_name(kc_errcode_t code)
{
    if ((size_t)code >= sizeof kc_errcode_names / sizeof kc_errcode_names[0])
        return "unknown error";
    return kc_errcode_names[code];
}

static void kc_seterr(kc_error_t *err, kc_errcode_t code, const char *file, int line, int col,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Message prefix: "file:line:col: " for syntax, "file:line: " for fields, "file: " else. */
static void kc_seterr(kc_error_t *err, kc_errcode_t code, const char *file, int line, int col,
                      const char *fmt, ...)
{
    va_list ap;
    int off = 0;
    err->code = code;
    err->line = line;
    err->col = col;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    if (file && line > 0 && col > 0)
        off = snprintf(err->msg, sizeof err->msg, "%s:%d:%d: ", file, line, col);
    else if (file && line > 0)
        off = snprintf(err->msg, sizeof err->msg, "%s:%d: ", file, line);
    else if (file)
        off = snprintf(err->msg, sizeof err->msg, "%s: ", file);
    if (off < 0 || (size_t)off >= sizeof err->msg)
        off = 0;
    va_start(ap, fmt);
    vsnprintf(err->msg + off, sizeof err->msg - (size_t)off, fmt, ap);
    va_end(ap);
}

static void kc_nomem(kc_error_t *err)
{
    kc_seterr(err, KC_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

static void kc_err_clear(kc_error_t *err)
{
    err->code = KC_OK;
    err->file[0] = '\0';
    err->line = err->col = 0;
    err->msg[0] = '\0';
}

/* ------------------------------------------------------------------ small helpers */

static void kc_wipe_free(void *p, size_t len)
{
    if (p) {
        explicit_bzero(p, len);
        free(p);
    }
}

static void kc_wipe_str(char *s)
{
    if (s)
        kc_wipe_free(s, strlen(s));
}

static void kc_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Appends a copy of s to *v. */
static bool kc_strv_push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return false;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return false;
    (*n)++;
    return true;
}

static bool kc_warn(kubeconfig_t *kc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool kc_warn(kubeconfig_t *kc, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return kc_strv_push(&kc->warnings, &kc->nwarnings, buf);
}

/* dir + "/" + path unless path is empty or absolute (filepath.Join in client-go). */
static char *kc_resolve_path(const char *dir, const char *path)
{
    if (!path[0] || path[0] == '/' || !dir)
        return strdup(path);
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, path);
    return out;
}

/* Absolute directory of a file path. */
static char *kc_abs_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    if (slash && dlen == 0)
        return strdup("/");
    if (path[0] == '/') {
        char *d = malloc(dlen + 1);
        if (d) {
            memcpy(d, path, dlen);
            d[dlen] = '\0';
        }
        return d;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t n = strlen(cwd) + dlen + 2;
    char *d = malloc(n);
    if (d) {
        if (slash)
            snprintf(d, n, "%s/%.*s", cwd, (int)dlen, path);
        else
            snprintf(d, n, "%s", cwd);
    }
    return d;
}

typedef enum kc_read_rc { KC_READ_OK, KC_READ_MISSING, KC_READ_FAIL } kc_read_rc_t;

/* Reads a whole file (plus a NUL). *mode gets its permission bits. errno is kept for the
 * caller on failure. */
static kc_read_rc_t kc_read_file(const char *path, char **buf, size_t *len, mode_t *mode)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? KC_READ_MISSING : KC_READ_FAIL;
    struct stat st;
    if (fstat(fd, &st) != 0)
        goto fail;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto fail;
    }
    if (mode)
        *mode = st.st_mode;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    if (!b)
        goto fail;
    for (;;) {
        if (n == cap) {
            if (cap >= KC_MAX_FILE) {
                kc_wipe_free(b, n);
                errno = EFBIG;
                goto fail;
            }
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                kc_wipe_free(b, n);
                goto fail;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            kc_wipe_free(b, n);
            errno = e;
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return KC_READ_OK;
fail: {
    int e = errno;
    close(fd);
    errno = e;
    return KC_READ_FAIL;
}
}

/* ------------------------------------------------------------------ typed field access */

/* snprintf for field paths ("users[0].user.exec"); cut silently, which only shortens a
 * message. A function of its own so -Wformat-truncation does not second-guess each use. */
static void kc_where(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void kc_where(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

static void kc_field_name(char *out, size_t cap, const char *where, const char *key)
{
    if (where && where[0])
        kc_where(out, cap, "%s.%s", where, key);
    else
        kc_where(out, cap, "%s", key);
}

static bool kc_type_error(kc_parse_t *p, const yt_node_t *n, const char *where, const char *key,
                          const char *want)
{
    char field[256];
    kc_field_name(field, sizeof field, where, key);
    bool numberish = n->kind == YT_INT || n->kind == YT_FLOAT || n->kind == YT_BOOL;
    kc_seterr(p->err, KC_ERR_SCHEMA, p->path, n->line, 0, "%s must be %s, not %s%s", field, want,
              yt_kind_name(n->kind),
              numberish && !strcmp(want, "a string") ? " (quote the value)" : "");
    return false;
}

/* Absent and null leave *out NULL, like a missing JSON field in client-go. */
static bool kc_get_str(kc_parse_t *p, const yt_node_t *map, const char *where, const char *key,
                       char **out)
{
    const yt_node_t *n = yt_map_get(map, key);
    *out = NULL;
    if (!n || n->kind == YT_NULL)
        return true;
    if (n->kind != YT_STRING)
        return kc_type_error(p, n, where, key, "a string");
    if (strlen(n->text) != n->len) {
        char field[256];
        kc_field_name(field, sizeof field, where, key);
        kc_seterr(p->err, KC_ERR_SCHEMA, p->path, n->line, 0, "%s contains a NUL character",
                  field);
        return false;
    }
    if (!(*out = strdup(n->text))) {
        kc_nomem(p->err);
        return false;
    }
    return true;
}

static bool kc_get_path(kc_parse_t *p, const yt_node_t *map, const char *where, const char *key,
                        char **out)
{
    char *raw;
    if (!kc_get_str(p, map, where, key, &raw))
        return false;
    if (!raw || !raw[0]) {
        *out = raw;
        return true;
    }
    *out = kc_resolve_path(p->dir, raw);
    free(raw);
    if (!*out) {
        kc_nomem(p->err);
        return false;
    }
    return true;
}

static bool kc_get_bool(kc_parse_t *p, const yt_node_t *map, const char *where, const char *key,
                        bool *out)
{
    const yt_node_t *n = yt_map_get(map, key);
    *out = false;
    if (!n || n->kind == YT_NULL)
        return true;
    if (n->kind != YT_BOOL)
        return kc_type_error(p, n, where, key, "a boolean (true or false)");
    *out = n->bool_value;
    return true;
}

static bool kc_get_kind(kc_parse_t *p, const yt_node_t *map, const char *where, const char *key,
                        yt_kind_t kind, const yt_node_t **out)
{
    const yt_node_t *n = yt_map_get(map, key);
    *out = NULL;
    if (!n || n->kind == YT_NULL)
        return true;
    if (n->kind != kind)
        return kc_type_error(p, n, where, key, yt_kind_name(kind));
    *out = n;
    return true;
}

static bool kc_get_b64(kc_parse_t *p, const yt_node_t *map, const char *where, const char *key,
                       unsigned char **out, size_t *out_len)
{
    char *text;
    *out = NULL;
    *out_len = 0;
    if (!kc_get_str(p, map, where, key, &text))
        return false;
    if (!text || !text[0]) {
        free(text);
        return true;
    }
    size_t bad = 0;
    base64_err_t rc = base64_decode(text, strlen(text), out, out_len, &bad);
    kc_wipe_str(text);
    if (rc == BASE64_ERR_NOMEM) {
        kc_nomem(p->err);
        return false;
    }
    if (rc != BASE64_OK) {
        char field[256];
        kc_field_name(field, sizeof field, where, key);
        kc_seterr(p->err, KC_ERR_BASE64, p->path, yt_map_get(map, key)->line, 0,
                  "%s is not valid base64: %s at offset %zu", field, base64_strerror(rc), bad);
        return false;
    }
    return true;
}

/* A list of strings (args, as-groups). */
static bool kc_get_strv(kc_parse_t *p, const yt_node_t *map, const char *where, const char *key,
                        char ***out, size_t *n)
{
    const yt_node_t *seq;
    *out = NULL;
    *n = 0;
    if (!kc_get_kind(p, map, where, key, YT_SEQ, &seq))
        return false;
    for (size_t i = 0; seq && i < seq->n; i++) {
        const yt_node_t *it = seq->items[i];
        if (it->kind != YT_STRING) {
            char field[256], idx[300];
            kc_field_name(field, sizeof field, where, key);
            kc_where(idx, sizeof idx, "%s[%zu]", field, i);
            return kc_type_error(p, it, NULL, idx, "a string");
        }
        if (!kc_strv_push(out, n, it->text)) {
            kc_nomem(p->err);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------ entries */

static void kc_exec_free(kc_exec_t *e)
{
    if (!e)
        return;
    free(e->command);
    kc_strv_free(e->args, e->nargs);
    kc_strv_free(e->env_names, e->nenv);
    if (e->env_values)
        for (size_t i = 0; i < e->nenv; i++)
            kc_wipe_str(e->env_values[i]); /* plugin env often carries secrets */
    free(e->env_values);
    free(e->api_version);
    free(e->install_hint);
    free(e);
}

static void kc_cluster_clear(kc_cluster_t *c)
{
    free(c->name);
    free(c->server);
    free(c->ca_file);
    free(c->tls_server_name);
    free(c->proxy_url);
    free(c->exec_ext_json);
    free(c->ca_data);
}

static void kc_user_clear(kc_user_t *u)
{
    free(u->name);
    kc_wipe_str(u->token);
    free(u->token_file);
    free(u->cert_file);
    free(u->key_file);
    free(u->username);
    kc_wipe_str(u->password);
    free(u->cert_data);
    kc_wipe_free(u->key_data, u->key_data_len);
    free(u->as);
    free(u->as_uid);
    kc_strv_free(u->as_groups, u->nas_groups);
    kc_strv_free(u->extra_keys, u->nextra);
    kc_strv_free(u->extra_values, u->nextra);
    kc_exec_free(u->exec);
    free(u->exec_interactive);
    free(u->auth_provider);
}

static void kc_ctx_clear(kc_ctx_t *c)
{
    free(c->name);
    free(c->cluster);
    free(c->user);
    free(c->namespace);
}

static bool kc_parse_cluster(kc_parse_t *p, const yt_node_t *m, const char *w, kc_cluster_t *c)
{
    const yt_node_t *exts;
    if (!kc_get_str(p, m, w, "server", &c->server) ||
        !kc_get_path(p, m, w, "certificate-authority", &c->ca_file) ||
        !kc_get_b64(p, m, w, "certificate-authority-data", &c->ca_data, &c->ca_data_len) ||
        !kc_get_bool(p, m, w, "insecure-skip-tls-verify", &c->insecure) ||
        !kc_get_str(p, m, w, "tls-server-name", &c->tls_server_name) ||
        !kc_get_str(p, m, w, "proxy-url", &c->proxy_url) ||
        !kc_get_bool(p, m, w, "disable-compression", &c->disable_compression) ||
        !kc_get_kind(p, m, w, "extensions", YT_SEQ, &exts))
        return false;
    /* the exec plugin's per-cluster config travels in KUBERNETES_EXEC_INFO */
    for (size_t i = 0; exts && i < exts->n; i++) {
        const yt_node_t *name = yt_map_get(exts->items[i], "name");
        const yt_node_t *ext = yt_map_get(exts->items[i], "extension");
        if (!name || name->kind != YT_STRING || strcmp(name->text, KC_EXEC_EXT) != 0 || !ext)
            continue;
        cJSON *j = yt_to_cjson(ext);
        char *s = j ? cJSON_PrintUnformatted(j) : NULL;
        cJSON_Delete(j);
        if (!s) {
            kc_nomem(p->err);
            return false;
        }
        free(c->exec_ext_json);
        c->exec_ext_json = s;
    }
    return true;
}

static bool kc_parse_exec(kc_parse_t *p, const yt_node_t *m, const char *w, kc_user_t *u)
{
    kc_exec_t *e = calloc(1, sizeof *e);
    const yt_node_t *env;
    if (!e) {
        kc_nomem(p->err);
        return false;
    }
    u->exec = e;
    if (!kc_get_str(p, m, w, "command", &e->command) ||
        !kc_get_strv(p, m, w, "args", &e->args, &e->nargs) ||
        !kc_get_str(p, m, w, "apiVersion", &e->api_version) ||
        !kc_get_str(p, m, w, "installHint", &e->install_hint) ||
        !kc_get_bool(p, m, w, "provideClusterInfo", &e->provide_cluster_info) ||
        !kc_get_str(p, m, w, "interactiveMode", &u->exec_interactive) ||
        !kc_get_kind(p, m, w, "env", YT_SEQ, &env))
        return false;
    /* a command with a '/' is a path relative to the kubeconfig; otherwise it is looked up in
     * PATH when run (client-go GetAuthInfoFileReferences) */
    if (e->command && strchr(e->command, '/') && e->command[0] != '/') {
        char *abs = kc_resolve_path(p->dir, e->command);
        if (!abs) {
            kc_nomem(p->err);
            return false;
        }
        free(e->command);
        e->command = abs;
    }
    if (env && env->n) {
        e->env_names = calloc(env->n, sizeof *e->env_names);
        e->env_values = calloc(env->n, sizeof *e->env_values);
        if (!e->env_names || !e->env_values) {
            kc_nomem(p->err);
            return false;
        }
        for (size_t i = 0; i < env->n; i++) {
            char ew[300];
            kc_where(ew, sizeof ew, "%s.env[%zu]", w, i);
            if (env->items[i]->kind != YT_MAP)
                return kc_type_error(p, env->items[i], NULL, ew, "a mapping");
            e->nenv = i + 1; /* count entries as soon as they may hold allocations */
            if (!kc_get_str(p, env->items[i], ew, "name", &e->env_names[i]) ||
                !kc_get_str(p, env->items[i], ew, "value", &e->env_values[i]))
                return false;
            if ((!e->env_names[i] && !(e->env_names[i] = strdup(""))) ||
                (!e->env_values[i] && !(e->env_values[i] = strdup("")))) {
                kc_nomem(p->err);
                return false;
            }
        }
    }
    return true;
}

static bool kc_parse_user(kc_parse_t *p, const yt_node_t *m, const char *w, kc_user_t *u)
{
    const yt_node_t *exec, *ap, *extra;
    if (!kc_get_str(p, m, w, "token", &u->token) ||
        !kc_get_path(p, m, w, "tokenFile", &u->token_file) ||
        !kc_get_path(p, m, w, "client-certificate", &u->cert_file) ||
        !kc_get_path(p, m, w, "client-key", &u->key_file) ||
        !kc_get_b64(p, m, w, "client-certificate-data", &u->cert_data, &u->cert_data_len) ||
        !kc_get_b64(p, m, w, "client-key-data", &u->key_data, &u->key_data_len) ||
        !kc_get_str(p, m, w, "username", &u->username) ||
        !kc_get_str(p, m, w, "password", &u->password) ||
        !kc_get_str(p, m, w, "as", &u->as) ||
        !kc_get_str(p, m, w, "as-uid", &u->as_uid) ||
        !kc_get_strv(p, m, w, "as-groups", &u->as_groups, &u->nas_groups) ||
        !kc_get_kind(p, m, w, "as-user-extra", YT_MAP, &extra) ||
        !kc_get_kind(p, m, w, "auth-provider", YT_MAP, &ap) ||
        !kc_get_kind(p, m, w, "exec", YT_MAP, &exec))
        return false;
    for (size_t i = 0; extra && i < extra->n; i++) {
        char ew[300];
        char **vals = NULL;
        size_t nvals = 0;
        const char *key = extra->keys[i]->text ? extra->keys[i]->text : "";
        kc_where(ew, sizeof ew, "%s.as-user-extra", w);
        if (!kc_get_strv(p, extra, ew, key, &vals, &nvals)) {
            kc_strv_free(vals, nvals);
            return false;
        }
        for (size_t j = 0; j < nvals; j++) {
            size_t nk = u->nextra;
            if (!kc_strv_push(&u->extra_keys, &nk, key) ||
                !kc_strv_push(&u->extra_values, &u->nextra, vals[j])) {
                if (nk > u->nextra) /* keep the two lists the same length */
                    free(u->extra_keys[nk - 1]);
                kc_strv_free(vals, nvals);
                kc_nomem(p->err);
                return false;
            }
        }
        kc_strv_free(vals, nvals);
    }
    if (ap) {
        char aw[300];
        kc_where(aw, sizeof aw, "%s.auth-provider", w);
        if (!kc_get_str(p, ap, aw, "name", &u->auth_provider))
            return false;
        if (!u->auth_provider && !(u->auth_provider = strdup(""))) {
            kc_nomem(p->err);
            return false;
        }
    }
    if (exec) {
        char ew[300];
        kc_where(ew, sizeof ew, "%s.exec", w);
        if (!kc_parse_exec(p, exec, ew, u))
            return false;
    }
    return true;
}

static bool kc_parse_context(kc_parse_t *p, const yt_node_t *m, const char *w, kc_ctx_t *c)
{
    return kc_get_str(p, m, w, "cluster", &c->cluster) && kc_get_str(p, m, w, "user", &c->user) &&
           kc_get_str(p, m, w, "namespace", &c->namespace);
}

/* Generic walk over clusters/users/contexts: each item is {name, <inner>: {...}}. */
typedef struct kc_list_ops {
    const char *list;  /* "clusters" */
    const char *inner; /* "cluster" */
    const char *what;  /* "cluster" for messages */
    size_t size;       /* sizeof entry */
    void **arr;        /* &kc->clusters */
    size_t *n;
    bool (*parse)(kc_parse_t *, const yt_node_t *, const char *, void *);
    void (*clear)(void *);
} kc_list_ops_t;

/* Entries all start with name and share file/line at known offsets via these accessors. */
#define KC_ENTRY_ACCESSORS(T, prefix)                                                          \
    static char **kc_##prefix##_name(void *e) { return &((T *)e)->name; }                     \
    static size_t *kc_##prefix##_file(void *e) { return &((T *)e)->file; }                    \
    static int *kc_##prefix##_line(void *e) { return &((T *)e)->line; }                       \
    static bool kc_##prefix##_parse_entry(kc_parse_t *p, const yt_node_t *m, const char *w,   \
                                          void *e)                                             \
    {                                                                                          \
        return kc_parse_##prefix(p, m, w, e);                                                  \
    }                                                                                          \
    static void kc_##prefix##_clear_entry(void *e) { kc_##prefix##_clear(e); }

#define kc_parse_ctx kc_parse_context
KC_ENTRY_ACCESSORS(kc_cluster_t, cluster)
KC_ENTRY_ACCESSORS(kc_user_t, user)
KC_ENTRY_ACCESSORS(kc_ctx_t, ctx)
#undef kc_parse_ctx

typedef struct kc_entry_fns {
    char **(*name)(void *);
    size_t *(*file)(void *);
    int *(*line)(void *);
} kc_entry_fns_t;

static bool kc_parse_list(kc_parse_t *p, const yt_node_t *root, const kc_list_ops_t *ops,
                          const kc_entry_fns_t *fns)
{
    const yt_node_t *seq;
    if (!kc_get_kind(p, root, "", ops->list, YT_SEQ, &seq))
        return false;
    for (size_t i = 0; seq && i < seq->n; i++) {
        const yt_node_t *item = seq->items[i];
        char w[64], iw[128];
        kc_where(w, sizeof w, "%s[%zu]", ops->list, i);
        if (item->kind != YT_MAP)
            return kc_type_error(p, item, NULL, w, "a mapping");
        union {
            kc_cluster_t c;
            kc_user_t u;
            kc_ctx_t x;
        } entry;
        memset(&entry, 0, sizeof entry);
        void *e = &entry;
        *fns->file(e) = p->file;
        *fns->line(e) = item->line;
        const yt_node_t *inner;
        kc_where(iw, sizeof iw, "%s.%s", w, ops->inner);
        bool ok = kc_get_str(p, item, w, "name", fns->name(e)) &&
                  kc_get_kind(p, item, w, ops->inner, YT_MAP, &inner) &&
                  (!inner || ops->parse(p, inner, iw, e));
        if (ok && (!*fns->name(e) || !(*fns->name(e))[0])) {
            kc_seterr(p->err, KC_ERR_SCHEMA, p->path, item->line, 0, "%s.name is required", w);
            ok = false;
        }
        /* same name twice: an error within one file, first file wins across files */
        bool keep = ok;
        for (size_t j = 0; ok && j < *ops->n; j++) {
            void *other = (char *)*ops->arr + j * ops->size;
            if (strcmp(*fns->name(other), *fns->name(e)) != 0)
                continue;
            if (*fns->file(other) == p->file) {
                kc_seterr(p->err, KC_ERR_SCHEMA, p->path, item->line, 0,
                          "%s: duplicate %s name \"%s\" (first defined at line %d)", w, ops->what,
                          *fns->name(e), *fns->line(other));
                ok = false;
            }
            keep = false;
            break;
        }
        if (keep) {
            void *na = realloc(*ops->arr, (*ops->n + 1) * ops->size);
            if (!na) {
                kc_nomem(p->err);
                ok = false;
            } else {
                *ops->arr = na;
                memcpy((char *)na + *ops->n * ops->size, e, ops->size);
                (*ops->n)++;
                continue;
            }
        }
        ops->clear(e);
        if (!ok)
            return false;
    }
    return true;
}

static bool kc_parse_doc(kc_parse_t *p, const yt_node_t *root)
{
    kubeconfig_t *kc = p->kc;
    if (root->kind == YT_NULL)
        return true; /* an empty file is an empty config */
    if (root->kind != YT_MAP) {
        kc_seterr(p->err, KC_ERR_SCHEMA, p->path, root->line, 0,
                  "a kubeconfig must be a mapping, not %s", yt_kind_name(root->kind));
        return false;
    }
    char *api = NULL, *kind = NULL, *current = NULL;
    bool ok = kc_get_str(p, root, "", "apiVersion", &api) && kc_get_str(p, root, "", "kind", &kind);
    if (ok && api && api[0] && strcmp(api, "v1") != 0) {
        kc_seterr(p->err, KC_ERR_SCHEMA, p->path, yt_map_get(root, "apiVersion")->line, 0,
                  "apiVersion \"%s\" is not supported (expected v1)", api);
        ok = false;
    }
    if (ok && kind && kind[0] && strcmp(kind, "Config") != 0) {
        kc_seterr(p->err, KC_ERR_SCHEMA, p->path, yt_map_get(root, "kind")->line, 0,
                  "kind \"%s\" is not a kubeconfig (expected Config)", kind);
        ok = false;
    }
    free(api);
    free(kind);
    if (!ok)
        return false;

    static const kc_entry_fns_t cluster_fns = {kc_cluster_name, kc_cluster_file, kc_cluster_line};
    static const kc_entry_fns_t user_fns = {kc_user_name, kc_user_file, kc_user_line};
    static const kc_entry_fns_t ctx_fns = {kc_ctx_name, kc_ctx_file, kc_ctx_line};
    const kc_list_ops_t lists[] = {
        {"clusters", "cluster", "cluster", sizeof(kc_cluster_t), (void **)&kc->clusters,
         &kc->nclusters, kc_cluster_parse_entry, kc_cluster_clear_entry},
        {"users", "user", "user", sizeof(kc_user_t), (void **)&kc->users, &kc->nusers,
         kc_user_parse_entry, kc_user_clear_entry},
        {"contexts", "context", "context", sizeof(kc_ctx_t), (void **)&kc->contexts,
         &kc->ncontexts, kc_ctx_parse_entry, kc_ctx_clear_entry},
    };
    const kc_entry_fns_t *fns[] = {&cluster_fns, &user_fns, &ctx_fns};
    for (size_t i = 0; i < 3; i++)
        if (!kc_parse_list(p, root, &lists[i], fns[i]))
            return false;

    if (!kc_get_str(p, root, "", "current-context", &current))
        return false;
    if (current && current[0] && !kc->current)
        kc->current = current; /* the first file that sets it wins */
    else
        free(current);
    return true;
}

/* Reads and merges one file. *found is false when it does not exist. */
static bool kc_load_one(kubeconfig_t *kc, const char *path, bool *found, kc_error_t *err)
{
    char *buf = NULL;
    size_t len = 0;
    mode_t mode = 0;
    *found = true;
    kc_read_rc_t rc = kc_read_file(path, &buf, &len, &mode);
    if (rc == KC_READ_MISSING) {
        *found = false;
        return true;
    }
    if (rc == KC_READ_FAIL) {
        kc_seterr(err, KC_ERR_IO, path, 0, 0, "cannot read kubeconfig: %s", strerror(errno));
        return false;
    }
    kc_parse_t p = {.kc = kc, .file = kc->nfiles, .path = path, .err = err};
    yt_error_t yerr;
    yt_node_t *root = NULL;
    bool ok = false;
    if (!(p.dir = kc_abs_dir(path)) || !kc_strv_push(&kc->files, &kc->nfiles, path)) {
        kc_nomem(err);
        goto out;
    }
    if (mode & 077) {
        /* like helm's "Kubernetes configuration file is group-readable" warning */
        if (!kc_warn(kc,
                     "kubeconfig %s is accessible by group or others (mode %04o); it may hold "
                     "credentials: chmod 600 %s",
                     path, (unsigned)(mode & 07777), path)) {
            kc_nomem(err);
            goto out;
        }
    }
    if (!(root = yt_parse(buf, len, &yerr))) {
        if (!strcmp(yerr.msg, "out of memory"))
            kc_nomem(err);
        else
            kc_seterr(err, KC_ERR_SYNTAX, path, yerr.line, yerr.col, "%s", yerr.msg);
        goto out;
    }
    ok = kc_parse_doc(&p, root);
out:
    yt_free(root);
    kc_wipe_free(buf, len);
    free(p.dir);
    return ok;
}

static int kc_info_cmp(const void *a, const void *b)
{
    return strcmp(((const kc_context_info_t *)a)->name, ((const kc_context_info_t *)b)->name);
}

static bool kc_build_infos(kubeconfig_t *kc)
{
    free(kc->infos);
    kc->infos = NULL;
    if (!kc->ncontexts)
        return true;
    if (!(kc->infos = calloc(kc->ncontexts, sizeof *kc->infos)))
        return false;
    for (size_t i = 0; i < kc->ncontexts; i++) {
        const kc_ctx_t *c = &kc->contexts[i];
        kc->infos[i] = (kc_context_info_t){
            .name = c->name,
            .cluster = c->cluster ? c->cluster : "",
            .user = c->user ? c->user : "",
            .namespace = c->namespace ? c->namespace : "",
            .source_file = c->file < kc->nfiles ? kc->files[c->file] : "",
            .current = kc->current && !strcmp(kc->current, c->name),
        };
    }
    qsort(kc->infos, kc->ncontexts, sizeof *kc->infos, kc_info_cmp);
    return true;
}

void kubeconfig_free(kubeconfig_t *kc)
{
    if (!kc)
        return;
    for (size_t i = 0; i < kc->nclusters; i++)
        kc_cluster_clear(&kc->clusters[i]);
    for (size_t i = 0; i < kc->nusers; i++)
        kc_user_clear(&kc->users[i]);
    for (size_t i = 0; i < kc->ncontexts; i++)
        kc_ctx_clear(&kc->contexts[i]);
    free(kc->clusters);
    free(kc->users);
    free(kc->contexts);
    kc_strv_free(kc->files, kc->nfiles);
    kc_strv_free(kc->warnings, kc->nwarnings);
    free(kc->current);
    free(kc->infos);
    free(kc);
}

kubeconfig_t *kubeconfig_load_files(const char *const *paths, size_t npaths, bool skip_missing,
                                     kc_error_t *err)
{
    kc_err_clear(err);
    kubeconfig_t *kc = calloc(1, sizeof *kc);
    if (!kc) {
        kc_nomem(err);
        return NULL;
    }
    for (size_t i = 0; i < npaths; i++) {
        bool found;
        if (!paths[i] || !paths[i][0])
            continue;
        if (!kc_load_one(kc, paths[i], &found, err))
            goto fail;
        if (!found && !skip_missing) {
            kc_seterr(err, KC_ERR_IO, paths[i], 0, 0, "cannot read kubeconfig: %s",
                      strerror(ENOENT));
            goto fail;
        }
    }
    if (!kc_build_infos(kc)) {
        kc_nomem(err);
        goto fail;
    }
    return kc;
fail:
    kubeconfig_free(kc);
    return NULL;
}

/* ------------------------------------------------------------------ in-cluster */

static char *kc_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

static bool kc_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copy of buf[0..len) without surrounding whitespace. */
static char *kc_trim_dup(const char *buf, size_t len)
{
    size_t a = 0;
    while (a < len && kc_is_space(buf[a]))
        a++;
    while (len > a && kc_is_space(buf[len - 1]))
        len--;
    return strndup(buf + a, len - a);
}

/* Trimmed content of a small file, NULL when unreadable. */
static char *kc_trimmed_file(const char *path)
{
    char *buf;
    size_t len;
    if (kc_read_file(path, &buf, &len, NULL) != KC_READ_OK)
        return NULL;
    char *s = kc_trim_dup(buf, len);
    kc_wipe_free(buf, len);
    return s;
}

/* inClusterClientConfig.Possible(): the env vars and a token file. */
static bool kc_in_cluster_possible(const char *sa_dir)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !host[0] || !port || !port[0])
        return false;
    char *tok = kc_join(sa_dir, "token");
    struct stat st;
    bool ok = tok && stat(tok, &st) == 0 && !S_ISDIR(st.st_mode);
    free(tok);
    return ok;
}

static kubeconfig_t *kc_in_cluster(const char *sa_dir, kc_error_t *err)
{
    kubeconfig_t *kc = calloc(1, sizeof *kc);
    kc_cluster_t *c = calloc(1, sizeof *c);
    kc_user_t *u = calloc(1, sizeof *u);
    kc_ctx_t *x = calloc(1, sizeof *x);
    if (!kc || !c || !u || !x) {
        free(kc);
        free(c);
        free(u);
        free(x);
        kc_nomem(err);
        return NULL;
    }
    kc->in_cluster = true;
    kc->clusters = c;
    kc->nclusters = 1;
    kc->users = u;
    kc->nusers = 1;
    kc->contexts = x;
    kc->ncontexts = 1;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    size_t n = strlen(host) + strlen(port) + 16;
    bool v6 = strchr(host, ':') != NULL; /* net.JoinHostPort brackets IPv6 literals */
    if ((c->server = malloc(n)))
        snprintf(c->server, n, v6 ? "https://[%s]:%s" : "https://%s:%s", host, port);
    c->name = strdup("in-cluster");
    c->ca_file = kc_join(sa_dir, "ca.crt");
    u->name = strdup("in-cluster");
    u->token_file = kc_join(sa_dir, "token");
    u->in_cluster = true;
    x->name = strdup("in-cluster");
    x->cluster = strdup("in-cluster");
    x->user = strdup("in-cluster");
    kc->current = strdup("in-cluster");
    if (!c->server || !c->name || !c->ca_file || !u->name || !u->token_file || !x->name ||
        !x->cluster || !x->user || !kc->current)
        goto nomem;
    /* client-go only uses ca.crt when it exists (it logs otherwise) */
    if (access(c->ca_file, F_OK) != 0) {
        free(c->ca_file);
        c->ca_file = NULL;
    }
    /* POD_NAMESPACE (downward API) first, then the service account's namespace */
    const char *pod_ns = getenv("POD_NAMESPACE");
    if (pod_ns && pod_ns[0]) {
        if (!(x->namespace = strdup(pod_ns)))
            goto nomem;
    } else {
        char *nsf = kc_join(sa_dir, "namespace");
        if (!nsf)
            goto nomem;
        x->namespace = kc_trimmed_file(nsf);
        free(nsf);
        if (x->namespace && !x->namespace[0]) {
            free(x->namespace);
            x->namespace = NULL;
        }
    }
    if (!kc_build_infos(kc))
        goto nomem;
    return kc;
nomem:
    kubeconfig_free(kc);
    kc_nomem(err);
    return NULL;
}

/* ------------------------------------------------------------------ kubeconfig_load */

static bool kc_is_empty(const kubeconfig_t *kc)
{
    return !kc->nclusters && !kc->nusers && !kc->ncontexts && !kc->current;
}

kubeconfig_t *kubeconfig_load(const kubeconfig_opts_t *opts, kc_error_t *err)
{
    static const kubeconfig_opts_t none = {0};
    char **paths = NULL;
    size_t npaths = 0;
    bool skip_missing = true;
    kubeconfig_t *kc = NULL;
    char *home_cfg = NULL;

    kc_err_clear(err);
    if (!opts)
        opts = &none;
    const char *env = getenv("KUBECONFIG");
    if (opts->kubeconfig_path && opts->kubeconfig_path[0]) {
        skip_missing = false;
        if (!kc_strv_push(&paths, &npaths, opts->kubeconfig_path))
            goto nomem;
    } else if (env && env[0]) {
        /* filepath.SplitList, empty entries skipped, first occurrence kept */
        const char *s = env;
        while (*s) {
            size_t l = strcspn(s, ":");
            if (l > 0) {
                char *one = strndup(s, l);
                if (!one)
                    goto nomem;
                bool dup = false;
                for (size_t i = 0; i < npaths && !dup; i++)
                    dup = !strcmp(paths[i], one);
                bool pushed = dup || kc_strv_push(&paths, &npaths, one);
                free(one);
                if (!pushed)
                    goto nomem;
            }
            s += l;
            if (*s == ':')
                s++;
        }
    } else {
        const char *home = getenv("HOME");
        if (home && home[0]) {
            if (!(home_cfg = kc_join(home, ".kube/config")) ||
                !kc_strv_push(&paths, &npaths, home_cfg))
                goto nomem;
        }
    }

    kc = kubeconfig_load_files((const char *const *)paths, npaths, skip_missing, err);
    if (!kc)
        goto out;
    if (kc_is_empty(kc) && !(opts->kubeconfig_path && opts->kubeconfig_path[0])) {
        const char *sa_dir = opts->sa_dir;
        if (!sa_dir || !sa_dir[0])
            sa_dir = getenv("KDECK_SA_DIR");
        if (!sa_dir || !sa_dir[0])
            sa_dir = KC_DEFAULT_SA_DIR;
        if (kc_in_cluster_possible(sa_dir)) {
            kubeconfig_free(kc);
            kc = kc_in_cluster(sa_dir, err);
            goto out;
        }
        char looked[600] = "";
        size_t off = 0;
        for (size_t i = 0; i < npaths && off < sizeof looked; i++) {
            int w = snprintf(looked + off, sizeof looked - off, "%s%s", i ? ", " : "", paths[i]);
            if (w < 0)
                break;
            off += (size_t)w;
        }
        kc_seterr(err, KC_ERR_NO_CONFIG, NULL, 0, 0,
                  "no kubeconfig found (%s%s: %s) and not running in a cluster "
                  "(KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT or %s/token missing); "
                  "use --kubeconfig or set KUBECONFIG",
                  kc->nfiles ? "no configuration in " : "looked for ",
                  env && env[0] ? "$KUBECONFIG" : "the default",
                  npaths ? looked : "$HOME is not set", sa_dir);
        kubeconfig_free(kc);
        kc = NULL;
    }
    goto out;
nomem:
    kc_nomem(err);
out:
    kc_strv_free(paths, npaths);
    free(home_cfg);
    return kc;
}

const char *kubeconfig_current_context(const kubeconfig_t *kc)
{
    return kc->current;
}

size_t kubeconfig_context_count(const kubeconfig_t *kc)
{
    return kc->ncontexts;
}

const kc_context_info_t *kubeconfig_context_at(const kubeconfig_t *kc, size_t i)
{
    return i < kc->ncontexts ? &kc->infos[i] : NULL;
}

size_t kubeconfig_file_count(const kubeconfig_t *kc)
{
    return kc->nfiles;
}

const char *kubeconfig_file_at(const kubeconfig_t *kc, size_t i)
{
    return i < kc->nfiles ? kc->files[i] : NULL;
}

size_t kubeconfig_warning_count(const kubeconfig_t *kc)
{
    return kc->nwarnings;
}

const char *kubeconfig_warning_at(const kubeconfig_t *kc, size_t i)
{
    return i < kc->nwarnings ? kc->warnings[i] : NULL;
}

bool kubeconfig_is_in_cluster(const kubeconfig_t *kc)
{
    return kc->in_cluster;
}

/* ------------------------------------------------------------------ resolve */

void kube_target_free(kube_target_t *t)
{
    if (!t)
        return;
    free(t->context);
    free(t->cluster_name);
    free(t->user_name);
    free(t->namespace);
    free(t->server);
    free(t->tls_server_name);
    free(t->proxy_url);
    free(t->ca_pem);
    free(t->ca_file);
    free(t->cert_pem);
    kc_wipe_free(t->key_pem, t->key_pem_len);
    free(t->cert_file);
    free(t->key_file);
    kc_wipe_str(t->token);
    free(t->token_file);
    free(t->username);
    kc_wipe_str(t->password);
    kc_exec_free(t->exec);
    free(t->exec_cluster_config);
    free(t->impersonate_user);
    free(t->impersonate_uid);
    kc_strv_free(t->impersonate_groups, t->nimpersonate_groups);
    kc_strv_free(t->impersonate_extra_keys, t->nimpersonate_extra);
    kc_strv_free(t->impersonate_extra_values, t->nimpersonate_extra);
    free(t->source_file);
    kc_strv_free(t->warnings, t->nwarnings);
    free(t);
}

/* "a, b, c" of the names in an array of entries, cut to fit. */
static void kc_list_names(char *out, size_t cap, const void *arr, size_t n, size_t size,
                          char **(*name)(void *))
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && off + 8 < cap; i++) {
        const char *nm = *name((char *)arr + i * size);
        int w = snprintf(out + off, cap - off, "%s\"%s\"", i ? ", " : "", nm);
        if (w < 0)
            break;
        off += (size_t)w;
        if (off >= cap) {
            snprintf(out + cap - 5, 5, "...");
            break;
        }
    }
}

static void kc_list_files(char *out, size_t cap, const kubeconfig_t *kc)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < kc->nfiles && off < cap; i++) {
        int w = snprintf(out + off, cap - off, "%s%s", i ? ", " : "", kc->files[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (!kc->nfiles)
        snprintf(out, cap, "%s", kc->in_cluster ? "the in-cluster config" : "no file");
}

/* DNS-1123 label, as kubectl validates a context's namespace. Also keeps URL paths sane. */
static bool kc_valid_namespace(const char *ns)
{
    size_t n = strlen(ns);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = ns[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i < n - 1))
            return false;
    }
    return true;
}

static const char *kc_file_of(const kubeconfig_t *kc, size_t file)
{
    return file < kc->nfiles ? kc->files[file] : NULL;
}

/* Reads a file named by the config (CA, cert, key, token) into memory. */
static bool kc_slurp(const char *path, const char *what, const char *owner_kind,
                     const char *owner, unsigned char **out, size_t *len, kc_error_t *err)
{
    char *buf;
    if (kc_read_file(path, &buf, len, NULL) != KC_READ_OK) {
        kc_seterr(err, KC_ERR_IO, path, 0, 0, "cannot read %s for %s \"%s\": %s", what,
                  owner_kind, owner, strerror(errno));
        return false;
    }
    *out = (unsigned char *)buf;
    return true;
}

static unsigned char *kc_memdup(const unsigned char *p, size_t n)
{
    unsigned char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static bool kc_dup_into(char **dst, const char *src)
{
    *dst = NULL;
    return !src || (*dst = strdup(src)) != NULL;
}

static kc_exec_t *kc_exec_copy(const kc_exec_t *s)
{
    kc_exec_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (!kc_dup_into(&e->command, s->command) || !kc_dup_into(&e->api_version, s->api_version) ||
        !kc_dup_into(&e->install_hint, s->install_hint))
        goto fail;
    e->interactive_mode = s->interactive_mode;
    e->provide_cluster_info = s->provide_cluster_info;
    for (size_t i = 0; i < s->nargs; i++)
        if (!kc_strv_push(&e->args, &e->nargs, s->args[i]))
            goto fail;
    if (s->nenv) {
        e->env_names = calloc(s->nenv, sizeof *e->env_names);
        e->env_values = calloc(s->nenv, sizeof *e->env_values);
        if (!e->env_names || !e->env_values)
            goto fail;
        e->nenv = s->nenv;
        for (size_t i = 0; i < s->nenv; i++)
            if (!(e->env_names[i] = strdup(s->env_names[i])) ||
                !(e->env_values[i] = strdup(s->env_values[i])))
                goto fail;
    }
    return e;
fail:
    kc_exec_free(e);
    return NULL;
}

/* validateAuthInfo's exec checks, plus the apiVersions client-go still accepts. */
static bool kc_check_exec(const kubeconfig_t *kc, const kc_user_t *u, kc_exec_t *e,
                          kc_error_t *err)
{
    const char *file = kc_file_of(kc, u->file);
    if (!e->command || !e->command[0]) {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "command must be specified for user \"%s\" to use exec authentication plugin",
                  u->name);
        return false;
    }
    if (!e->api_version || !e->api_version[0]) {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "apiVersion must be specified for user \"%s\" to use exec authentication "
                  "plugin",
                  u->name);
        return false;
    }
    bool v1 = !strcmp(e->api_version, KC_API_V1);
    if (!v1 && strcmp(e->api_version, KC_API_V1BETA1) != 0) {
        kc_seterr(err, KC_ERR_UNSUPPORTED, file, u->line, 0,
                  "exec plugin for user \"%s\" uses apiVersion \"%s\"; supported are %s and %s",
                  u->name, e->api_version, KC_API_V1, KC_API_V1BETA1);
        return false;
    }
    for (size_t i = 0; i < e->nenv; i++) {
        if (!e->env_names[i][0]) {
            kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                      "env variable name must be specified for user \"%s\" to use exec "
                      "authentication plugin",
                      u->name);
            return false;
        }
    }
    const char *im = u->exec_interactive;
    if (!im || !im[0]) {
        if (v1) { /* client-go defaults only the beta API */
            kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                      "interactiveMode must be specified for user \"%s\" to use exec "
                      "authentication plugin",
                      u->name);
            return false;
        }
        e->interactive_mode = KC_INTERACTIVE_IF_AVAILABLE;
    } else if (!strcmp(im, "Never")) {
        e->interactive_mode = KC_INTERACTIVE_NEVER;
    } else if (!strcmp(im, "IfAvailable")) {
        e->interactive_mode = KC_INTERACTIVE_IF_AVAILABLE;
    } else if (!strcmp(im, "Always")) {
        e->interactive_mode = KC_INTERACTIVE_ALWAYS;
    } else {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "invalid interactiveMode for user \"%s\": \"%s\" (want Never, IfAvailable or "
                  "Always)",
                  u->name, im);
        return false;
    }
    return true;
}

static bool kc_target_warn(kube_target_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool kc_target_warn(kube_target_t *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return kc_strv_push(&t->warnings, &t->nwarnings, buf);
}

/* Group/other access to a key or token file is as bad as to the kubeconfig. */
static bool kc_check_secret_mode(kube_target_t *t, const char *path, const char *what)
{
    struct stat st;
    if (!path || stat(path, &st) != 0 || !(st.st_mode & 077))
        return true;
    return kc_target_warn(t, "%s %s is accessible by group or others (mode %04o): chmod 600 %s",
                          what, path, (unsigned)(st.st_mode & 07777), path);
}

static bool kc_resolve_cluster(const kubeconfig_t *kc, const kc_cluster_t *c, kube_target_t *t,
                               kc_error_t *err)
{
    const char *file = kc_file_of(kc, c->file);
    if (!c->server || !c->server[0]) {
        kc_seterr(err, KC_ERR_NO_SERVER, file, c->line, 0, "no server found for cluster \"%s\"",
                  c->name);
        return false;
    }
    if (c->ca_file && c->ca_file[0] && c->ca_data) {
        kc_seterr(err, KC_ERR_INVALID, file, c->line, 0,
                  "certificate-authority-data and certificate-authority are both specified for "
                  "cluster \"%s\"; specify only one",
                  c->name);
        return false;
    }
    if (c->insecure && ((c->ca_file && c->ca_file[0]) || c->ca_data)) {
        kc_seterr(err, KC_ERR_INVALID, file, c->line, 0,
                  "cluster \"%s\": specifying a root certificates file with the insecure flag "
                  "is not allowed",
                  c->name);
        return false;
    }
    if (c->proxy_url && c->proxy_url[0]) {
        const char *sep = strstr(c->proxy_url, "://");
        size_t sl = sep ? (size_t)(sep - c->proxy_url) : 0;
        if (!sep || !((sl == 4 && !strncasecmp(c->proxy_url, "http", 4)) ||
                      (sl == 5 && !strncasecmp(c->proxy_url, "https", 5)) ||
                      (sl == 6 && !strncasecmp(c->proxy_url, "socks5", 6)))) {
            kc_seterr(err, KC_ERR_INVALID, file, c->line, 0,
                      "invalid proxy-url for cluster \"%s\": scheme must be http, https, or "
                      "socks5",
                      c->name);
            return false;
        }
        if (!(t->proxy_url = strdup(c->proxy_url)))
            goto nomem;
    }
    if (c->ca_data) {
        if (!(t->ca_pem = kc_memdup(c->ca_data, c->ca_data_len)))
            goto nomem;
        t->ca_pem_len = c->ca_data_len;
    } else if (c->ca_file && c->ca_file[0]) {
        if (!(t->ca_file = strdup(c->ca_file)))
            goto nomem;
        if (!kc_slurp(c->ca_file, "certificate-authority", "cluster", c->name, &t->ca_pem,
                      &t->ca_pem_len, err))
            return false;
    }
    t->insecure_skip_tls_verify = c->insecure;
    t->disable_compression = c->disable_compression;
    if (c->tls_server_name && c->tls_server_name[0] &&
        !(t->tls_server_name = strdup(c->tls_server_name)))
        goto nomem;
    if (c->exec_ext_json && !(t->exec_cluster_config = strdup(c->exec_ext_json)))
        goto nomem;

    /* rest.DefaultServerURL: no scheme means https when TLS is configured, else http */
    const char *sep = strstr(c->server, "://");
    if (sep) {
        size_t sl = (size_t)(sep - c->server);
        if (!((sl == 4 && !strncasecmp(c->server, "http", 4)) ||
              (sl == 5 && !strncasecmp(c->server, "https", 5)))) {
            kc_seterr(err, KC_ERR_INVALID, file, c->line, 0,
                      "server of cluster \"%s\" must be an http:// or https:// URL", c->name);
            return false;
        }
        if (!(t->server = strdup(c->server)))
            goto nomem;
    } else {
        bool tls = t->ca_pem || c->insecure || t->tls_server_name;
        size_t n = strlen(c->server) + 9;
        if (!(t->server = malloc(n)))
            goto nomem;
        snprintf(t->server, n, "%s%s", tls ? "https://" : "http://", c->server);
    }
    size_t sl = strlen(t->server);
    size_t host_at = (size_t)(strstr(t->server, "://") + 3 - t->server);
    while (sl > host_at && t->server[sl - 1] == '/')
        t->server[--sl] = '\0';
    return true;
nomem:
    kc_nomem(err);
    return false;
}

static bool kc_resolve_user(const kubeconfig_t *kc, const kc_user_t *u, kube_target_t *t,
                            kc_error_t *err)
{
    const char *file = kc_file_of(kc, u->file);
    if (u->auth_provider) {
        kc_seterr(err, KC_ERR_UNSUPPORTED, file, u->line, 0,
                  "user \"%s\" uses auth-provider \"%s\", which kdeck does not support; "
                  "configure an exec credential plugin instead (kubelogin for oidc and azure, "
                  "gke-gcloud-auth-plugin for gcp)",
                  u->name, u->auth_provider[0] ? u->auth_provider : "(unnamed)");
        return false;
    }
    bool has_cert = (u->cert_file && u->cert_file[0]) || u->cert_data;
    bool has_key = (u->key_file && u->key_file[0]) || u->key_data;
    if (u->cert_file && u->cert_file[0] && u->cert_data) {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "client-certificate-data and client-certificate are both specified for user "
                  "\"%s\"; specify only one",
                  u->name);
        return false;
    }
    if (u->key_file && u->key_file[0] && u->key_data) {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "client-key-data and client-key are both specified for user \"%s\"; specify "
                  "only one",
                  u->name);
        return false;
    }
    if (has_cert != has_key) {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "user \"%s\" has a client %s but no client %s; both are needed", u->name,
                  has_cert ? "certificate" : "key", has_cert ? "key" : "certificate");
        return false;
    }
    bool has_token = (u->token && u->token[0]) || (u->token_file && u->token_file[0]);
    bool has_basic = (u->username && u->username[0]) || (u->password && u->password[0]);
    if (has_token && has_basic) {
        kc_seterr(err, KC_ERR_INVALID, file, u->line, 0,
                  "more than one authentication method found for user \"%s\"; found token and "
                  "basicAuth, only one is allowed",
                  u->name);
        return false;
    }
    if (has_cert) {
        if (u->cert_data) {
            if (!(t->cert_pem = kc_memdup(u->cert_data, u->cert_data_len)))
                goto nomem;
            t->cert_pem_len = u->cert_data_len;
        } else {
            if (!(t->cert_file = strdup(u->cert_file)))
                goto nomem;
            if (!kc_slurp(u->cert_file, "client-certificate", "user", u->name, &t->cert_pem,
                          &t->cert_pem_len, err))
                return false;
        }
        if (u->key_data) {
            if (!(t->key_pem = kc_memdup(u->key_data, u->key_data_len)))
                goto nomem;
            t->key_pem_len = u->key_data_len;
        } else {
            if (!(t->key_file = strdup(u->key_file)))
                goto nomem;
            if (!kc_slurp(u->key_file, "client-key", "user", u->name, &t->key_pem,
                          &t->key_pem_len, err))
                return false;
            if (!u->in_cluster && !kc_check_secret_mode(t, u->key_file, "client-key"))
                goto nomem;
        }
    }
    if (u->token_file && u->token_file[0]) {
        if (!(t->token_file = strdup(u->token_file)))
            goto nomem;
        unsigned char *raw;
        size_t len;
        if (!kc_slurp(u->token_file, "tokenFile", "user", u->name, &raw, &len, err))
            return false;
        /* client-go's cached file token source trims surrounding space */
        t->token = kc_trim_dup((const char *)raw, len);
        kc_wipe_free(raw, len);
        if (!t->token)
            goto nomem;
        if (!u->in_cluster && !kc_check_secret_mode(t, u->token_file, "tokenFile"))
            goto nomem;
    } else if (u->token && u->token[0]) {
        if (!(t->token = strdup(u->token)))
            goto nomem;
    }
    if (has_basic && (!kc_dup_into(&t->username, u->username ? u->username : "") ||
                      !kc_dup_into(&t->password, u->password ? u->password : "")))
        goto nomem;
    if (!kc_dup_into(&t->impersonate_user, u->as) || !kc_dup_into(&t->impersonate_uid, u->as_uid))
        goto nomem;
    for (size_t i = 0; i < u->nas_groups; i++)
        if (!kc_strv_push(&t->impersonate_groups, &t->nimpersonate_groups, u->as_groups[i]))
            goto nomem;
    for (size_t i = 0; i < u->nextra; i++) {
        size_t nk = t->nimpersonate_extra;
        if (!kc_strv_push(&t->impersonate_extra_keys, &nk, u->extra_keys[i]))
            goto nomem;
        if (!kc_strv_push(&t->impersonate_extra_values, &t->nimpersonate_extra,
                          u->extra_values[i])) {
            free(t->impersonate_extra_keys[nk - 1]);
            goto nomem;
        }
    }
    if (u->exec) {
        kc_exec_t *e = kc_exec_copy(u->exec);
        if (!e)
            goto nomem;
        if (!kc_check_exec(kc, u, e, err)) {
            kc_exec_free(e);
            return false;
        }
        /* client-go's exec authenticator stands aside when static credentials exist */
        if (has_token || has_basic || has_cert) {
            kc_exec_free(e);
            if (!kc_target_warn(t,
                                "user \"%s\": exec plugin %s is not used because the user also "
                                "has a %s",
                                u->name, u->exec->command,
                                has_token ? "token" : has_basic ? "username/password"
                                                                : "client certificate"))
                goto nomem;
        } else {
            t->exec = e;
        }
    }
    return true;
nomem:
    kc_nomem(err);
    return false;
}

kube_target_t *kubeconfig_resolve(const kubeconfig_t *kc, const char *context,
                                  const char *ns_override, kc_error_t *err)
{
    char names[512], files[512];
    kc_err_clear(err);
    kc_list_files(files, sizeof files, kc);
    const char *want = context && context[0] ? context : kc->current;
    if (!want) {
        kc_list_names(names, sizeof names, kc->contexts, kc->ncontexts, sizeof(kc_ctx_t),
                      kc_ctx_name);
        if (kc->ncontexts)
            kc_seterr(err, KC_ERR_NO_CONTEXT, NULL, 0, 0,
                      "no current-context is set in %s; choose one with --context (available: "
                      "%s)",
                      files, names);
        else
            kc_seterr(err, KC_ERR_NO_CONTEXT, NULL, 0, 0, "no contexts are defined in %s",
                      files);
        return NULL;
    }
    const kc_ctx_t *x = NULL;
    for (size_t i = 0; i < kc->ncontexts && !x; i++)
        if (!strcmp(kc->contexts[i].name, want))
            x = &kc->contexts[i];
    if (!x) {
        kc_list_names(names, sizeof names, kc->contexts, kc->ncontexts, sizeof(kc_ctx_t),
                      kc_ctx_name);
        kc_seterr(err, KC_ERR_UNKNOWN_CONTEXT, NULL, 0, 0,
                  "context \"%s\" not found in %s; available contexts: %s", want, files,
                  kc->ncontexts ? names : "none");
        return NULL;
    }
    const char *xfile = kc_file_of(kc, x->file);
    if (!x->cluster || !x->cluster[0]) {
        kc_seterr(err, KC_ERR_MISSING_CLUSTER, xfile, x->line, 0,
                  "cluster was not specified for context \"%s\"", x->name);
        return NULL;
    }
    const kc_cluster_t *c = NULL;
    for (size_t i = 0; i < kc->nclusters && !c; i++)
        if (!strcmp(kc->clusters[i].name, x->cluster))
            c = &kc->clusters[i];
    if (!c) {
        kc_list_names(names, sizeof names, kc->clusters, kc->nclusters, sizeof(kc_cluster_t),
                      kc_cluster_name);
        kc_seterr(err, KC_ERR_MISSING_CLUSTER, xfile, x->line, 0,
                  "cluster \"%s\" was not found for context \"%s\" (defined clusters: %s)",
                  x->cluster, x->name, kc->nclusters ? names : "none");
        return NULL;
    }
    const kc_user_t *u = NULL;
    if (x->user && x->user[0]) {
        for (size_t i = 0; i < kc->nusers && !u; i++)
            if (!strcmp(kc->users[i].name, x->user))
                u = &kc->users[i];
        /* kubectl would fall back to anonymous; a typo should not silently drop credentials */
        if (!u) {
            kc_list_names(names, sizeof names, kc->users, kc->nusers, sizeof(kc_user_t),
                          kc_user_name);
            kc_seterr(err, KC_ERR_MISSING_USER, xfile, x->line, 0,
                      "user \"%s\" was not found for context \"%s\" (defined users: %s)",
                      x->user, x->name, kc->nusers ? names : "none");
            return NULL;
        }
    }
    const char *ns = ns_override && ns_override[0] ? ns_override
                     : x->namespace && x->namespace[0] ? x->namespace
                                                       : "default";
    if (!kc_valid_namespace(ns)) {
        bool from_ctx = !(ns_override && ns_override[0]);
        kc_seterr(err, KC_ERR_INVALID, from_ctx ? xfile : NULL, from_ctx ? x->line : 0, 0,
                  "namespace \"%.80s\"%s%s%s does not conform to the kubernetes DNS_LABEL rules",
                  ns, from_ctx ? " for context \"" : "", from_ctx ? x->name : "",
                  from_ctx ? "\"" : "");
        return NULL;
    }

    kube_target_t *t = calloc(1, sizeof *t);
    if (!t)
        goto nomem;
    t->in_cluster = kc->in_cluster;
    if (!kc_dup_into(&t->context, x->name) || !kc_dup_into(&t->cluster_name, c->name) ||
        !kc_dup_into(&t->user_name, u ? u->name : "") || !kc_dup_into(&t->namespace, ns) ||
        !kc_dup_into(&t->source_file, xfile ? xfile : ""))
        goto nomem;
    for (size_t i = 0; i < kc->nwarnings; i++)
        if (!kc_strv_push(&t->warnings, &t->nwarnings, kc->warnings[i]))
            goto nomem;
    if (!kc_resolve_cluster(kc, c, t, err) || (u && !kc_resolve_user(kc, u, t, err))) {
        kube_target_free(t);
        return NULL;
    }
    if (!strncmp(t->server, "http://", 7) && (t->token || t->password || t->exec) &&
        !kc_target_warn(t, "cluster \"%s\" uses plain http: credentials travel unencrypted",
                        c->name))
        goto nomem;
    return t;
nomem:
    kube_target_free(t);
    kc_nomem(err);
    return NULL;
}
