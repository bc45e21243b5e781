/* kubeconfig: finds, loads and merges kubeconfig files the way kubectl (client-go clientcmd)
 * does, and resolves one context into the connection kdeck needs (kube_target_t).
 *
 *   Which files:  opts->kubeconfig_path (--kubeconfig) alone, else $KUBECONFIG (':'-separated,
 *                 missing files skipped, duplicates ignored), else $HOME/.kube/config. When that
 *                 yields no configuration at all and KUBERNETES_SERVICE_HOST/PORT are set and the
 *                 service-account token exists, an in-cluster config with one context named
 *                 "in-cluster" is synthesised.
 *   Merging:      the first file that defines a cluster/user/context name wins (the whole entry),
 *                 and the first non-empty current-context wins. A name defined twice in the
 *                 same file is an error (as in kubectl).
 *   Paths:        relative certificate-authority, client-certificate, client-key, tokenFile and
 *                 exec commands containing '/' are resolved against the directory of the file
 *                 they were written in.
 *
 * Nothing here prints; errors come back in a kc_error_t and non-fatal findings (insecure file
 * modes, ignored settings) as warnings in the result. Messages never contain secrets. */
#ifndef KDECK_KUBECONFIG_H
#define KDECK_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Error codes; the X-macro gives the enum and kc_errcode_name(). */
#define KC_ERRCODES(X)                                                           \
    X(KC_OK, "ok")                                                               \
    X(KC_ERR_NOMEM, "out of memory")                                             \
    X(KC_ERR_IO, "file not readable")                                            \
    X(KC_ERR_SYNTAX, "YAML syntax error")                                        \
    X(KC_ERR_SCHEMA, "invalid kubeconfig field")                                 \
    X(KC_ERR_BASE64, "invalid base64 data")                                      \
    X(KC_ERR_NO_CONFIG, "no configuration found")                                \
    X(KC_ERR_NO_CONTEXT, "no context selected")                                  \
    X(KC_ERR_UNKNOWN_CONTEXT, "context not found")                               \
    X(KC_ERR_MISSING_CLUSTER, "cluster not found")                               \
    X(KC_ERR_MISSING_USER, "user not found")                                     \
    X(KC_ERR_NO_SERVER, "cluster has no server")                                 \
    X(KC_ERR_INVALID, "invalid configuration")                                   \
    X(KC_ERR_UNSUPPORTED, "unsupported configuration")                           \
    X(KC_ERR_CREDENTIAL, "invalid ExecCredential")

#define KC_ENUM_ITEM(name, text) name,
typedef enum kc_errcode { KC_ERRCODES(KC_ENUM_ITEM) } kc_errcode_t;
#undef KC_ENUM_ITEM

typedef struct kc_error {
    kc_errcode_t code;
    char file[512]; /* file the error is about, "" when none */
    int line, col;  /* 1-based position in file, 0 when unknown */
    char msg[1024]; /* full message, e.g. "/h/.kube/config:7:3: clusters[0].cluster.server must
                       be a string, not a mapping" */
} kc_error_t;

/* Short name of a code ("context not found"). */
const char *kc_errcode_name(kc_errcode_t code);

typedef enum kc_interactive {
    KC_INTERACTIVE_UNSET = 0, /* only after a failed validation */
    KC_INTERACTIVE_NEVER,
    KC_INTERACTIVE_IF_AVAILABLE,
    KC_INTERACTIVE_ALWAYS,
} kc_interactive_t;

/* users[].user.exec: a client-go credential plugin. Parsed and validated, not run. */
typedef struct kc_exec {
    char *command;            /* resolved against the kubeconfig directory if it contains '/' */
    char **args;
    size_t nargs;
    char **env_names, **env_values; /* extra environment, in order */
    size_t nenv;
    char *api_version;        /* client.authentication.k8s.io/v1 or /v1beta1 */
    char *install_hint;       /* may be NULL */
    kc_interactive_t interactive_mode; /* v1beta1 defaults to IfAvailable; v1 requires it */
    bool provide_cluster_info;
} kc_exec_t;

/* One context, for a contexts view. Strings are owned by the kubeconfig_t. */
typedef struct kc_context_info {
    const char *name;
    const char *cluster;    /* may be "" */
    const char *user;       /* may be "" (anonymous) */
    const char *namespace;  /* may be "" (means "default") */
    const char *source_file;
    bool current;           /* the current-context */
} kc_context_info_t;

typedef struct kubeconfig_opts {
    const char *kubeconfig_path; /* --kubeconfig: only this file, which must exist */
    /* NULL: $KDECK_SA_DIR, else /var/run/secrets/kubernetes.io/serviceaccount */
    const char *sa_dir;
} kubeconfig_opts_t;

typedef struct kubeconfig kubeconfig_t;

/* The resolved connection: what kdeck needs to talk to one API server. All owned by the
 * target; free with kube_target_free(). Secrets are wiped on free. */
typedef struct kube_target {
    char *context, *cluster_name, *user_name; /* user_name "" = anonymous */
    char *namespace;          /* -n override, else the context's, else "default" */
    char *server;             /* with scheme, without trailing '/' */
    char *tls_server_name, *proxy_url; /* NULL when unset */
    bool insecure_skip_tls_verify;
    bool disable_compression;
    /* CA: ca_pem holds the bytes whenever a CA is configured (from -data or read from
     * ca_file); ca_file names the file it came from. Neither = system CAs. */
    unsigned char *ca_pem;
    size_t ca_pem_len;
    char *ca_file;
    /* Client certificate, same scheme (both or neither). */
    unsigned char *cert_pem, *key_pem;
    size_t cert_pem_len, key_pem_len;
    char *cert_file, *key_file;
    /* Bearer token: token_file, when set, should be re-read periodically (projected service
     * account tokens rotate); its content at resolve time is already in token and wins over an
     * inline token, as in client-go. */
    char *token, *token_file;
    char *username, *password; /* basic auth */
    kc_exec_t *exec;           /* NULL unless the user has an exec plugin and no static creds */
    char *exec_cluster_config; /* JSON of the cluster's client.authentication.k8s.io/exec
                                  extension, for KUBERNETES_EXEC_INFO; NULL when absent */
    /* Impersonation (users[].user.as / as-uid / as-groups / as-user-extra). */
    char *impersonate_user, *impersonate_uid;
    char **impersonate_groups;
    size_t nimpersonate_groups;
    char **impersonate_extra_keys, **impersonate_extra_values; /* one pair per value */
    size_t nimpersonate_extra;
    bool in_cluster;
    char *source_file;        /* file the context came from ("" for in-cluster) */
    char **warnings;          /* for the status line / log; never contain secrets */
    size_t nwarnings;
} kube_target_t;

/* Finds and loads the kubeconfig (see the top of this file). NULL on error with *err set. */
kubeconfig_t *kubeconfig_load(const kubeconfig_opts_t *opts, kc_error_t *err);

/* Loads exactly the given files in order (no environment): what kubeconfig_load does after
 * choosing the files; files that do not exist are skipped when skip_missing. Useful for tests
 * and for a "switch kubeconfig" action. */
kubeconfig_t *kubeconfig_load_files(const char *const *paths, size_t npaths, bool skip_missing,
                                     kc_error_t *err);

void kubeconfig_free(kubeconfig_t *kc);

/* The current-context, or NULL when none is set. */
const char *kubeconfig_current_context(const kubeconfig_t *kc);

/* Contexts sorted by name (as `kubectl config get-contexts` lists them). */
size_t kubeconfig_context_count(const kubeconfig_t *kc);
const kc_context_info_t *kubeconfig_context_at(const kubeconfig_t *kc, size_t i);

/* Files that were actually read, in precedence order. */
size_t kubeconfig_file_count(const kubeconfig_t *kc);
const char *kubeconfig_file_at(const kubeconfig_t *kc, size_t i);

/* Load-time warnings (e.g. a group/world-readable file). Also copied into every target. */
size_t kubeconfig_warning_count(const kubeconfig_t *kc);
const char *kubeconfig_warning_at(const kubeconfig_t *kc, size_t i);

bool kubeconfig_is_in_cluster(const kubeconfig_t *kc);

/* Resolves a context (NULL = current-context) with an optional namespace override (NULL or ""
 * = none) into a target, validating it the way kubectl does before connecting, and reading the
 * CA / client certificate / key / token files it names. NULL on error with *err set. */
kube_target_t *kubeconfig_resolve(const kubeconfig_t *kc, const char *context,
                                  const char *ns_override, kc_error_t *err);

void kube_target_free(kube_target_t *t);

/* ---- exec credential plugins (pure functions; running the plugin is the auth module's job) */

/* status of an ExecCredential, parsed from the plugin's stdout. */
typedef struct kc_exec_credential {
    char *token;                     /* NULL when the plugin returned a certificate pair */
    char *client_cert_pem, *client_key_pem; /* both or neither */
    time_t expiration;               /* 0 = does not expire */
} kc_exec_credential_t;

/* Parses the plugin's stdout. expected_api_version is the exec config's apiVersion; the
 * document must have the same apiVersion and kind ExecCredential, and a status with a token
 * or a certificate/key pair. Returns false with *err (code KC_ERR_CREDENTIAL) on error. An
 * already expired credential parses fine; check it with kc_exec_credential_expired(). */
bool kc_exec_credential_parse(const char *json, size_t len, const char *expected_api_version,
                              kc_exec_credential_t *out, kc_error_t *err);

/* Frees the fields (wiping secrets); the struct itself is the caller's. */
void kc_exec_credential_clear(kc_exec_credential_t *cred);

/* True when the credential expires at or before now + skew_seconds. */
bool kc_exec_credential_expired(const kc_exec_credential_t *cred, time_t now, int skew_seconds);

/* Decides whether the plugin runs interactively (spec.interactive), from its interactiveMode and
 * whether kdeck can give it a terminal. False with *err when the mode is Always and there is
 * no terminal (client-go refuses to run it then). */
bool kc_exec_interactive(const kc_exec_t *exec, bool have_terminal, bool *interactive,
                         kc_error_t *err);

/* The KUBERNETES_EXEC_INFO value for t->exec: an ExecCredential with spec.interactive and, when
 * provideClusterInfo is set, spec.cluster (server, tls-server-name, insecure-skip-tls-verify,
 * certificate-authority-data, proxy-url, disable-compression, config). New string (free()), or
 * NULL on ENOMEM or when t->exec is NULL. */
char *kc_exec_info_json(const kube_target_t *t, bool interactive);

/* Parses an RFC 3339 timestamp ("2024-05-01T10:00:00Z", fractions and offsets allowed) into a
 * UTC time_t. False when malformed. */
bool kc_parse_rfc3339(const char *s, time_t *out);

#endif
