/* validate: Kubernetes' naming and quantity rules (k8s.io/apimachinery/pkg/util/validation,
 * api/resource) and the rules between descriptor fields. Messages follow the API server's
 * wording so an operator recognises them from kubectl. */
#include "kdeck/validate.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return isalnum((unsigned char)c) != 0; }

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool dns_label_ok(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

const char *validate_nonempty(const char *s)
{
    return !s || !*s ? "must not be empty" : NULL;
}

const char *validate_dns_label(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    if (strlen(s) > 63)
        return "must be no more than 63 characters";
    if (!dns_label_ok(s, strlen(s)))
        return "must consist of lower case alphanumeric characters or '-', and must start and "
               "end with an alphanumeric character (e.g. 'my-name' or '123-abc')";
    return NULL;
}

const char *validate_dns1035_label(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    if (strlen(s) > 63)
        return "must be no more than 63 characters";
    if (!dns_label_ok(s, strlen(s)) || !(s[0] >= 'a' && s[0] <= 'z'))
        return "must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name')";
    return NULL;
}

const char *validate_dns_subdomain(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    size_t n = strlen(s);
    if (n > 253)
        return "must be no more than 253 characters";
    for (const char *p = s;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!dns_label_ok(p, len))
            return "must consist of lower case alphanumeric characters, '-' or '.', and must "
                   "start and end with an alphanumeric character (e.g. 'example.com')";
        if (!dot)
            break;
        p = dot + 1;
    }
    return NULL;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n) */
static bool qualified_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

const char *validate_label_key(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    const char *slash = strchr(s, '/'), *name = s;
    if (slash) {
        if (strchr(slash + 1, '/'))
            return "must be a name with an optional DNS subdomain prefix and '/' "
                   "(e.g. 'example.com/MyName')";
        size_t plen = (size_t)(slash - s);
        char prefix[256];
        if (plen == 0)
            return "prefix part must not be empty";
        if (plen > 253)
            return "prefix part must be no more than 253 characters";
        memcpy(prefix, s, plen);
        prefix[plen] = '\0';
        if (validate_dns_subdomain(prefix))
            return "prefix part must be a DNS subdomain (lower case alphanumeric characters, "
                   "'-' or '.', e.g. 'example.com')";
        name = slash + 1;
    }
    size_t n = strlen(name);
    if (n == 0)
        return "name part must not be empty";
    if (n > 63)
        return "name part must be no more than 63 characters";
    if (!qualified_ok(name, n))
        return "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character (e.g. 'MyName', 'my.name')";
    return NULL;
}

const char *validate_label_value(const char *s)
{
    if (!s)
        return "must not be empty";
    size_t n = strlen(s);
    if (n == 0)
        return NULL;
    if (n > 63)
        return "must be no more than 63 characters";
    if (!qualified_ok(s, n))
        return "must consist of alphanumeric characters, '-', '_' or '.', and must start and "
               "end with an alphanumeric character (e.g. 'MyValue', 'my_value', '12345')";
    return NULL;
}

const char *validate_env_name(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    for (const char *p = s; *p; p++) {
        bool letter = isalpha((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_';
        if (!letter && !(p > s && isdigit((unsigned char)*p)))
            return "must consist of alphabetic characters, digits, '_', '-', or '.', and must "
                   "not start with a digit";
    }
    return NULL;
}

const char *validate_config_key(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    if (strlen(s) > 253)
        return "must be no more than 253 characters";
    if (!strcmp(s, ".") || !strcmp(s, ".."))
        return "must not be '.' or '..'";
    for (const char *p = s; *p; p++)
        if (!is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return "must consist of alphanumeric characters, '-', '_' or '.'";
    return NULL;
}

/* ---- image references (the distribution/reference grammar) ---- */

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]))
        return false;
    while (i < n) {
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == n || !is_lower_alnum(s[i]) || i == sep)
            return false;
    }
    return true;
}

/* domain-component ('.' domain-component)* (':' port)? */
static bool domain_ok(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host = colon ? (size_t)(colon - s) : n;
    if (colon) {
        size_t plen = n - host - 1;
        if (plen == 0 || plen > 5)
            return false;
        for (size_t i = host + 1; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
    }
    size_t start = 0;
    for (size_t i = 0; i <= host; i++) {
        if (i == host || s[i] == '.') {
            size_t len = i - start;
            const char *c = s + start;
            if (len == 0 || !is_alnum(c[0]) || !is_alnum(c[len - 1]))
                return false;
            for (size_t k = 0; k < len; k++)
                if (!is_alnum(c[k]) && c[k] != '-')
                    return false;
            start = i + 1;
        }
    }
    return true;
}

const char *validate_image(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return "must not contain spaces or control characters";
    size_t n = strlen(s);
    /* Split off @digest, then :tag (a ':' after the last '/'). */
    const char *at = strchr(s, '@');
    size_t name_end = at ? (size_t)(at - s) : n;
    if (at) {
        const char *d = at + 1, *colon = strchr(d, ':');
        if (!colon || colon == d)
            return "digest must be algorithm:hex (e.g. sha256:...)";
        for (const char *p = d; p < colon; p++)
            if (!is_lower_alnum(*p) && !strchr("+._-", *p))
                return "digest algorithm is invalid";
        size_t hexlen = strlen(colon + 1);
        for (const char *p = colon + 1; *p; p++)
            if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
                return "digest must be lowercase hexadecimal";
        if (!strncmp(d, "sha256:", 7) && hexlen != 64)
            return "sha256 digest must have 64 hex digits";
        if (hexlen < 32)
            return "digest is too short";
    }
    size_t last_slash = 0;
    bool has_slash = false;
    for (size_t i = 0; i < name_end; i++)
        if (s[i] == '/') {
            last_slash = i;
            has_slash = true;
        }
    size_t tag_colon = name_end;
    for (size_t i = has_slash ? last_slash : 0; i < name_end; i++)
        if (s[i] == ':') {
            tag_colon = i;
            break;
        }
    if (tag_colon < name_end) {
        const char *t = s + tag_colon + 1;
        size_t tlen = name_end - tag_colon - 1;
        if (tlen == 0)
            return "tag must not be empty";
        if (tlen > 128)
            return "tag must be no more than 128 characters";
        if (!(is_alnum(t[0]) || t[0] == '_'))
            return "tag must start with a letter, digit or '_'";
        for (size_t i = 0; i < tlen; i++)
            if (!is_alnum(t[i]) && !strchr("_.-", t[i]))
                return "tag may contain only letters, digits, '_', '.' and '-'";
    }
    size_t name_len = tag_colon;
    if (name_len == 0)
        return "repository name must not be empty";
    if (name_len > 255)
        return "repository name must be no more than 255 characters";
    /* The first component is a registry when it has a '.' or ':' or is localhost. (Docker also
     * takes "App/x" as registry "App"; that is far more likely a typo, so it is rejected.) */
    size_t pos = 0;
    const char *slash = memchr(s, '/', name_len);
    if (slash) {
        size_t flen = (size_t)(slash - s);
        bool is_domain = flen == 9 && !strncmp(s, "localhost", 9);
        for (size_t i = 0; i < flen; i++)
            if (s[i] == '.' || s[i] == ':')
                is_domain = true;
        if (is_domain) {
            if (!domain_ok(s, flen))
                return "registry must be a host name with an optional :port";
            pos = flen + 1;
        }
    }
    while (pos <= name_len) {
        const char *c = s + pos;
        const char *e = memchr(c, '/', name_len - pos);
        size_t len = e ? (size_t)(e - c) : name_len - pos;
        for (size_t i = 0; i < len; i++)
            if (isupper((unsigned char)c[i]))
                return "repository name must be lowercase";
        if (!path_component_ok(c, len))
            return len == 0 ? "repository path must not have empty components"
                            : "repository path components must be lowercase letters and digits "
                              "separated by '.', '_', '__' or '-'";
        pos += len + 1;
        if (!e)
            break;
    }
    return NULL;
}

const char *validate_port(long port)
{
    return port < 1 || port > 65535 ? "must be an integer 1-65535" : NULL;
}

const char *validate_port_name(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    size_t n = strlen(s);
    if (n > 15)
        return "must be no more than 15 characters";
    bool letter = false;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return "must contain only lower case alphanumeric characters or '-'";
        letter |= s[i] >= 'a' && s[i] <= 'z';
        if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
            return "must not contain consecutive hyphens";
    }
    if (!letter)
        return "must contain at least one letter";
    if (s[0] == '-' || s[n - 1] == '-')
        return "must not begin or end with a hyphen";
    return NULL;
}

/* ---- quantities ---- */

static const struct {
    const char *suffix;
    int exp10, exp2;
} quantity_suffixes[] = {
    {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
    {"m", -3, 0},  {"", 0, 0},    {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
    {"P", 15, 0},  {"E", 18, 0},
};

#define QUANTITY_FORMAT "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' " \
                        "(e.g. 250m, 1.5, 512Mi, 1G)"

const char *validate_quantity_milli(const char *s, int64_t *milli)
{
    if (!s || !*s)
        return "must not be empty";
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    /* Mantissa digits without the point; frac counts digits after it. */
    uint64_t mant = 0;
    int frac = 0, digits = 0, sig = 0;
    bool point = false, overflow_digits = false;
    for (; *p; p++) {
        if (*p == '.') {
            if (point)
                return QUANTITY_FORMAT;
            point = true;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        digits++;
        if (mant == 0 && *p == '0') {
            if (point)
                frac++;
            continue;
        }
        if (sig >= 18) {            /* beyond 18 significant digits: keep the scale only */
            overflow_digits |= *p != '0';
            if (!point)
                frac--;
            continue;
        }
        mant = mant * 10 + (uint64_t)(*p - '0');
        sig++;
        if (point)
            frac++;
    }
    if (digits == 0)
        return QUANTITY_FORMAT;
    int exp10 = 0, exp2 = 0;
    if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
                                     ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
        p++;
        bool eneg = false;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        long e = 0;
        for (; isdigit((unsigned char)*p); p++)
            if ((e = e * 10 + (*p - '0')) > 1000)
                return "exponent is too large";
        if (*p)
            return QUANTITY_FORMAT;
        exp10 = (int)(eneg ? -e : e);
    } else {
        bool found = false;
        for (size_t i = 0; i < sizeof quantity_suffixes / sizeof quantity_suffixes[0]; i++)
            if (!strcmp(p, quantity_suffixes[i].suffix)) {
                exp10 = quantity_suffixes[i].exp10;
                exp2 = quantity_suffixes[i].exp2;
                found = true;
                break;
            }
        if (!found)
            return QUANTITY_FORMAT;
    }
    /* value * 1000 = mant * 2^exp2 * 10^(exp10 + 3 - frac), rounded up like MilliValue(). */
    int e10 = exp10 + 3 - frac;
    while (e10 < 0 && mant && mant % 10 == 0) {
        mant /= 10;
        e10++;
    }
    uint64_t v = mant;
    const uint64_t lim = (uint64_t)INT64_MAX;
    for (int i = 0; i < exp2 && v; i++) {
        if (v > lim / 2)
            return "is too large";
        v *= 2;
    }
    bool inexact = overflow_digits;
    for (; e10 > 0 && v; e10--) {
        if (v > lim / 10)
            return "is too large";
        v *= 10;
    }
    for (; e10 < 0 && v; e10++) {
        inexact |= v % 10 != 0;
        v /= 10;
    }
    if (inexact && v < lim)
        v++;                       /* round away from zero to the next milli-unit */
    *milli = neg ? -(int64_t)v : (int64_t)v;
    return NULL;
}

const char *validate_quantity(const char *s)
{
    int64_t m;
    const char *msg = validate_quantity_milli(s, &m);
    if (msg)
        return msg;
    if (m < 0)
        return "must be greater than or equal to 0";
    return NULL;
}

const char *validate_host(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    const char *h = s;
    if (!strncmp(s, "*.", 2))
        h = s + 2;
    else if (strchr(s, '*'))
        return "a wildcard must be the first label, as in '*.example.com'";
    bool ip = true;
    int dots = 0;
    for (const char *p = h; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            ip = false;
    }
    if (ip && dots == 3)
        return "must be a DNS name, not an IP address";
    if (strchr(h, ':'))
        return "must be a DNS name, not an IP address or host:port";
    const char *msg = validate_dns_subdomain(h);
    if (msg)
        return msg;
    return NULL;
}

const char *validate_path(const char *s)
{
    if (!s || !*s)
        return "must not be empty";
    if (s[0] != '/')
        return "must be an absolute path (start with '/')";
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return "must not contain spaces or control characters";
    return NULL;
}

/* ---- the rules between fields ---- */

static void check_requests_limits(const desc_resources_t *r, const char *base, desc_problems_t *pr)
{
    if (!r || !r->requests || !r->limits)
        return;
    static const struct { const char *name; size_t off; } res[] = {
        {"cpu", offsetof(desc_reslist_t, cpu)},
        {"memory", offsetof(desc_reslist_t, memory)},
    };
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
        const char *req, *lim;
        memcpy(&req, (const char *)r->requests + res[i].off, sizeof req);
        memcpy(&lim, (const char *)r->limits + res[i].off, sizeof lim);
        int64_t a, b;
        if (!req || !lim || validate_quantity_milli(req, &a) || validate_quantity_milli(lim, &b))
            continue;
        if (a > b) {
            char path[256];
            snprintf(path, sizeof path, "%s.requests.%s", base, res[i].name);
            desc_problems_add(pr, path, "must be less than or equal to the %s limit (%s)",
                              res[i].name, lim);
        }
    }
}

static bool container_has_port(const descriptor_t *d, const desc_intstr_t *port)
{
    for (size_t c = 0; c < d->n_containers; c++)
        for (size_t i = 0; i < d->containers[c].n_ports; i++) {
            const desc_port_t *p = &d->containers[c].ports[i];
            if (port->str ? p->name && !strcmp(p->name, port->str)
                          : p->container_port == port->num)
                return true;
        }
    return false;
}

static bool container_port_name(const desc_container_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_ports; i++)
        if (c->ports[i].name && !strcmp(c->ports[i].name, name))
            return true;
    return false;
}

static void check_env_unique(const desc_env_t *env, size_t n, const char *base, desc_problems_t *pr)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (env[i].name && env[j].name && !strcmp(env[i].name, env[j].name)) {
                char path[256];
                snprintf(path, sizeof path, "%s.env[%zu].name", base, i);
                desc_problems_add(pr, path, "duplicate name (also env[%zu])", j);
                break;
            }
}

static void check_probe(const desc_container_t *c, const desc_probe_t *pb, const char *path,
                        bool liveness, desc_problems_t *pr)
{
    char p[256];
    if (!pb)
        return;
    if (liveness && pb->success_threshold != DESC_UNSET && pb->success_threshold != 1) {
        snprintf(p, sizeof p, "%s.successThreshold", path);
        desc_problems_add(pr, p, "must be 1 for a liveness probe");
    }
    /* A named port must be one of this container's ports, or the kubelet cannot resolve it. */
    const desc_intstr_t *port = pb->http_get ? &pb->http_get->port
                              : pb->tcp_socket ? &pb->tcp_socket->port : NULL;
    if (port && port->str && !validate_port_name(port->str) && !container_port_name(c, port->str)) {
        snprintf(p, sizeof p, "%s.%s.port", path, pb->http_get ? "httpGet" : "tcpSocket");
        desc_problems_add(pr, p, "no container port is named %s", port->str);
    }
}

static void check_containers(const descriptor_t *d, desc_problems_t *pr)
{
    char base[64], p[256];
    for (size_t i = 0; i < d->n_containers; i++) {
        const desc_container_t *c = &d->containers[i];
        snprintf(base, sizeof base, "containers[%zu]", i);
        for (size_t j = 0; j < i; j++)
            if (c->name && d->containers[j].name && !strcmp(c->name, d->containers[j].name)) {
                snprintf(p, sizeof p, "%s.name", base);
                desc_problems_add(pr, p, "duplicate container name (also containers[%zu])", j);
                break;
            }
        for (size_t k = 0; k < c->n_ports; k++)
            for (size_t j = 0; j < k; j++) {
                const desc_port_t *a = &c->ports[k], *b = &c->ports[j];
                if (a->name && b->name && !strcmp(a->name, b->name)) {
                    snprintf(p, sizeof p, "%s.ports[%zu].name", base, k);
                    desc_problems_add(pr, p, "duplicate port name (also ports[%zu])", j);
                    break;
                }
                if (a->container_port == b->container_port && a->container_port != DESC_UNSET &&
                    !strcmp(a->protocol ? a->protocol : "TCP", b->protocol ? b->protocol : "TCP")) {
                    snprintf(p, sizeof p, "%s.ports[%zu].containerPort", base, k);
                    desc_problems_add(pr, p, "duplicate port (also ports[%zu])", j);
                    break;
                }
            }
        check_env_unique(c->env, c->n_env, base, pr);
        snprintf(p, sizeof p, "%s.resources", base);
        check_requests_limits(c->resources, p, pr);
        snprintf(p, sizeof p, "%s.readinessProbe", base);
        check_probe(c, c->readiness_probe, p, false, pr);
        snprintf(p, sizeof p, "%s.livenessProbe", base);
        check_probe(c, c->liveness_probe, p, true, pr);
    }
}

bool descriptor_validate(const descriptor_t *d, desc_problems_t *problems)
{
    desc_problems_t local = {0};
    desc_problems_t *pr = problems ? problems : &local;
    size_t before = pr->n;
    if (!d) {
        desc_problems_add(pr, "", "no descriptor");
        desc_problems_free(&local);
        return false;
    }
    descriptor_check_fields(d, pr);
    check_containers(d, pr);

    bool blue_green = d->rollout && d->rollout->strategy && !strcmp(d->rollout->strategy, "blueGreen");
    if (blue_green && d->name && strlen(d->name) + strlen("-green") > 63)
        desc_problems_add(pr, "name", "must be no more than 57 characters for a blue/green "
                                      "rollout (<name>-green is a Deployment name)");
    if (blue_green && !d->service)
        desc_problems_add(pr, "service", "is required for a blue/green rollout (traffic is "
                                         "switched by the Service selector)");

    if (d->service) {
        const desc_intstr_t *tp = &d->service->target_port;
        if (tp->str && !validate_port_name(tp->str) && !container_has_port(d, tp))
            desc_problems_add(pr, "service.targetPort", "no container port is named %s", tp->str);
        if (!tp->str && tp->num == DESC_UNSET &&
            !(d->n_containers && d->containers[0].n_ports))
            desc_problems_add(pr, "service.targetPort", "is required when the first container "
                                                        "has no ports");
    }
    if (d->ingress && !d->service)
        desc_problems_add(pr, "service", "is required by ingress (the ingress routes to it)");

    if (d->autoscaler) {
        const desc_autoscaler_t *a = d->autoscaler;
        if (a->min_replicas != DESC_UNSET && a->max_replicas != DESC_UNSET &&
            a->min_replicas > a->max_replicas)
            desc_problems_add(pr, "autoscaler.maxReplicas",
                              "must be greater than or equal to minReplicas (%d)", a->min_replicas);
        /* Utilization is a percentage of the requests: without them the HPA cannot compute it. */
        for (size_t i = 0; i < d->n_containers; i++) {
            const desc_resources_t *r = d->containers[i].resources;
            if (!r || !r->requests || !r->requests->cpu) {
                char p[128];
                snprintf(p, sizeof p, "containers[%zu].resources.requests.cpu", i);
                desc_problems_add(pr, p, "is required by autoscaler (CPU utilization is a "
                                         "percentage of the request)");
            }
        }
    }

    if (d->health_check && d->health_check->use_health_check) {
        const desc_health_check_t *h = d->health_check;
        if (!h->path)
            desc_problems_add(pr, "healthCheck.path", "is required when useHealthCheck is true");
        if (!h->port.str && h->port.num == DESC_UNSET)
            desc_problems_add(pr, "healthCheck.port", "is required when useHealthCheck is true");
        else if (h->port.str && !validate_port_name(h->port.str) && !container_has_port(d, &h->port))
            desc_problems_add(pr, "healthCheck.port", "no container port is named %s", h->port.str);
    }

    if (d->migration)
        check_env_unique(d->migration->env, d->migration->n_env, "migration", pr);

    if (d->rollout) {
        for (size_t i = 0; i < d->rollout->n_analysis; i++) {
            const desc_analysis_t *a = &d->rollout->analysis[i];
            if (a->threshold && !isnan(a->threshold->max) && !isnan(a->threshold->min) &&
                a->threshold->min > a->threshold->max) {
                char p[128];
                snprintf(p, sizeof p, "rollout.analysis[%zu].threshold.min", i);
                desc_problems_add(pr, p, "must be less than or equal to max");
            }
            for (size_t j = 0; j < i; j++)
                if (a->name && d->rollout->analysis[j].name &&
                    !strcmp(a->name, d->rollout->analysis[j].name)) {
                    char p[128];
                    snprintf(p, sizeof p, "rollout.analysis[%zu].name", i);
                    desc_problems_add(pr, p, "duplicate name (also analysis[%zu])", j);
                    break;
                }
        }
    }
    bool ok = pr->n == before;
    desc_problems_free(&local);
    return ok;
}
