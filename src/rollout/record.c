/* record: the rollout as recorded in the cluster (docs/rollouts.md "What is recorded in the
 * cluster"): the engine state as JSON and back, history entries, the log, and the whole
 * ConfigMap kdeck-rollout-<app> for readers. Everything in a ConfigMap may have been written by
 * hand or by another version, so every field is checked and a bad one is named in the error. */
#include "kdeck/rollout_driver.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdeck/strutil.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- time ------------------------------------------------------------------------------------ */

void ro_time_format(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "%s", "");
        return;
    }
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

bool ro_time_parse(const char *s, int64_t *ms)
{
    /* a recorded time before 1970 is a hand-written mistake, not a time kdeck wrote */
    return s && strncmp(s, "1970", 4) >= 0 && str_parse_rfc3339_ms(s, ms);
}

/* ---- JSON building blocks -------------------------------------------------------------------- */

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char buf[40];
    ro_time_format(ms, buf, sizeof buf);
    if (*buf)
        cJSON_AddStringToObject(o, key, buf);
    else
        cJSON_AddNullToObject(o, key);
}

/* Readers of one object: each fails with "<where>.<key>: <what>" in err. */
typedef struct reader {
    const cJSON *obj;
    const char *where;
    char *err;
    size_t errlen;
} reader_t;

static const cJSON *member(const reader_t *r, const char *key, bool required, bool *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) {
            set_err(r->err, r->errlen, "%s.%s: missing", r->where, key);
            *ok = false;
        }
        return NULL;
    }
    return v;
}

/* A string into a fixed buffer; too long is an error (a cut name would name another object). */
static bool read_str(const reader_t *r, const char *key, bool required, char *dst, size_t cap)
{
    bool ok = true;
    const cJSON *v = member(r, key, required, &ok);
    if (!v) {
        if (ok)
            dst[0] = '\0';
        return ok;
    }
    if (!cJSON_IsString(v)) {
        set_err(r->err, r->errlen, "%s.%s: expected a string", r->where, key);
        return false;
    }
    if (strlen(v->valuestring) >= cap) {
        set_err(r->err, r->errlen, "%s.%s: longer than %zu characters", r->where, key, cap - 1);
        return false;
    }
    snprintf(dst, cap, "%s", v->valuestring);
    return true;
}

/* Free text (reasons): cut to fit rather than refused. */
static bool read_text(const reader_t *r, const char *key, char *dst, size_t cap)
{
    bool ok = true;
    const cJSON *v = member(r, key, false, &ok);
    dst[0] = '\0';
    if (!v)
        return true;
    if (!cJSON_IsString(v)) {
        set_err(r->err, r->errlen, "%s.%s: expected a string", r->where, key);
        return false;
    }
    snprintf(dst, cap, "%s", v->valuestring);
    return true;
}

static bool read_bool(const reader_t *r, const char *key, bool *dst)
{
    bool ok = true;
    const cJSON *v = member(r, key, false, &ok);
    if (!v) {
        *dst = false;
        return true;
    }
    if (!cJSON_IsBool(v)) {
        set_err(r->err, r->errlen, "%s.%s: expected true or false", r->where, key);
        return false;
    }
    *dst = cJSON_IsTrue(v);
    return true;
}

static bool read_int(const reader_t *r, const char *key, int lo, int hi, int *dst)
{
    bool ok = true;
    const cJSON *v = member(r, key, false, &ok);
    if (!v) {
        *dst = 0;
        return true;
    }
    /* range first: casting a double outside int64_t's range is undefined */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(int64_t)v->valuedouble) {
        set_err(r->err, r->errlen, "%s.%s: expected an integer %d-%d", r->where, key, lo, hi);
        return false;
    }
    *dst = (int)v->valuedouble;
    return true;
}

static bool read_time(const reader_t *r, const char *key, bool required, int64_t *dst)
{
    bool ok = true;
    const cJSON *v = member(r, key, required, &ok);
    *dst = 0;
    if (!v)
        return ok;
    if (!cJSON_IsString(v) || !ro_time_parse(v->valuestring, dst)) {
        set_err(r->err, r->errlen, "%s.%s: expected an RFC 3339 time", r->where, key);
        return false;
    }
    return true;
}

/* A name from a table (phase, step, step state); -1 with the error when unknown. */
static int read_enum(const reader_t *r, const char *key, const char *(*name_of)(int), int n)
{
    bool ok = true;
    const cJSON *v = member(r, key, true, &ok);
    if (!v)
        return -1;
    if (cJSON_IsString(v))
        for (int i = 0; i < n; i++)
            if (!strcmp(v->valuestring, name_of(i)))
                return i;
    char names[160] = "";
    for (int i = 0; i < n; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 name_of(i));
    set_err(r->err, r->errlen, "%s.%s: expected one of %s", r->where, key, names);
    return -1;
}

static const char *step_name_i(int i) { return ro_step_name((ro_step_t)i); }
static const char *step_state_name_i(int i) { return ro_step_state_name((ro_step_state_t)i); }
static const char *phase_name_i(int i) { return ro_phase_name((ro_phase_t)i); }

static bool slot_ok(const char *slot, bool empty_ok)
{
    return !strcmp(slot, "blue") || !strcmp(slot, "green") || (empty_ok && !*slot);
}

/* ---- the state ------------------------------------------------------------------------------- */

static cJSON *plan_to_json(const ro_plan_t *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "migrate", p->migrate);
    cJSON_AddBoolToObject(o, "healthCheck", p->health_check);
    cJSON_AddBoolToObject(o, "analysisPre", p->analysis_pre);
    cJSON_AddBoolToObject(o, "analysisPost", p->analysis_post);
    cJSON_AddNumberToObject(o, "migrateTimeoutSeconds", p->migrate_timeout_s);
    cJSON_AddNumberToObject(o, "readyTimeoutSeconds", p->ready_timeout_s);
    cJSON_AddNumberToObject(o, "healthTimeoutSeconds", p->health_timeout_s);
    cJSON_AddNumberToObject(o, "bakeSeconds", p->bake_s);
    cJSON_AddNumberToObject(o, "scaleDownDelaySeconds", p->scale_down_delay_s);
    cJSON_AddNumberToObject(o, "healthIntervalSeconds", p->health_interval_s);
    return o;
}

cJSON *ro_state_to_json(const ro_state_t *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "app", s->app);
    cJSON_AddStringToObject(o, "namespace", s->ns);
    cJSON_AddStringToObject(o, "version", s->version);
    cJSON_AddStringToObject(o, "fromVersion", s->from_version);
    cJSON_AddStringToObject(o, "fromSlot", s->from_slot);
    cJSON_AddStringToObject(o, "toSlot", s->to_slot);
    cJSON_AddStringToObject(o, "who", s->who);
    cJSON_AddStringToObject(o, "phase", ro_phase_name(s->phase));
    cJSON_AddStringToObject(o, "step", ro_step_name(s->step));
    cJSON *steps = cJSON_AddArrayToObject(o, "steps");
    for (int i = 0; steps && i < RO_N_STEPS; i++) {
        cJSON *st = cJSON_CreateObject();
        if (!st)
            break;
        cJSON_AddStringToObject(st, "name", ro_step_name((ro_step_t)i));
        cJSON_AddStringToObject(st, "state", ro_step_state_name(s->steps[i]));
        add_time(st, "startedAt", s->step_started_ms[i]);
        add_time(st, "finishedAt", s->step_finished_ms[i]);
        cJSON_AddItemToArray(steps, st);
    }
    add_time(o, "startedAt", s->started_ms);
    add_time(o, "finishedAt", s->finished_ms);
    add_time(o, "deadline", s->deadline_ms);
    cJSON_AddBoolToObject(o, "newCreated", s->new_created);
    cJSON_AddBoolToObject(o, "switched", s->switched);
    cJSON_AddBoolToObject(o, "abortRequested", s->abort_requested);
    cJSON_AddNumberToObject(o, "switchAttempts", s->switch_attempts);
    cJSON_AddStringToObject(o, "reason", s->reason);
    cJSON_AddStringToObject(o, "failedStep", s->failed_step);
    cJSON *plan = plan_to_json(&s->plan);
    if (plan)
        cJSON_AddItemToObject(o, "plan", plan);
    return o;
}

static bool plan_from_json(const cJSON *j, ro_plan_t *p, char *err, size_t errlen)
{
    if (!cJSON_IsObject(j)) {
        set_err(err, errlen, "state.plan: expected an object");
        return false;
    }
    reader_t r = {j, "state.plan", err, errlen};
    const int day = 86400 * 7;
    if (!read_bool(&r, "migrate", &p->migrate) || !read_bool(&r, "healthCheck", &p->health_check) ||
        !read_bool(&r, "analysisPre", &p->analysis_pre) ||
        !read_bool(&r, "analysisPost", &p->analysis_post) ||
        !read_int(&r, "migrateTimeoutSeconds", 0, day, &p->migrate_timeout_s) ||
        !read_int(&r, "readyTimeoutSeconds", 0, day, &p->ready_timeout_s) ||
        !read_int(&r, "healthTimeoutSeconds", 0, day, &p->health_timeout_s) ||
        !read_int(&r, "bakeSeconds", 0, day, &p->bake_s) ||
        !read_int(&r, "scaleDownDelaySeconds", 0, day, &p->scale_down_delay_s) ||
        !read_int(&r, "healthIntervalSeconds", 0, 3600, &p->health_interval_s))
        return false;
    /* absent timeouts read as 0: the defaults, except bake and scale-down where 0 means none */
    ro_plan_defaults(p);
    return true;
}

static bool steps_from_json(const cJSON *arr, ro_state_t *s, char *err, size_t errlen)
{
    if (!cJSON_IsArray(arr)) {
        set_err(err, errlen, "state.steps: expected an array");
        return false;
    }
    bool seen[RO_N_STEPS] = {false};
    int idx = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        char where[32];
        snprintf(where, sizeof where, "state.steps[%d]", idx++);
        if (!cJSON_IsObject(it)) {
            set_err(err, errlen, "%s: expected an object", where);
            return false;
        }
        reader_t r = {it, where, err, errlen};
        int step = read_enum(&r, "name", step_name_i, RO_N_STEPS);
        if (step < 0)
            return false;
        int st = read_enum(&r, "state", step_state_name_i, RO_SS_REVERTED + 1);
        if (st < 0)
            return false;
        if (!read_time(&r, "startedAt", false, &s->step_started_ms[step]) ||
            !read_time(&r, "finishedAt", false, &s->step_finished_ms[step]))
            return false;
        s->steps[step] = (ro_step_state_t)st;
        seen[step] = true;
    }
    for (int i = 0; i < RO_N_STEPS; i++)
        if (!seen[i]) {
            set_err(err, errlen, "state.steps: step \"%s\" missing", ro_step_name((ro_step_t)i));
            return false;
        }
    return true;
}

bool ro_state_from_json(const cJSON *json, ro_state_t *s, char *err, size_t errlen)
{
    ro_state_t tmp;
    memset(&tmp, 0, sizeof tmp);
    if (!cJSON_IsObject(json)) {
        set_err(err, errlen, "state: expected a JSON object");
        return false;
    }
    reader_t r = {json, "state", err, errlen};
    if (!read_str(&r, "id", true, tmp.id, sizeof tmp.id) ||
        !read_str(&r, "app", true, tmp.app, sizeof tmp.app) ||
        !read_str(&r, "namespace", true, tmp.ns, sizeof tmp.ns) ||
        !read_str(&r, "version", true, tmp.version, sizeof tmp.version) ||
        !read_str(&r, "fromVersion", false, tmp.from_version, sizeof tmp.from_version) ||
        !read_str(&r, "fromSlot", false, tmp.from_slot, sizeof tmp.from_slot) ||
        !read_str(&r, "toSlot", true, tmp.to_slot, sizeof tmp.to_slot) ||
        !read_str(&r, "who", false, tmp.who, sizeof tmp.who))
        return false;
    if (!*tmp.app) {
        set_err(err, errlen, "state.app: must not be empty");
        return false;
    }
    if (!slot_ok(tmp.from_slot, true)) {
        set_err(err, errlen, "state.fromSlot: expected \"blue\", \"green\" or \"\"");
        return false;
    }
    if (!slot_ok(tmp.to_slot, false) || !strcmp(tmp.to_slot, tmp.from_slot)) {
        set_err(err, errlen, "state.toSlot: expected \"blue\" or \"green\", not the fromSlot");
        return false;
    }
    int phase = read_enum(&r, "phase", phase_name_i, RO_PHASE_ABORTED + 1);
    if (phase < 0)
        return false;
    int step = read_enum(&r, "step", step_name_i, RO_N_STEPS);
    if (step < 0)
        return false;
    tmp.phase = (ro_phase_t)phase;
    tmp.step = (ro_step_t)step;
    bool ok = true;
    const cJSON *steps = member(&r, "steps", true, &ok);
    if (!ok || !steps_from_json(steps, &tmp, err, errlen))
        return false;
    const cJSON *plan = member(&r, "plan", true, &ok);
    if (!ok || !plan_from_json(plan, &tmp.plan, err, errlen))
        return false;
    if (!read_time(&r, "startedAt", true, &tmp.started_ms) ||
        !read_time(&r, "finishedAt", false, &tmp.finished_ms) ||
        !read_time(&r, "deadline", false, &tmp.deadline_ms) ||
        !read_bool(&r, "newCreated", &tmp.new_created) ||
        !read_bool(&r, "switched", &tmp.switched) ||
        !read_bool(&r, "abortRequested", &tmp.abort_requested) ||
        !read_int(&r, "switchAttempts", 0, 1000, &tmp.switch_attempts) ||
        !read_text(&r, "reason", tmp.reason, sizeof tmp.reason) ||
        !read_text(&r, "failedStep", tmp.failed_step, sizeof tmp.failed_step))
        return false;
    tmp.awaiting = -1;
    tmp.ready_n = tmp.ready_m = -1;
    *s = tmp;
    return true;
}

/* ---- history --------------------------------------------------------------------------------- */

void ro_history_entry_from_state(const ro_state_t *s, ro_history_entry_t *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", s->id);
    snprintf(e->version, sizeof e->version, "%s", s->version);
    snprintf(e->from_version, sizeof e->from_version, "%s", s->from_version);
    snprintf(e->who, sizeof e->who, "%s", s->who);
    snprintf(e->result, sizeof e->result, "%s", ro_phase_name(s->phase));
    snprintf(e->reason, sizeof e->reason, "%s", s->reason);
    e->started_ms = s->started_ms;
    e->finished_ms = s->finished_ms;
}

cJSON *ro_history_entry_to_json(const ro_history_entry_t *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", e->id);
    cJSON_AddStringToObject(o, "version", e->version);
    cJSON_AddStringToObject(o, "fromVersion", e->from_version);
    cJSON_AddStringToObject(o, "who", e->who);
    cJSON_AddStringToObject(o, "result", e->result);
    cJSON_AddStringToObject(o, "reason", e->reason);
    add_time(o, "startedAt", e->started_ms);
    add_time(o, "finishedAt", e->finished_ms);
    return o;
}

bool ro_history_entry_from_json(const cJSON *j, ro_history_entry_t *e, const char *where,
                                char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(j)) {
        set_err(err, errlen, "%s: expected an object", where);
        return false;
    }
    reader_t r = {j, where, err, errlen};
    return read_str(&r, "id", true, e->id, sizeof e->id) &&
           read_str(&r, "version", false, e->version, sizeof e->version) &&
           read_str(&r, "fromVersion", false, e->from_version, sizeof e->from_version) &&
           read_str(&r, "who", false, e->who, sizeof e->who) &&
           read_str(&r, "result", true, e->result, sizeof e->result) &&
           read_text(&r, "reason", e->reason, sizeof e->reason) &&
           read_time(&r, "startedAt", false, &e->started_ms) &&
           read_time(&r, "finishedAt", false, &e->finished_ms);
}

char *ro_history_add(const char *history_json, const ro_history_entry_t *e)
{
    cJSON *old = history_json ? cJSON_Parse(history_json) : NULL;
    cJSON *arr = cJSON_CreateArray();
    cJSON *first = ro_history_entry_to_json(e);
    if (!arr || !first) {
        cJSON_Delete(old);
        cJSON_Delete(arr);
        cJSON_Delete(first);
        return NULL;
    }
    cJSON_AddItemToArray(arr, first);
    int n = 1;
    const cJSON *it;
    if (cJSON_IsArray(old))
        cJSON_ArrayForEach(it, old) {
            if (n >= RO_HISTORY_MAX)
                break;
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
            if (!cJSON_IsObject(it) || (cJSON_IsString(id) && !strcmp(id->valuestring, e->id)))
                continue; /* the same rollout recorded again (a repeated RELEASE) */
            cJSON *copy = cJSON_Duplicate(it, true);
            if (copy) {
                cJSON_AddItemToArray(arr, copy);
                n++;
            }
        }
    char *out = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    cJSON_Delete(old);
    return out;
}

/* ---- log ------------------------------------------------------------------------------------- */

char *ro_log_append(const char *log, const char *line)
{
    if (!log)
        log = "";
    /* keep the last RO_LOG_MAX - 1 old lines, then the new one */
    size_t len = strlen(log);
    while (len && log[len - 1] == '\n')
        len--;
    size_t keep_from = 0, lines = 0;
    for (size_t i = len; i-- > 0;)
        if (log[i] == '\n' && ++lines >= RO_LOG_MAX - 1) {
            keep_from = i + 1;
            break;
        }
    strbuf_t b = {0};
    if (len > keep_from && (!strbuf_add(&b, log + keep_from, len - keep_from) ||
                            !strbuf_add(&b, "\n", 1))) {
        strbuf_free(&b);
        return NULL;
    }
    const char *l = line ? line : "";
    size_t ll = strcspn(l, "\n"); /* one line: an embedded newline would fake another */
    if (!strbuf_add(&b, l, ll)) {
        strbuf_free(&b);
        return NULL;
    }
    if (!b.s)
        return calloc(1, 1);
    return b.s;
}

/* ---- the ConfigMap --------------------------------------------------------------------------- */

static const char *data_string(const cJSON *data, const char *key, bool *ok, char *err,
                               size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, key);
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsString(v)) {
        set_err(err, errlen, "data.%s: expected a string", key);
        *ok = false;
        return NULL;
    }
    return v->valuestring;
}

/* Parses the JSON text of data.<key>; NULL with err naming the key when malformed. */
static cJSON *parse_data_json(const char *text, const char *key, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(text, &end, true);
    if (!j) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        set_err(err, errlen, "data.%s: not valid JSON (at byte %zu)", key, at);
    }
    return j;
}

static bool parse_history(const char *text, ro_record_t *r, char *err, size_t errlen)
{
    cJSON *arr = parse_data_json(text, "history", err, errlen);
    if (!arr)
        return false;
    if (!cJSON_IsArray(arr)) {
        set_err(err, errlen, "data.history: expected a JSON array");
        cJSON_Delete(arr);
        return false;
    }
    int n = cJSON_GetArraySize(arr);
    r->history = calloc(n > 0 ? (size_t)n : 1, sizeof *r->history);
    if (!r->history) {
        set_err(err, errlen, "data.history: out of memory");
        cJSON_Delete(arr);
        return false;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        char where[40];
        snprintf(where, sizeof where, "data.history[%zu]", r->n_history);
        if (!ro_history_entry_from_json(it, &r->history[r->n_history], where, err, errlen)) {
            cJSON_Delete(arr);
            return false;
        }
        r->n_history++;
    }
    cJSON_Delete(arr);
    return true;
}

bool ro_record_parse(const cJSON *configmap, ro_record_t *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->state.awaiting = -1;
    if (!cJSON_IsObject(configmap)) {
        set_err(err, errlen, "rollout record: expected a ConfigMap object");
        return false;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(configmap, "kind");
    if (kind && !(cJSON_IsString(kind) && !strcmp(kind->valuestring, "ConfigMap"))) {
        set_err(err, errlen, "rollout record: kind is %s, expected ConfigMap",
                cJSON_IsString(kind) ? kind->valuestring : "not a string");
        return false;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(configmap, "data");
    if (!data || cJSON_IsNull(data))
        return true; /* an empty record: no rollout yet */
    if (!cJSON_IsObject(data)) {
        set_err(err, errlen, "rollout record: data: expected an object");
        return false;
    }
    bool ok = true;
    const char *state = data_string(data, "state", &ok, err, errlen);
    const char *log = ok ? data_string(data, "log", &ok, err, errlen) : NULL;
    const char *history = ok ? data_string(data, "history", &ok, err, errlen) : NULL;
    const char *abort_req = ok ? data_string(data, "abort", &ok, err, errlen) : NULL;
    if (!ok)
        return false;
    if (state && *state) {
        cJSON *j = parse_data_json(state, "state", err, errlen);
        if (!j)
            return false;
        char why[200];
        bool good = ro_state_from_json(j, &r->state, why, sizeof why);
        cJSON_Delete(j);
        if (!good) {
            set_err(err, errlen, "data.%s", why); /* why starts with "state" */
            return false;
        }
        r->has_state = true;
    }
    if (history && *history && !parse_history(history, r, err, errlen)) {
        ro_record_free(r);
        return false;
    }
    if (log && !(r->log = strdup(log))) {
        set_err(err, errlen, "data.log: out of memory");
        ro_record_free(r);
        return false;
    }
    if (abort_req)
        snprintf(r->abort_request, sizeof r->abort_request, "%s", abort_req);
    return true;
}

void ro_record_free(ro_record_t *r)
{
    if (!r)
        return;
    free(r->log);
    free(r->history);
    r->log = NULL;
    r->history = NULL;
    r->n_history = 0;
}
