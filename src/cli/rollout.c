/* `kdeck rollout apply|status|abort|resume|undo|history`: blue/green rollouts from a pipeline
 * (docs/rollouts.md). The rollout itself is the driver's (rollout_driver.h) on this command's own
 * loop; this file parses the command line, prints what happens (human lines, or JSON lines with
 * -o json) and maps the outcome to the exit status.
 *
 * Without --wait, apply and undo start a detached copy of kdeck (same arguments plus --wait and a
 * hidden --report-fd) that drives the rollout with its output in
 * $XDG_STATE_HOME/kdeck/rollout-<app>.log; the command returns once that driver reports "locked"
 * (exit 0) or "refused" (its exit status) through a pipe. */
#include "cli_int.h"

#include "kdeck/audit.h"
#include "kdeck/config.h"
#include "kdeck/descriptor.h"
#include "kdeck/prom.h"
#include "kdeck/rollout_driver.h"
#include "kdeck/statedir.h"
#include "kdeck/strutil.h"
#include "kdeck/validate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct rargs {
    const char *sub;                 /* apply, status, abort, resume, undo, history */
    const char *file, *app, *ns, *reason, *prometheus;
    bool wait, json;
    long timeout_ms;                 /* 0 = none */
    const char *timeout_text;
    int report_fd;                   /* the detached driver's pipe, -1 = none */
} rargs_t;

typedef struct rrun {
    const rargs_t *a;
    kube_conn_t *c;
    ro_driver_t *d;
    uv_timer_t timeout;
    uv_signal_t sigint, sigterm;
    int interrupts;
    bool timed_out, done, reported;
    int exit_status;
    ro_state_t last;                 /* last state printed */
    bool printed_state;
} rrun_t;

static void usage(FILE *f)
{
    fputs("Usage: kdeck rollout apply -f FILE [--wait] [--timeout D] [-o json] [--prometheus URL]\n"
          "       kdeck rollout status APP -n NS [--wait] [-o json]\n"
          "       kdeck rollout abort APP -n NS [--reason TEXT] [-o json]\n"
          "       kdeck rollout resume APP -n NS [-o json]\n"
          "       kdeck rollout undo APP -n NS [--wait] [--timeout D] [-o json]\n"
          "       kdeck rollout history APP -n NS [-o json]\n"
          "Blue/green rollouts (docs/rollouts.md). Without --wait, apply and undo hand the rollout\n"
          "to a detached driver and return once it holds the lock.\n"
          "Exit: 0 succeeded (abort: reverted), 1 failed (rolled back) or aborted, 2 usage or read-only,\n"
          "3 locked by another driver or conflict, 4 API server unreachable.\n", f);
}

/* ---- output ---- */

static void print_json(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    if (s)
        printf("%s\n", s);
    free(s);
    cJSON_Delete(o);
    fflush(stdout);
}

static void json_state(const ro_state_t *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "state");
    cJSON *st = ro_state_to_json(s);
    if (st)
        cJSON_AddItemToObject(o, "state", st);
    print_json(o);
}

static void json_log(const char *line)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "log");
    cJSON_AddStringToObject(o, "line", line);
    print_json(o);
}

static void json_result(const ro_state_t *s, int exit_status, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "result");
    cJSON_AddNumberToObject(o, "exit", exit_status);
    cJSON_AddStringToObject(o, "id", s ? s->id : "");
    cJSON_AddStringToObject(o, "phase", s && s->id[0] ? ro_phase_name(s->phase) : "");
    cJSON_AddStringToObject(o, "reason", s ? s->reason : "");
    cJSON_AddStringToObject(o, "message", message ? message : "");
    print_json(o);
}

static const char *slot_or(const char *slot)
{
    return slot && *slot ? slot : "(no slot)";
}

/* The heading and the step list with states and durations. */
static void print_steps(const ro_state_t *s)
{
    char t[40];
    int64_t end = s->finished_ms ? s->finished_ms : 0;
    printf("Rollout %s of %s/%s: %s\n", s->id, s->ns, s->app, ro_phase_name(s->phase));
    printf("  version %s (serving before: %s), %s -> %s, by %s\n", s->version,
           s->from_version[0] ? s->from_version : "unknown", slot_or(s->from_slot), s->to_slot, s->who);
    ro_time_format(s->started_ms, t, sizeof t);
    if (end) {
        char dur[32];
        str_format_duration_ms(end - s->started_ms, dur, sizeof dur);
        printf("  started %s, took %s\n", t, dur);
    } else {
        printf("  started %s, at step %s\n", t, ro_step_name(s->step));
    }
    if (s->reason[0])
        printf("  reason: %s%s%s%s\n", s->reason, s->failed_step[0] ? " (step " : "", s->failed_step,
               s->failed_step[0] ? ")" : "");
    printf("  %-9s %-9s %s\n", "STEP", "STATE", "DURATION");
    for (int i = 0; i < RO_N_STEPS; i++) {
        char dur[32] = "";
        if (s->step_started_ms[i] && s->step_finished_ms[i])
            str_format_duration_ms(s->step_finished_ms[i] - s->step_started_ms[i], dur, sizeof dur);
        else if (s->step_started_ms[i] && s->steps[i] == RO_SS_RUNNING)
            snprintf(dur, sizeof dur, "running");
        printf("  %-9s %-9s %s\n", ro_step_name((ro_step_t)i), ro_step_state_name(s->steps[i]), dur);
    }
    fflush(stdout);
}

/* ---- driver callbacks ---- */

static void report(rrun_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(rrun_t *r, const char *fmt, ...)
{
    if (r->a->report_fd < 0 || r->reported)
        return;
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0) {
        ssize_t w = write(r->a->report_fd, line, strlen(line));
        (void)w;
    }
    close(r->a->report_fd);
    r->reported = true;
}

static bool state_differs(const ro_state_t *a, const ro_state_t *b)
{
    return a->phase != b->phase || a->step != b->step || memcmp(a->steps, b->steps, sizeof a->steps) ||
           strcmp(a->reason, b->reason) || strcmp(a->id, b->id) || a->switched != b->switched;
}

static void on_change(void *ud, const ro_state_t *s)
{
    rrun_t *r = ud;
    if (s->steps[RO_STEP_LOCK] == RO_SS_DONE)
        report(r, "locked %s\n", s->id);
    if (r->printed_state && !state_differs(&r->last, s))
        return;
    r->last = *s;
    r->printed_state = true;
    if (r->a->json)
        json_state(s);
}

static void on_log(void *ud, const char *line)
{
    rrun_t *r = ud;
    if (r->a->json) {
        json_log(line);
    } else {
        printf("%s\n", line);
        fflush(stdout);
    }
}

static void on_done(void *ud, const ro_state_t *s, int exit_status, const char *message)
{
    rrun_t *r = ud;
    if (r->timed_out && exit_status != 3 && exit_status != 4)
        exit_status = CLI_FAIL;
    /* `abort` asked for the revert: the command succeeded when the rollout ended aborted */
    if (!strcmp(r->a->sub, "abort") && s->phase == RO_PHASE_ABORTED && exit_status == CLI_FAIL)
        exit_status = CLI_OK;
    report(r, "refused %d %s\n", exit_status, message);
    r->done = true;
    r->exit_status = exit_status;
    if (r->a->json) {
        if (s->id[0] && (!r->printed_state || state_differs(&r->last, s)))
            json_state(s);
        json_result(s, exit_status, message);
    } else {
        if (s->id[0] && s->steps[RO_STEP_LOCK] == RO_SS_DONE) {   /* a refused lock: the message says it */
            putchar('\n');
            print_steps(s);
        }
        if (exit_status == 0)
            printf("%s\n", message);
        else
            fprintf(stderr, "kdeck: %s\n", message);
        fflush(stdout);
    }
    uv_timer_stop(&r->timeout);
}

static void on_write(void *ud, const char *verb, const char *object, const char *result)
{
    rrun_t *r = ud;
    const kube_target_t *t = r->c->target;
    audit_entry_t e = { .context = t->context, .user = t->user_name, .verb = verb, .object = object,
                        .result = result };
    int rc = audit_record(&e);
    if (rc)
        fprintf(stderr, "kdeck: warning: cannot write the audit log: %s\n", strerror(-rc));
}

static void on_timeout(uv_timer_t *t)
{
    rrun_t *r = t->data;
    r->timed_out = true;
    char why[120];
    snprintf(why, sizeof why, "timed out after %s (--timeout)", r->a->timeout_text);
    if (!r->a->json)
        fprintf(stderr, "kdeck: %s: aborting the rollout\n", why);
    ro_driver_abort(r->d, why);
}

/* Ctrl-C or SIGTERM (a cancelled CI job): the first reverts the rollout like an abort, a second
 * leaves at once — the rollout then waits for kdeck rollout resume or abort. */
static void on_signal(uv_signal_t *h, int signum)
{
    rrun_t *r = h->data;
    if (r->interrupts++ == 0 && !r->done) {
        fprintf(stderr, "kdeck: %s: aborting the rollout (again to leave it as it is)\n",
                signum == SIGINT ? "interrupted" : "terminated");
        ro_driver_abort(r->d, signum == SIGINT ? "interrupted (Ctrl-C)" : "terminated (SIGTERM)");
        return;
    }
    fprintf(stderr, "kdeck: leaving the rollout unfinished: kdeck rollout resume or abort takes it over\n");
    r->done = true;
    r->exit_status = 128 + signum;
    uv_stop(h->loop);
}

/* ---- the Prometheus client for analysis ---- */

static prom_client_t *make_prom(const rargs_t *a, kube_conn_t *c, const kdeck_config_t *cfg)
{
    prom_client_opts_t o = { .timeout_ms = cfg->prometheus_timeout_ms, .read_only = c->read_only };
    const char *url = a->prometheus ? a->prometheus : config_prometheus_url(cfg, c->target->context);
    char ns[254] = "monitoring", svc[300] = "prometheus", port[64] = "9090", err[300];
    if (url && *url) {
        o.url = url;
    } else {
        const char *spec = cfg->prometheus_service[0] ? cfg->prometheus_service : NULL;
        if (spec) {   /* NAMESPACE/SERVICE[:PORT] */
            const char *slash = strchr(spec, '/'), *colon = slash ? strrchr(slash, ':') : NULL;
            if (slash) {
                snprintf(ns, sizeof ns, "%.*s", (int)(slash - spec), spec);
                snprintf(svc, sizeof svc, "%.*s", (int)(colon ? colon - slash - 1 : (long)strlen(slash + 1)), slash + 1);
                snprintf(port, sizeof port, "%s", colon ? colon + 1 : "");
            }
        }
        o.kube = c->http;
        o.proxy_namespace = ns;
        o.proxy_service = svc;
        o.proxy_port = port[0] ? port : NULL;
    }
    prom_client_t *p = prom_client_new(&c->loop, &o, err, sizeof err);
    if (!p)
        fprintf(stderr, "kdeck: warning: no Prometheus for analysis: %s\n", err);
    return p;
}

/* ---- the detached driver ---- */

/* Starts a copy of this kdeck with --wait and --report-fd, then relays what it reports. */
static int detach(const rargs_t *a, int argc, char **argv, const cli_conn_t *conn)
{
    const char *app = a->app;
    char dir[4096], log[4200];
    if (!state_dir("", dir, sizeof dir)) {
        fprintf(stderr, "kdeck: cannot create kdeck's state directory for the driver's log\n");
        return CLI_FAIL;
    }
    snprintf(log, sizeof log, "%s/rollout-%s.log", dir, app);
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "kdeck: pipe: %s\n", strerror(errno));
        return CLI_FAIL;
    }
    /* kdeck [--kubeconfig K] [--context C] [-n NS] [--read-only] rollout ARGS... --wait --report-fd N */
    char **args = calloc((size_t)argc + 16, sizeof *args);
    char fdbuf[16];
    snprintf(fdbuf, sizeof fdbuf, "%d", fds[1]);
    if (!args) {
        close(fds[0]);
        close(fds[1]);
        return CLI_FAIL;
    }
    int n = 0;
    args[n++] = "kdeck";
    if (conn->kubeconfig) { args[n++] = "--kubeconfig"; args[n++] = (char *)conn->kubeconfig; }
    if (conn->context) { args[n++] = "--context"; args[n++] = (char *)conn->context; }
    if (conn->ns) { args[n++] = "-n"; args[n++] = (char *)conn->ns; }
    for (int i = 0; i < argc; i++)
        args[n++] = argv[i];
    args[n++] = "--wait";
    args[n++] = "--report-fd";
    args[n++] = fdbuf;
    args[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "kdeck: fork: %s\n", strerror(errno));
        free(args);
        close(fds[0]);
        close(fds[1]);
        return CLI_FAIL;
    }
    if (pid == 0) {
        close(fds[0]);
        setsid();
        int in = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        execv("/proc/self/exe", args);
        fprintf(stderr, "kdeck: cannot start the detached driver: %s\n", strerror(errno));
        _exit(CLI_FAIL);
    }
    free(args);
    close(fds[1]);
    char buf[700];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof buf - 1 && (got = read(fds[0], buf + len, sizeof buf - 1 - len)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        len += (size_t)got;
        if (memchr(buf, '\n', len))
            break;
    }
    close(fds[0]);
    buf[len] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!strncmp(buf, "locked ", 7)) {
        if (a->json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "type", "detached");
            cJSON_AddStringToObject(o, "id", buf + 7);
            cJSON_AddNumberToObject(o, "pid", pid);
            cJSON_AddStringToObject(o, "log", log);
            print_json(o);
        } else {
            printf("rollout %s started: a detached driver (pid %ld) holds the lock\n"
                   "  its output: %s\n  follow it: kdeck rollout status %s -n %s --wait\n",
                   buf + 7, (long)pid, log, app, a->ns);
        }
        return CLI_OK;
    }
    int status = CLI_FAIL;
    const char *msg = "";
    if (!strncmp(buf, "refused ", 8)) {
        char *end;
        status = (int)strtol(buf + 8, &end, 10);
        msg = *end ? end + 1 : "";
        waitpid(pid, NULL, 0);
    } else {   /* it ended without a word: its exit status, and its log */
        int ws = 0;
        if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
            status = WEXITSTATUS(ws);
        msg = "the detached driver stopped before it took the lock";
    }
    if (a->json) {
        json_result(NULL, status, msg);
    } else {
        fprintf(stderr, "kdeck: %s\n", msg);
        fprintf(stderr, "  driver output: %s\n", log);
    }
    return status ? status : CLI_FAIL;
}

/* ---- status and history (reads only) ---- */

static int read_record(kube_conn_t *c, const rargs_t *a, ro_record_t *rec)
{
    char path[400], err[1500];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps/" RO_LEASE_PREFIX "%s", a->ns, a->app);
    cJSON *cm = NULL;
    int rc = cli_get_json(c, path, true, &cm, err, sizeof err);
    if (rc != CLI_OK) {
        fprintf(stderr, "kdeck: %s\n", err);
        return rc;
    }
    if (!cm) {
        fprintf(stderr, "kdeck: no rollout of %s/%s is recorded (no ConfigMap %s%s)\n", a->ns, a->app,
                RO_LEASE_PREFIX, a->app);
        return CLI_FAIL;
    }
    bool ok = ro_record_parse(cm, rec, err, sizeof err);
    cJSON_Delete(cm);
    if (!ok) {
        fprintf(stderr, "kdeck: ConfigMap %s/%s%s: %s\n", a->ns, RO_LEASE_PREFIX, a->app, err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static int show_status(kube_conn_t *c, const rargs_t *a)
{
    ro_record_t rec;
    int rc = read_record(c, a, &rec);
    if (rc != CLI_OK)
        return rc;
    if (!rec.has_state) {
        fprintf(stderr, "kdeck: no rollout of %s/%s is recorded\n", a->ns, a->app);
        ro_record_free(&rec);
        return CLI_FAIL;
    }
    if (a->json) {
        json_state(&rec.state);
        for (char *save = NULL, *l = strtok_r(rec.log ? rec.log : (char[]){""}, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save))
            json_log(l);
    } else {
        print_steps(&rec.state);
        if (rec.abort_request[0] && !ro_finished(&rec.state))
            printf("  abort requested: %s\n", rec.abort_request);
        if (rec.log && *rec.log) {
            size_t n = 0;
            for (const char *p = rec.log; *p; p++)
                n += *p == '\n';
            const char *p = rec.log;
            for (size_t skip = n >= 10 ? n - 9 : 0; skip && *p; p++)
                skip -= *p == '\n';
            printf("Log (last lines):\n");
            for (char *save = NULL, *l = strtok_r((char *)p, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                printf("  %s\n", l);
        }
    }
    ro_record_free(&rec);
    return CLI_OK;
}

static int show_history(kube_conn_t *c, const rargs_t *a)
{
    ro_record_t rec;
    int rc = read_record(c, a, &rec);
    if (rc != CLI_OK)
        return rc;
    if (!a->json)
        printf("%-32s %-10s %-10s %-10s %-24s %-9s %-20s %s\n", "ID", "VERSION", "FROM", "RESULT",
               "STARTED", "DURATION", "WHO", "REASON");
    for (size_t i = 0; i < rec.n_history; i++) {
        const ro_history_entry_t *e = &rec.history[i];
        if (a->json) {
            cJSON *o = cJSON_CreateObject(), *h = ro_history_entry_to_json(e);
            cJSON_AddStringToObject(o, "type", "history");
            if (h)
                cJSON_AddItemToObject(o, "entry", h);
            print_json(o);
            continue;
        }
        char started[40], dur[32] = "";
        ro_time_format(e->started_ms, started, sizeof started);
        if (e->finished_ms)
            str_format_duration_ms(e->finished_ms - e->started_ms, dur, sizeof dur);
        printf("%-32s %-10s %-10s %-10s %-24s %-9s %-20s %s\n", e->id, e->version,
               e->from_version[0] ? e->from_version : "-", e->result, started, dur, e->who,
               e->reason[0] ? e->reason : "-");
    }
    if (!a->json && rec.n_history == 0)
        printf("(no finished rollouts of %s/%s yet)\n", a->ns, a->app);
    ro_record_free(&rec);
    return CLI_OK;
}

/* ---- arguments ---- */

static int parse_args(int argc, char **argv, const cli_conn_t *conn, rargs_t *a)
{
    memset(a, 0, sizeof *a);
    a->report_fd = -1;
    a->ns = conn->ns;
    if (argc < 2) {
        fprintf(stderr, "kdeck rollout: a subcommand is required\n");
        return CLI_USAGE;
    }
    a->sub = argv[1];
    static const char *const subs[] = { "apply", "status", "abort", "resume", "undo", "history" };
    bool known = false;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        known |= !strcmp(a->sub, subs[i]);
    if (!known) {
        fprintf(stderr, "kdeck rollout: unknown subcommand '%s'\n", a->sub);
        return CLI_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i], *v = NULL;
#define OPT_(name) ((!strcmp(s, name) && i + 1 < argc && (v = argv[++i])) || \
                    (!strncmp(s, name "=", sizeof name) && (v = s + sizeof name)))
        if (!strcmp(s, "-f") && i + 1 < argc)
            a->file = argv[++i];
        else if (OPT_("--filename"))
            a->file = v;
        else if (!strcmp(s, "-n") && i + 1 < argc)
            a->ns = argv[++i];
        else if (OPT_("--namespace"))
            a->ns = v;
        else if ((!strcmp(s, "-o") && i + 1 < argc && (v = argv[++i])) || OPT_("--output")) {
            if (strcmp(v, "json") && strcmp(v, "text")) {
                fprintf(stderr, "kdeck rollout: -o must be json (or text), not '%s'\n", v);
                return CLI_USAGE;
            }
            a->json = !strcmp(v, "json");
        } else if (!strcmp(s, "--wait") || !strcmp(s, "-w"))
            a->wait = true;
        else if (OPT_("--timeout")) {
            if ((a->timeout_ms = str_parse_duration_ms(v)) <= 0) {
                fprintf(stderr, "kdeck rollout: invalid --timeout '%s' (e.g. 90s, 10m)\n", v);
                return CLI_USAGE;
            }
            a->timeout_text = v;
        } else if (OPT_("--reason"))
            a->reason = v;
        else if (OPT_("--prometheus"))
            a->prometheus = v;
        else if (OPT_("--report-fd"))   /* hidden: the detached driver's pipe */
            a->report_fd = atoi(v);
        else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage(stdout);
            exit(CLI_OK);
        } else if (s[0] == '-' || a->app) {
            fprintf(stderr, "kdeck rollout %s: unexpected argument '%s'\n", a->sub, s);
            return CLI_USAGE;
        } else
            a->app = s;
#undef OPT_
    }
    bool is_apply = !strcmp(a->sub, "apply");
    if (is_apply && !a->file) {
        fprintf(stderr, "kdeck rollout apply: -f FILE is required\n");
        return CLI_USAGE;
    }
    if (is_apply && a->app) {
        fprintf(stderr, "kdeck rollout apply: unexpected argument '%s' (the app comes from the descriptor)\n", a->app);
        return CLI_USAGE;
    }
    if (!is_apply && a->file) {
        fprintf(stderr, "kdeck rollout %s: -f is only for apply\n", a->sub);
        return CLI_USAGE;
    }
    if (!is_apply && !a->app) {
        fprintf(stderr, "kdeck rollout %s: APP is required\n", a->sub);
        return CLI_USAGE;
    }
    if (!is_apply && (!a->ns || !*a->ns)) {
        fprintf(stderr, "kdeck rollout %s: -n NAMESPACE is required\n", a->sub);
        return CLI_USAGE;
    }
    if (a->wait && strcmp(a->sub, "apply") && strcmp(a->sub, "undo") && strcmp(a->sub, "status")) {
        fprintf(stderr, "kdeck rollout %s: --wait is only for apply, undo and status (%s always waits)\n",
                a->sub, a->sub);
        return CLI_USAGE;
    }
    if (a->timeout_ms && strcmp(a->sub, "apply") && strcmp(a->sub, "undo")) {
        fprintf(stderr, "kdeck rollout %s: --timeout is only for apply and undo\n", a->sub);
        return CLI_USAGE;
    }
    if (a->reason && strcmp(a->sub, "abort")) {
        fprintf(stderr, "kdeck rollout %s: --reason is only for abort\n", a->sub);
        return CLI_USAGE;
    }
    return CLI_OK;
}

static descriptor_t *load_descriptor(const rargs_t *a, int *rc)
{
    desc_problems_t p = {0};
    descriptor_t *d = descriptor_load(a->file, &p);
    if (d)
        descriptor_validate(d, &p);
    if (!d || p.n) {
        for (size_t i = 0; i < p.n; i++)
            fprintf(stderr, "%s: %s%s%s\n", a->file, p.v[i].path, p.v[i].path[0] ? ": " : "", p.v[i].msg);
        if (!d && !p.n)
            fprintf(stderr, "%s: cannot be read\n", a->file);
        desc_problems_free(&p);
        descriptor_free(d);
        *rc = CLI_FAIL;
        return NULL;
    }
    desc_problems_free(&p);
    const char *missing = !d->namespace_ ? "namespace" : !d->name ? "name" : !d->version ? "version" : NULL;
    if (missing) {
        fprintf(stderr, "%s: %s is required for a rollout\n", a->file, missing);
        *rc = CLI_FAIL;
    } else if (!d->rollout || !d->rollout->strategy || strcmp(d->rollout->strategy, "blueGreen")) {
        fprintf(stderr, "%s: rollout.strategy: must be \"blueGreen\" for kdeck rollout "
                "(a rolling update is kdeck apply -f)\n", a->file);
        *rc = CLI_FAIL;
    } else if (a->ns && *a->ns && strcmp(a->ns, d->namespace_)) {
        fprintf(stderr, "kdeck rollout apply: the descriptor's namespace \"%s\" does not match -n \"%s\"\n",
                d->namespace_, a->ns);
        *rc = CLI_USAGE;
    } else {
        return d;
    }
    descriptor_free(d);
    return NULL;
}

int cli_rollout_main(int argc, char **argv, const cli_conn_t *conn)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        usage(stdout);
        return CLI_OK;
    }
    rargs_t a;
    int rc = parse_args(argc, argv, conn, &a);
    if (rc != CLI_OK) {
        usage(stderr);
        return rc;
    }
    bool mutating = strcmp(a.sub, "status") && strcmp(a.sub, "history");
    kdeck_config_t cfg = {0};
    char err[1500];
    if (!config_load(&cfg, err, sizeof err)) {
        fprintf(stderr, "kdeck: %s\n", err);
        return CLI_USAGE;
    }
    descriptor_t *desc = NULL;
    char app_buf[RO_NAME_MAX], ns_buf[RO_NAME_MAX];
    if (!strcmp(a.sub, "apply")) {
        if (!(desc = load_descriptor(&a, &rc)))
            return rc;
        snprintf(app_buf, sizeof app_buf, "%s", desc->name);
        snprintf(ns_buf, sizeof ns_buf, "%s", desc->namespace_);
        a.app = app_buf;   /* outlive the descriptor */
        a.ns = ns_buf;
    }
    kube_conn_t *c = kube_conn_open(conn->kubeconfig, conn->context, a.ns, conn->read_only, err, sizeof err);
    if (!c) {
        fprintf(stderr, "kdeck: %s\n", err);
        descriptor_free(desc);
        return CLI_FAIL;
    }
    if (!a.ns)
        a.ns = c->target->namespace ? c->target->namespace : "default";
    /* Read-only sessions refuse before any request (the transport would refuse the first write). */
    if (mutating && (c->read_only || config_context_read_only(&cfg, c->target->context))) {
        fprintf(stderr, "kdeck rollout %s: refused: this is a read-only session (%s); nothing was changed\n",
                a.sub, c->read_only ? "--read-only or read_only in the config"
                                    : "the context is in read_only_contexts");
        if (a.report_fd >= 0) {
            dprintf(a.report_fd, "refused %d read-only session\n", CLI_USAGE);
            close(a.report_fd);
        }
        kube_conn_close(c);
        descriptor_free(desc);
        return CLI_USAGE;
    }
    if (!strcmp(a.sub, "history") || (!strcmp(a.sub, "status") && !a.wait)) {
        rc = !strcmp(a.sub, "history") ? show_history(c, &a) : show_status(c, &a);
        kube_conn_close(c);
        return rc;
    }
    if ((!strcmp(a.sub, "apply") || !strcmp(a.sub, "undo")) && !a.wait) {
        char app[RO_NAME_MAX], ns[RO_NAME_MAX];
        snprintf(app, sizeof app, "%s", a.app);
        snprintf(ns, sizeof ns, "%s", a.ns);
        a.app = app;
        a.ns = ns;
        kube_conn_close(c);   /* the detached driver makes its own connection */
        descriptor_free(desc);
        return detach(&a, argc, argv, conn);
    }

    rrun_t r = { .a = &a, .c = c, .exit_status = CLI_FAIL };
    prom_client_t *prom = strcmp(a.sub, "status") ? make_prom(&a, c, &cfg) : NULL;
    ro_op_t op = !strcmp(a.sub, "apply") ? RO_OP_APPLY : !strcmp(a.sub, "undo") ? RO_OP_UNDO
               : !strcmp(a.sub, "resume") ? RO_OP_RESUME : !strcmp(a.sub, "abort") ? RO_OP_ABORT : RO_OP_FOLLOW;
    ro_driver_opts_t o = {
        .loop = &c->loop, .kube = c->http, .prom = prom, .op = op, .ns = a.ns, .app = a.app,
        .descriptor = desc, .abort_reason = a.reason, .on_change = on_change, .on_log = on_log,
        .on_done = on_done, .on_write = on_write, .ud = &r,
    };
    uv_timer_init(&c->loop, &r.timeout);
    uv_signal_init(&c->loop, &r.sigint);
    uv_signal_init(&c->loop, &r.sigterm);
    r.timeout.data = r.sigint.data = r.sigterm.data = &r;
    r.d = ro_driver_start(&o, err, sizeof err);
    descriptor_free(desc);   /* the driver keeps a copy */
    if (!r.d) {
        fprintf(stderr, "kdeck: %s\n", err);
        rc = CLI_FAIL;
    } else {
        if (a.timeout_ms)
            uv_timer_start(&r.timeout, on_timeout, (uint64_t)a.timeout_ms, 0);
        if (op != RO_OP_FOLLOW && op != RO_OP_ABORT) {   /* a driver of its own: revert on a signal */
            uv_signal_start(&r.sigint, on_signal, SIGINT);
            uv_signal_start(&r.sigterm, on_signal, SIGTERM);
        }
        while (!r.done && uv_run(&c->loop, UV_RUN_ONCE))
            ;
        rc = r.exit_status;
        ro_driver_free(r.d);
    }
    uv_close((uv_handle_t *)&r.timeout, NULL);
    uv_close((uv_handle_t *)&r.sigint, NULL);
    uv_close((uv_handle_t *)&r.sigterm, NULL);
    prom_client_free(prom);
    kube_conn_close(c);
    return rc;
}
