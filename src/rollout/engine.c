/* engine: the blue/green rollout as a pure state machine (rollout.h, docs/rollouts.md).
 * Forward: lock → migrate → deploy → health → analyze → switch → bake → finish, skipping what the
 * plan leaves out. Any failure or abort turns the phase to REVERTING: the selector flips back to
 * the old slot first (when it may have moved), then the new slot's Deployment is deleted, then the
 * Lease is released. The old slot is scaled down only at the very end, so a flip back always finds
 * ready pods. Every step change emits SAVE, so the recorded state is always resumable. */
#include "kdeck/rollout.h"

#include "kdeck/descriptor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NO_ACTION (-1)

/* ---- names ----------------------------------------------------------------------------------- */

static const char *const step_names[RO_N_STEPS] = {
    "lock", "migrate", "deploy", "health", "analyze", "switch", "bake", "finish",
};
static const char *const step_titles[RO_N_STEPS] = {
    "Acquire lock", "Migrate database", "Deploy new slot", "Health check",
    "Analyze metrics", "Switch traffic", "Bake", "Finish",
};
static const char *const step_state_names[] = {
    "pending", "running", "done", "skipped", "failed", "reverted",
};
static const char *const phase_names[] = {
    "running", "reverting", "succeeded", "failed", "aborted",
};

const char *ro_step_name(ro_step_t step)
{
    return (unsigned)step < RO_N_STEPS ? step_names[step] : "?";
}

const char *ro_step_title(ro_step_t step)
{
    return (unsigned)step < RO_N_STEPS ? step_titles[step] : "?";
}

const char *ro_step_state_name(ro_step_state_t st)
{
    return (unsigned)st <= RO_SS_REVERTED ? step_state_names[st] : "?";
}

const char *ro_phase_name(ro_phase_t ph)
{
    return (unsigned)ph <= RO_PHASE_ABORTED ? phase_names[ph] : "?";
}

const char *ro_other_slot(const char *slot)
{
    return slot && !strcmp(slot, "blue") ? "green" : "blue";
}

void ro_plan_defaults(ro_plan_t *p)
{
    if (p->migrate_timeout_s <= 0)
        p->migrate_timeout_s = 600;
    if (p->ready_timeout_s <= 0)
        p->ready_timeout_s = 300;
    if (p->health_timeout_s <= 0)
        p->health_timeout_s = 60;
    if (p->bake_s < 0)
        p->bake_s = 60;
    if (p->scale_down_delay_s < 0)
        p->scale_down_delay_s = 300;
    if (p->health_interval_s <= 0)
        p->health_interval_s = 2;
}

bool ro_finished(const ro_state_t *s)
{
    /* a final phase with the Lease release still in flight is not finished yet */
    return (s->phase == RO_PHASE_SUCCEEDED || s->phase == RO_PHASE_FAILED ||
            s->phase == RO_PHASE_ABORTED) && s->awaiting != RO_ACT_RELEASE;
}

int64_t ro_next_tick_ms(const ro_state_t *s)
{
    if (s->phase != RO_PHASE_RUNNING || s->steps[s->step] != RO_SS_RUNNING)
        return 0;
    switch (s->step) {
    case RO_STEP_BAKE:
        if (s->round_pending)
            return 0; /* the answer ends the bake when its window passed */
        return s->next_round_ms > 0 && s->next_round_ms < s->deadline_ms ? s->next_round_ms : s->deadline_ms;
    case RO_STEP_FINISH: /* the scale-down delay (or an error's retry) ends */
        if (s->awaiting != NO_ACTION)
            return 0;
        return s->next_round_ms > s->deadline_ms ? s->next_round_ms : s->deadline_ms;
    default:
        return 0;
    }
}

/* The migration Job's name as the driver creates it (descriptor_job_name's rule); returned by value
 * so it can sit inside a printf call. */
typedef struct { char s[64]; } job_name_t;

static job_name_t job_name(const ro_state_t *s)
{
    job_name_t n;
    descriptor_job_name_buf(s->app, s->version, n.s, sizeof n.s);
    return n;
}

/* ---- actions out ----------------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Appends an action. The busiest transition emits 6, so the array never fills; should it ever,
 * log lines give way first so no real action is lost. */
static ro_action_t *emit(ro_actions_t *out, ro_action_kind_t kind)
{
    if (out->n >= RO_MAX_ACTIONS) {
        if (kind == RO_ACT_LOG)
            return NULL;
        for (size_t i = out->n; i-- > 0;)
            if (out->v[i].kind == RO_ACT_LOG) {
                memmove(&out->v[i], &out->v[i + 1], (out->n - i - 1) * sizeof out->v[0]);
                out->n--;
                break;
            }
        if (out->n >= RO_MAX_ACTIONS)
            return NULL;
    }
    ro_action_t *a = &out->v[out->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    return a;
}

static void emit_slot(ro_actions_t *out, ro_action_kind_t kind, const char *slot)
{
    ro_action_t *a = emit(out, kind);
    if (a)
        copy_str(a->slot, sizeof a->slot, slot);
}

static void emit_log(ro_actions_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit_log(ro_actions_t *out, const char *fmt, ...)
{
    ro_action_t *a = emit(out, RO_ACT_LOG);
    if (!a)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->text, sizeof a->text, fmt, ap);
    va_end(ap);
}

static void emit_analyze(ro_actions_t *out, const char *phase, const char *slot)
{
    ro_action_t *a = emit(out, RO_ACT_ANALYZE);
    if (a) {
        copy_str(a->phase, sizeof a->phase, phase);
        copy_str(a->slot, sizeof a->slot, slot);
    }
}

/* ---- words for the log ----------------------------------------------------------------------- */

/* "slot=green", or for "" the plain Deployment an app had before its first blue/green rollout. */
static const char *slot_words(const char *slot, char *buf, size_t len)
{
    if (*slot)
        snprintf(buf, len, "slot=%s", slot);
    else
        snprintf(buf, len, "the plain Deployment (no slot)");
    return buf;
}

/* Deployment name of a slot: <app>-<slot>, or <app> for "". */
static const char *deploy_name(const ro_state_t *s, const char *slot, char *buf, size_t len)
{
    if (*slot)
        snprintf(buf, len, "%s-%s", s->app, slot);
    else
        snprintf(buf, len, "%s", s->app);
    return buf;
}

static const char *text_of(const ro_event_t *ev)
{
    return ev->text ? ev->text : "";
}

static int64_t secs_between(int64_t from_ms, int64_t to_ms)
{
    return to_ms > from_ms ? (to_ms - from_ms + 500) / 1000 : 0;
}

/* ---- steps ----------------------------------------------------------------------------------- */

static void finalize(ro_state_t *s, ro_phase_t phase, int64_t now, ro_actions_t *out);
static void begin_revert(ro_state_t *s, bool maybe_switched, int64_t now, ro_actions_t *out);
static void start_step(ro_state_t *s, ro_step_t step, bool resumed, int64_t now, ro_actions_t *out);

static int64_t interval_ms(const ro_state_t *s)
{
    return (int64_t)s->plan.health_interval_s * 1000;
}

static void complete_step(ro_state_t *s, int64_t now)
{
    s->steps[s->step] = RO_SS_DONE;
    s->step_finished_ms[s->step] = now;
    s->awaiting = NO_ACTION;
}

/* Starts the next step the plan does not skip; after FINISH (only reached by a resume of an odd
 * record) the rollout succeeded. */
static void advance(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    for (int st = (int)s->step + 1; st < RO_N_STEPS; st++)
        if (s->steps[st] != RO_SS_SKIPPED) {
            start_step(s, (ro_step_t)st, false, now, out);
            return;
        }
    finalize(s, RO_PHASE_SUCCEEDED, now, out);
}

/* A forward step failed: the reason is recorded and the revert begins. */
static void fail(ro_state_t *s, int64_t now, ro_actions_t *out, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(ro_state_t *s, int64_t now, ro_actions_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    va_end(ap);
    /* an API error on the switch PATCH leaves it unknown whether the selector moved: flip back
     * anyway (the old slot is ready, so that is always safe) */
    bool maybe_switched = s->step == RO_STEP_SWITCH && s->awaiting == RO_ACT_SWITCH;
    begin_revert(s, maybe_switched, now, out);
}

static void scale_down(ro_state_t *s, ro_actions_t *out)
{
    char dn[RO_NAME_MAX + 8];
    emit_log(out, "finish: scaling Deployment %s to 0", deploy_name(s, s->from_slot, dn, sizeof dn));
    emit_slot(out, RO_ACT_SCALE_DOWN, s->from_slot);
    s->awaiting = RO_ACT_SCALE_DOWN;
}

/* One bake round: the health check and the post-switch analysis, each when planned. */
static void bake_round(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    s->round_pending = 0;
    if (s->plan.health_check) {
        emit_slot(out, RO_ACT_HEALTH, s->to_slot);
        s->round_pending |= 1u << RO_ACT_HEALTH;
    }
    if (s->plan.analysis_post) {
        emit_analyze(out, "post", s->to_slot);
        s->round_pending |= 1u << RO_ACT_ANALYZE;
    }
    s->next_round_ms = now + interval_ms(s);
}

static void start_step(ro_state_t *s, ro_step_t step, bool resumed, int64_t now, ro_actions_t *out)
{
    char dn[RO_NAME_MAX + 8], sw[48];
    const ro_plan_t *p = &s->plan;
    s->step = step;
    s->steps[step] = RO_SS_RUNNING;
    if (!resumed || !s->step_started_ms[step])
        s->step_started_ms[step] = now;
    s->step_finished_ms[step] = 0;
    s->awaiting = NO_ACTION;
    s->round_pending = 0;
    s->next_round_ms = 0;
    s->ready_n = s->ready_m = -1;
    s->last_problem[0] = '\0';
    deploy_name(s, s->to_slot, dn, sizeof dn);
    /* a resumed wait gets its whole timeout again: the time the driver was gone is not the
     * application's fault. The bake window and the scale-down delay keep their recorded end. */
    switch (step) {
    case RO_STEP_LOCK:
        emit_log(out, "lock: acquiring Lease kdeck-rollout-%s as %s", s->app, s->who);
        emit(out, RO_ACT_LOCK);
        s->awaiting = RO_ACT_LOCK;
        return;
    case RO_STEP_MIGRATE:
        s->deadline_ms = now + (int64_t)p->migrate_timeout_s * 1000;
        emit_log(out, "migrate: %s Job %s (timeout %d s)", resumed ? "following" : "creating",
                 job_name(s).s, p->migrate_timeout_s);
        emit(out, RO_ACT_SAVE);
        emit(out, RO_ACT_CREATE_JOB);
        s->awaiting = RO_ACT_CREATE_JOB;
        return;
    case RO_STEP_DEPLOY:
        s->deadline_ms = now + (int64_t)p->ready_timeout_s * 1000;
        s->new_created = true; /* from here on the new Deployment may exist */
        emit_log(out, "deploy: applying Deployment %s (version %s)", dn, s->version);
        emit(out, RO_ACT_SAVE);
        emit_slot(out, RO_ACT_APPLY, s->to_slot);
        s->awaiting = RO_ACT_APPLY;
        return;
    case RO_STEP_HEALTH:
        s->deadline_ms = now + (int64_t)p->health_timeout_s * 1000;
        emit_log(out, "health: checking every pod of %s (every %d s, up to %d s)", dn,
                 p->health_interval_s, p->health_timeout_s);
        emit(out, RO_ACT_SAVE);
        emit_slot(out, RO_ACT_HEALTH, s->to_slot);
        s->awaiting = RO_ACT_HEALTH;
        s->next_round_ms = now + interval_ms(s);
        return;
    case RO_STEP_ANALYZE:
        s->deadline_ms = now + (int64_t)p->health_timeout_s * 1000;
        emit_log(out, "analyze: running the pre-switch analysis");
        emit(out, RO_ACT_SAVE);
        emit_analyze(out, "pre", s->to_slot);
        s->awaiting = RO_ACT_ANALYZE;
        return;
    case RO_STEP_SWITCH:
        s->deadline_ms = 0;
        s->switch_attempts = 0;
        emit_log(out, "switch: pointing Service %s at %s", s->app,
                 slot_words(s->to_slot, sw, sizeof sw));
        emit(out, RO_ACT_SAVE);
        emit_slot(out, RO_ACT_SWITCH, s->to_slot);
        s->awaiting = RO_ACT_SWITCH;
        return;
    case RO_STEP_BAKE:
        if (!resumed)
            s->deadline_ms = now + (int64_t)p->bake_s * 1000;
        if (now >= s->deadline_ms) { /* resumed after the window ended */
            emit_log(out, "bake: the bake window ended while no driver was watching");
            complete_step(s, now);
            advance(s, now, out);
            return;
        }
        emit_log(out, "bake: watching %s for %lld s%s%s; %s stays ready for a flip back", dn,
                 (long long)secs_between(now, s->deadline_ms),
                 p->health_check ? " (health check" : "",
                 p->health_check ? (p->analysis_post ? ", post-switch analysis)" : ")")
                                 : (p->analysis_post ? " (post-switch analysis)" : ""),
                 slot_words(s->from_slot, sw, sizeof sw));
        emit(out, RO_ACT_SAVE);
        bake_round(s, now, out);
        return;
    case RO_STEP_FINISH:
        if (!resumed)
            s->deadline_ms = now + (int64_t)p->scale_down_delay_s * 1000;
        if (now < s->deadline_ms)
            emit_log(out, "finish: keeping %s for %lld s for an instant rollback",
                     slot_words(s->from_slot, sw, sizeof sw),
                     (long long)secs_between(now, s->deadline_ms));
        emit(out, RO_ACT_SAVE);
        if (now >= s->deadline_ms)
            scale_down(s, out);
        return;
    case RO_N_STEPS:
        break;
    }
}

/* ---- the revert ------------------------------------------------------------------------------ */

/* Undoes what may have been done, one action at a time: flip back, delete, then release. */
static void continue_revert(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    char dn[RO_NAME_MAX + 8], sw[48];
    s->awaiting = NO_ACTION;
    if (s->switched) {
        emit_log(out, "revert: pointing Service %s at %s again", s->app,
                 slot_words(s->from_slot, sw, sizeof sw));
        emit_slot(out, RO_ACT_SWITCH, s->from_slot);
        s->awaiting = RO_ACT_SWITCH;
    } else if (s->new_created) {
        emit_log(out, "revert: deleting Deployment %s", deploy_name(s, s->to_slot, dn, sizeof dn));
        emit_slot(out, RO_ACT_DELETE, s->to_slot);
        s->awaiting = RO_ACT_DELETE;
    } else {
        finalize(s, s->abort_requested ? RO_PHASE_ABORTED : RO_PHASE_FAILED, now, out);
    }
}

static void begin_revert(ro_state_t *s, bool maybe_switched, int64_t now, ro_actions_t *out)
{
    s->phase = RO_PHASE_REVERTING;
    if (s->steps[s->step] == RO_SS_RUNNING) {
        s->steps[s->step] = RO_SS_FAILED;
        s->step_finished_ms[s->step] = now;
    }
    copy_str(s->failed_step, sizeof s->failed_step, ro_step_name(s->step));
    if (maybe_switched)
        s->switched = true;
    s->round_pending = 0;
    s->error_count = 0;
    s->deadline_ms = 0;
    if (s->abort_requested)
        emit_log(out, "%s: aborted (%s); reverting", ro_step_name(s->step), s->reason);
    else
        emit_log(out, "%s: failed: %s; reverting", ro_step_name(s->step), s->reason);
    emit(out, RO_ACT_SAVE);
    continue_revert(s, now, out);
}

/* The outcome is recorded (SAVE) before RELEASE, which writes the history entry from it. */
static void finalize(ro_state_t *s, ro_phase_t phase, int64_t now, ro_actions_t *out)
{
    char sw[48];
    s->phase = phase;
    s->finished_ms = now;
    s->deadline_ms = 0;
    s->next_round_ms = 0;
    s->round_pending = 0;
    if (phase == RO_PHASE_SUCCEEDED)
        emit_log(out, "rollout succeeded: %s %s serves from %s (%lld s)", s->app, s->version,
                 slot_words(s->to_slot, sw, sizeof sw),
                 (long long)secs_between(s->started_ms, now));
    else
        emit_log(out, "rollout %s: %s", ro_phase_name(phase), s->reason);
    emit(out, RO_ACT_SAVE);
    emit(out, RO_ACT_RELEASE);
    s->awaiting = RO_ACT_RELEASE;
}

/* Ends without RELEASE: the Lease is not ours (held by another) or the API is failing. */
static void end_now(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    s->finished_ms = now;
    s->deadline_ms = 0;
    s->awaiting = NO_ACTION;
    emit(out, RO_ACT_DONE);
}

/* An API error while reverting: retried after an interval, up to RO_MAX_ERRORS times; then the
 * rollout ends FAILED with what is left undone, so the operator knows (ro_resume picks it up). */
static void revert_error(ro_state_t *s, const char *what, int64_t now, ro_actions_t *out)
{
    char dn[RO_NAME_MAX + 8], sw[48];
    s->error_count++;
    if (s->error_count < RO_MAX_ERRORS) {
        emit_log(out, "revert: %s (error %d of %d), retrying in %d s", what, s->error_count,
                 RO_MAX_ERRORS, s->plan.health_interval_s);
        s->awaiting = NO_ACTION;
        s->next_round_ms = now + interval_ms(s);
        return;
    }
    char left[RO_TEXT_MAX];
    if (s->switched)
        snprintf(left, sizeof left, "Service %s may still select %s", s->app,
                 slot_words(s->to_slot, sw, sizeof sw));
    else
        snprintf(left, sizeof left, "Deployment %s not deleted",
                 deploy_name(s, s->to_slot, dn, sizeof dn));
    snprintf(s->reason, sizeof s->reason, "revert incomplete: %s: %s", left, what);
    s->phase = RO_PHASE_FAILED;
    emit_log(out, "rollout failed: %s (kdeck rollout resume retries the revert)", s->reason);
    emit(out, RO_ACT_SAVE);
    end_now(s, now, out);
}

/* Abort in RUNNING: at once, or once the APPLY / SWITCH / LOCK in flight has answered. */
static void abort_now(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    if (s->awaiting == RO_ACT_LOCK || s->awaiting == RO_ACT_APPLY ||
        s->awaiting == RO_ACT_SWITCH) {
        emit_log(out, "%s: abort requested (%s); waiting for the request in flight to answer",
                 ro_step_name(s->step), s->reason);
        if (s->step != RO_STEP_LOCK) /* before the Lease is ours, the record is not either */
            emit(out, RO_ACT_SAVE);
        return;
    }
    /* recorded state at the switch, nothing in flight: the PATCH may have gone through */
    bool maybe_switched = s->step == RO_STEP_SWITCH && s->steps[RO_STEP_SWITCH] == RO_SS_RUNNING;
    begin_revert(s, maybe_switched, now, out);
}

/* Once the old slot's scale-down is due it may be under way: a flip back could land on no pods. */
static bool too_late_to_abort(const ro_state_t *s, int64_t now)
{
    return s->step == RO_STEP_FINISH &&
           (s->awaiting == RO_ACT_SCALE_DOWN || s->steps[RO_STEP_FINISH] != RO_SS_RUNNING ||
            now >= s->deadline_ms);
}

/* ---- entry points ---------------------------------------------------------------------------- */

void ro_start(ro_state_t *s, const char *app, const char *ns, const char *version,
              const char *from_version, const char *from_slot, const char *who,
              const ro_plan_t *plan, int64_t now_ms, ro_actions_t *out)
{
    out->n = 0;
    memset(s, 0, sizeof *s);
    copy_str(s->app, sizeof s->app, app);
    copy_str(s->ns, sizeof s->ns, ns);
    copy_str(s->version, sizeof s->version, version);
    copy_str(s->from_version, sizeof s->from_version, from_version);
    copy_str(s->from_slot, sizeof s->from_slot, from_slot);
    copy_str(s->to_slot, sizeof s->to_slot, ro_other_slot(s->from_slot));
    copy_str(s->who, sizeof s->who, who);
    snprintf(s->id, sizeof s->id, "%s-%s-%lld", s->app, s->version, (long long)(now_ms / 1000));
    s->plan = *plan;
    ro_plan_defaults(&s->plan);
    s->phase = RO_PHASE_RUNNING;
    s->started_ms = now_ms;
    s->awaiting = NO_ACTION;
    s->steps[RO_STEP_MIGRATE] = s->plan.migrate ? RO_SS_PENDING : RO_SS_SKIPPED;
    s->steps[RO_STEP_HEALTH] = s->plan.health_check ? RO_SS_PENDING : RO_SS_SKIPPED;
    s->steps[RO_STEP_ANALYZE] = s->plan.analysis_pre ? RO_SS_PENDING : RO_SS_SKIPPED;
    s->steps[RO_STEP_BAKE] = s->plan.bake_s > 0 ? RO_SS_PENDING : RO_SS_SKIPPED;
    start_step(s, RO_STEP_LOCK, false, now_ms, out);
}

void ro_abort(ro_state_t *s, const char *reason, int64_t now_ms, ro_actions_t *out)
{
    out->n = 0;
    if (s->phase != RO_PHASE_RUNNING) {
        if (s->phase == RO_PHASE_REVERTING)
            emit_log(out, "abort: already reverting (%s)", s->reason);
        return;
    }
    if (s->abort_requested) {
        emit_log(out, "abort: already requested, waiting for the request in flight");
        return;
    }
    if (too_late_to_abort(s, now_ms)) {
        emit_log(out, "abort: too late, the old slot is being scaled down; use undo to roll back");
        return;
    }
    s->abort_requested = true;
    copy_str(s->reason, sizeof s->reason, reason && *reason ? reason : "aborted by the operator");
    abort_now(s, now_ms, out);
}

void ro_resume(ro_state_t *s, int64_t now_ms, ro_actions_t *out)
{
    out->n = 0;
    s->awaiting = NO_ACTION;
    s->round_pending = 0;
    s->error_count = 0;
    s->ready_n = s->ready_m = -1;
    s->last_problem[0] = '\0';
    if (ro_finished(s)) {
        if (s->phase == RO_PHASE_FAILED && (s->switched || s->new_created)) {
            /* a revert that gave up ("revert incomplete"): try it again */
            emit_log(out, "resume: completing the revert of rollout %s", s->id);
            s->phase = RO_PHASE_REVERTING;
            s->finished_ms = 0;
            emit(out, RO_ACT_SAVE);
            continue_revert(s, now_ms, out);
            return;
        }
        emit(out, RO_ACT_DONE);
        return;
    }
    emit_log(out, "resume: picking up rollout %s at step %s (%s)", s->id, ro_step_name(s->step),
             ro_phase_name(s->phase));
    if (s->phase == RO_PHASE_REVERTING) {
        continue_revert(s, now_ms, out);
        return;
    }
    if (s->abort_requested) {
        if (!too_late_to_abort(s, now_ms)) {
            abort_now(s, now_ms, out);
            return;
        }
        emit_log(out, "abort: too late, the old slot is being scaled down; use undo to roll back");
        s->abort_requested = false;
        s->reason[0] = '\0';
    }
    if (s->steps[s->step] == RO_SS_DONE || s->steps[s->step] == RO_SS_SKIPPED) {
        advance(s, now_ms, out);
        return;
    }
    start_step(s, s->step, true, now_ms, out);
}

/* ---- events while going forward -------------------------------------------------------------- */

static void on_ready(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    int64_t now = ev->now_ms;
    s->awaiting = NO_ACTION;
    if (ev->n != s->ready_n || ev->m != s->ready_m)
        emit_log(out, "deploy: %d/%d replicas ready", ev->n, ev->m);
    s->ready_n = ev->n;
    s->ready_m = ev->m;
    if (ev->m > 0 && ev->n >= ev->m) {
        complete_step(s, now);
        advance(s, now, out);
        return;
    }
    if (now >= s->deadline_ms) {
        char dn[RO_NAME_MAX + 8];
        fail(s, now, out, "only %d/%d replicas of %s ready after %lld s", ev->n, ev->m,
             deploy_name(s, s->to_slot, dn, sizeof dn),
             (long long)secs_between(s->step_started_ms[RO_STEP_DEPLOY], now));
        return;
    }
    s->next_round_ms = now + interval_ms(s);
}

static void health_timeout(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    long long after = (long long)secs_between(s->step_started_ms[RO_STEP_HEALTH], now);
    if (s->last_problem[0])
        fail(s, now, out, "%s after %lld s", s->last_problem, after);
    else
        fail(s, now, out, "health check: no answer after %lld s", after);
}

static void on_health_step(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    int64_t now = ev->now_ms;
    char dn[RO_NAME_MAX + 8];
    s->awaiting = NO_ACTION;
    if (ev->ok) {
        emit_log(out, "health: every pod of %s is healthy",
                 deploy_name(s, s->to_slot, dn, sizeof dn));
        complete_step(s, now);
        advance(s, now, out);
        return;
    }
    const char *t = *text_of(ev) ? text_of(ev) : "unhealthy";
    if (strcmp(t, s->last_problem))
        emit_log(out, "health: %s", t);
    copy_str(s->last_problem, sizeof s->last_problem, t);
    if (now >= s->deadline_ms)
        health_timeout(s, now, out);
    else
        s->next_round_ms = now + interval_ms(s);
}

/* A bake answer: any failure reverts; the window ends once it passed and the round answered. */
static void on_bake_answer(ro_state_t *s, const ro_event_t *ev, ro_action_kind_t kind,
                           ro_actions_t *out)
{
    int64_t now = ev->now_ms;
    s->round_pending &= ~(1u << kind);
    if (!ev->ok) {
        const char *t = *text_of(ev) ? text_of(ev) : "failed";
        if (kind == RO_ACT_HEALTH)
            fail(s, now, out, "after the switch: %s", t);
        else
            fail(s, now, out, "post-switch analysis: %s", t);
        return;
    }
    if (!s->round_pending && now >= s->deadline_ms) {
        char dn[RO_NAME_MAX + 8];
        emit_log(out, "bake: %s stayed healthy for %lld s", deploy_name(s, s->to_slot, dn, sizeof dn),
                 (long long)secs_between(s->step_started_ms[RO_STEP_BAKE], now));
        complete_step(s, now);
        advance(s, now, out);
    }
}

static void on_tick_running(ro_state_t *s, int64_t now, ro_actions_t *out)
{
    char dn[RO_NAME_MAX + 8];
    switch (s->step) {
    case RO_STEP_MIGRATE:
        if (now >= s->deadline_ms)
            fail(s, now, out, "migration Job %s not complete after %d s",
                 job_name(s).s, s->plan.migrate_timeout_s);
        return;
    case RO_STEP_DEPLOY:
        if (s->awaiting == RO_ACT_APPLY)
            return;
        if (now >= s->deadline_ms) {
            if (s->ready_m >= 0)
                fail(s, now, out, "only %d/%d replicas of %s ready after %lld s",
                     s->ready_n, s->ready_m, deploy_name(s, s->to_slot, dn, sizeof dn),
                     (long long)secs_between(s->step_started_ms[RO_STEP_DEPLOY], now));
            else
                fail(s, now, out, "readiness of %s unknown after %lld s",
                     deploy_name(s, s->to_slot, dn, sizeof dn),
                     (long long)secs_between(s->step_started_ms[RO_STEP_DEPLOY], now));
        } else if (s->awaiting == NO_ACTION && now >= s->next_round_ms) {
            emit_slot(out, RO_ACT_CHECK_READY, s->to_slot);
            s->awaiting = RO_ACT_CHECK_READY;
        }
        return;
    case RO_STEP_HEALTH:
        if (now >= s->deadline_ms)
            health_timeout(s, now, out);
        else if (s->awaiting == NO_ACTION && now >= s->next_round_ms) {
            emit_slot(out, RO_ACT_HEALTH, s->to_slot);
            s->awaiting = RO_ACT_HEALTH;
        }
        return;
    case RO_STEP_ANALYZE:
        if (now >= s->deadline_ms)
            fail(s, now, out, "pre-switch analysis: no answer after %lld s",
                 (long long)secs_between(s->step_started_ms[RO_STEP_ANALYZE], now));
        return;
    case RO_STEP_BAKE:
        if (s->round_pending) {
            int64_t round_start = s->next_round_ms - interval_ms(s);
            if (now >= round_start + (int64_t)s->plan.health_timeout_s * 1000)
                fail(s, now, out, "the %s did not answer within %d s during the bake",
                     s->round_pending & (1u << RO_ACT_HEALTH) ? "health check" : "analysis",
                     s->plan.health_timeout_s);
        } else if (now >= s->deadline_ms) {
            emit_log(out, "bake: %s stayed healthy for %lld s",
                     deploy_name(s, s->to_slot, dn, sizeof dn),
                     (long long)secs_between(s->step_started_ms[RO_STEP_BAKE], now));
            complete_step(s, now);
            advance(s, now, out);
        } else if (now >= s->next_round_ms) {
            bake_round(s, now, out);
        }
        return;
    case RO_STEP_FINISH:
        if (s->awaiting == NO_ACTION && now >= s->deadline_ms && now >= s->next_round_ms)
            scale_down(s, out);
        return;
    case RO_STEP_LOCK:
    case RO_STEP_SWITCH:
    case RO_N_STEPS:
        return;
    }
}

/* The answer an abort was waiting for arrived: record what it did, then revert. */
static void on_answer_after_abort(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    int64_t now = ev->now_ms;
    if (ev->kind == RO_EV_LOCK_HELD) {
        s->phase = RO_PHASE_FAILED;
        snprintf(s->reason, sizeof s->reason, "locked by %s", text_of(ev));
        s->steps[RO_STEP_LOCK] = RO_SS_FAILED;
        copy_str(s->failed_step, sizeof s->failed_step, "lock");
        emit_log(out, "lock: refused: %s", s->reason);
        end_now(s, now, out);
        return;
    }
    if (ev->kind == RO_EV_ERROR && s->step == RO_STEP_LOCK) {
        s->phase = RO_PHASE_ABORTED;
        emit_log(out, "lock: %s; aborted", text_of(ev));
        end_now(s, now, out);
        return;
    }
    bool maybe_switched = false;
    if (ev->kind == RO_EV_SWITCHED) {
        s->switched = true;
        complete_step(s, now);
    } else if (ev->kind == RO_EV_LOCKED || ev->kind == RO_EV_APPLIED) {
        complete_step(s, now);
    } else if (ev->kind == RO_EV_ERROR && s->awaiting == RO_ACT_SWITCH) {
        maybe_switched = true;
    }
    s->awaiting = NO_ACTION;
    begin_revert(s, maybe_switched, now, out);
}

static void ignored(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    static const char *const kinds[] = {
        "tick", "locked", "lock held", "job done", "job failed", "applied", "ready", "health",
        "analysis", "switched", "switch conflict", "deleted", "scaled down", "released", "abort",
        "error",
    };
    const char *k = (unsigned)ev->kind < sizeof kinds / sizeof kinds[0] ? kinds[ev->kind] : "?";
    emit_log(out, "%s: ignored a late \"%s\" answer", ro_step_name(s->step), k);
}

static void handle_running(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    int64_t now = ev->now_ms;
    char dn[RO_NAME_MAX + 8], sw[48];
    if (s->abort_requested &&
        (ev->kind == RO_EV_LOCKED || ev->kind == RO_EV_LOCK_HELD || ev->kind == RO_EV_APPLIED ||
         ev->kind == RO_EV_SWITCHED || ev->kind == RO_EV_SWITCH_CONFLICT ||
         ev->kind == RO_EV_ERROR)) {
        on_answer_after_abort(s, ev, out);
        return;
    }
    switch (ev->kind) {
    case RO_EV_TICK:
        on_tick_running(s, now, out);
        return;
    case RO_EV_LOCKED:
        if (s->step != RO_STEP_LOCK || s->awaiting != RO_ACT_LOCK)
            break;
        {
            char from[48];
            emit_log(out, "lock: acquired; rolling out %s %s into %s (serving: %s in %s)",
                     s->app, s->version, slot_words(s->to_slot, sw, sizeof sw),
                     *s->from_version ? s->from_version : "unknown version",
                     slot_words(s->from_slot, from, sizeof from));
        }
        complete_step(s, now);
        advance(s, now, out);
        return;
    case RO_EV_LOCK_HELD:
        if (s->step != RO_STEP_LOCK)
            break;
        s->phase = RO_PHASE_FAILED;
        snprintf(s->reason, sizeof s->reason, "locked by %s", text_of(ev));
        s->steps[RO_STEP_LOCK] = RO_SS_FAILED;
        s->step_finished_ms[RO_STEP_LOCK] = now;
        copy_str(s->failed_step, sizeof s->failed_step, "lock");
        emit_log(out, "lock: refused: %s", s->reason);
        end_now(s, now, out);
        return;
    case RO_EV_JOB_DONE:
        if (s->step != RO_STEP_MIGRATE)
            break;
        emit_log(out, "migrate: Job %s complete", job_name(s).s);
        complete_step(s, now);
        advance(s, now, out);
        return;
    case RO_EV_JOB_FAILED:
        if (s->step != RO_STEP_MIGRATE)
            break;
        fail(s, now, out, "migration Job %s failed: %s", job_name(s).s,
             *text_of(ev) ? text_of(ev) : "Failed");
        return;
    case RO_EV_APPLIED:
        if (s->step != RO_STEP_DEPLOY || s->awaiting != RO_ACT_APPLY)
            break;
        emit_log(out, "deploy: Deployment %s applied; waiting for its replicas (up to %d s)",
                 deploy_name(s, s->to_slot, dn, sizeof dn), s->plan.ready_timeout_s);
        emit_slot(out, RO_ACT_CHECK_READY, s->to_slot);
        s->awaiting = RO_ACT_CHECK_READY;
        return;
    case RO_EV_READY:
        if (s->step != RO_STEP_DEPLOY || s->awaiting != RO_ACT_CHECK_READY)
            break;
        on_ready(s, ev, out);
        return;
    case RO_EV_HEALTH:
        if (s->step == RO_STEP_HEALTH && s->awaiting == RO_ACT_HEALTH)
            on_health_step(s, ev, out);
        else if (s->step == RO_STEP_BAKE && (s->round_pending & (1u << RO_ACT_HEALTH)))
            on_bake_answer(s, ev, RO_ACT_HEALTH, out);
        else
            break;
        return;
    case RO_EV_ANALYSIS:
        if (s->step == RO_STEP_ANALYZE && s->awaiting == RO_ACT_ANALYZE) {
            if (!ev->ok) {
                fail(s, now, out, "pre-switch analysis: %s", *text_of(ev) ? text_of(ev) : "failed");
                return;
            }
            emit_log(out, "analyze: pre-switch analysis passed");
            complete_step(s, now);
            advance(s, now, out);
        } else if (s->step == RO_STEP_BAKE && (s->round_pending & (1u << RO_ACT_ANALYZE))) {
            on_bake_answer(s, ev, RO_ACT_ANALYZE, out);
        } else {
            break;
        }
        return;
    case RO_EV_SWITCHED:
        if (s->step != RO_STEP_SWITCH || s->awaiting != RO_ACT_SWITCH)
            break;
        s->switched = true;
        emit_log(out, "switch: service %s now selects %s", s->app,
                 slot_words(s->to_slot, sw, sizeof sw));
        complete_step(s, now);
        advance(s, now, out);
        return;
    case RO_EV_SWITCH_CONFLICT:
        if (s->step != RO_STEP_SWITCH || s->awaiting != RO_ACT_SWITCH)
            break;
        s->switch_attempts++;
        if (s->switch_attempts > RO_SWITCH_RETRIES) {
            s->awaiting = NO_ACTION; /* 409: the PATCH did not apply, nothing to flip back */
            fail(s, now, out, "Service %s kept changing during the switch (409 Conflict %d times)", s->app,
                 s->switch_attempts);
            return;
        }
        emit_log(out, "switch: 409 Conflict on Service %s (changed meanwhile), retrying (%d of %d)",
                 s->app, s->switch_attempts, RO_SWITCH_RETRIES);
        emit_slot(out, RO_ACT_SWITCH, s->to_slot);
        return;
    case RO_EV_SCALED_DOWN:
        if (s->step != RO_STEP_FINISH || s->awaiting != RO_ACT_SCALE_DOWN)
            break;
        emit_log(out, "finish: Deployment %s scaled to 0",
                 deploy_name(s, s->from_slot, dn, sizeof dn));
        complete_step(s, now);
        finalize(s, RO_PHASE_SUCCEEDED, now, out);
        return;
    case RO_EV_ABORT:
        ro_abort(s, ev->text, now, out);
        return;
    case RO_EV_ERROR:
        if (s->step == RO_STEP_LOCK) {
            /* whether the Lease is ours is unknown: it expires by itself */
            s->phase = RO_PHASE_FAILED;
            snprintf(s->reason, sizeof s->reason, "lock: %s", text_of(ev));
            s->steps[RO_STEP_LOCK] = RO_SS_FAILED;
            s->step_finished_ms[RO_STEP_LOCK] = now;
            copy_str(s->failed_step, sizeof s->failed_step, "lock");
            emit_log(out, "rollout failed: %s", s->reason);
            end_now(s, now, out);
            return;
        }
        if (s->step == RO_STEP_FINISH) {
            /* the new version serves and baked; the old one may be half scaled down, so no flip
             * back: retry, and after RO_MAX_ERRORS succeed with the reason recorded */
            s->awaiting = NO_ACTION;
            if (++s->error_count < RO_MAX_ERRORS) {
                emit_log(out, "finish: %s (error %d of %d), retrying in %d s", text_of(ev),
                         s->error_count, RO_MAX_ERRORS, s->plan.health_interval_s);
                s->next_round_ms = now + interval_ms(s);
                return;
            }
            snprintf(s->reason, sizeof s->reason, "Deployment %s not scaled down: %s",
                     deploy_name(s, s->from_slot, dn, sizeof dn), text_of(ev));
            s->steps[RO_STEP_FINISH] = RO_SS_FAILED;
            s->step_finished_ms[RO_STEP_FINISH] = now;
            copy_str(s->failed_step, sizeof s->failed_step, "finish");
            finalize(s, RO_PHASE_SUCCEEDED, now, out);
            return;
        }
        fail(s, now, out, "%s", *text_of(ev) ? text_of(ev) : "API error");
        return;
    case RO_EV_DELETED:
    case RO_EV_RELEASED:
        break;
    }
    if (ev->kind != RO_EV_TICK)
        ignored(s, ev, out);
}

/* ---- events while reverting and at the end --------------------------------------------------- */

static void handle_reverting(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    int64_t now = ev->now_ms;
    char dn[RO_NAME_MAX + 8], sw[48];
    switch (ev->kind) {
    case RO_EV_TICK:
        if (s->awaiting == NO_ACTION && now >= s->next_round_ms)
            continue_revert(s, now, out);
        return;
    case RO_EV_SWITCHED:
        if (s->awaiting != RO_ACT_SWITCH)
            break;
        s->switched = false;
        if (s->steps[RO_STEP_SWITCH] == RO_SS_DONE)
            s->steps[RO_STEP_SWITCH] = RO_SS_REVERTED;
        emit_log(out, "switch: service %s now selects %s again", s->app,
                 slot_words(s->from_slot, sw, sizeof sw));
        emit(out, RO_ACT_SAVE);
        continue_revert(s, now, out);
        return;
    case RO_EV_DELETED:
        if (s->awaiting != RO_ACT_DELETE)
            break;
        s->new_created = false;
        if (s->steps[RO_STEP_DEPLOY] == RO_SS_DONE)
            s->steps[RO_STEP_DEPLOY] = RO_SS_REVERTED;
        emit_log(out, "revert: Deployment %s deleted", deploy_name(s, s->to_slot, dn, sizeof dn));
        emit(out, RO_ACT_SAVE);
        continue_revert(s, now, out);
        return;
    case RO_EV_SWITCH_CONFLICT:
        if (s->awaiting != RO_ACT_SWITCH)
            break;
        revert_error(s, "409 Conflict on the flip back (Service changed meanwhile)", now, out);
        return;
    case RO_EV_ERROR:
        if (s->awaiting != RO_ACT_SWITCH && s->awaiting != RO_ACT_DELETE)
            break;
        revert_error(s, *text_of(ev) ? text_of(ev) : "API error", now, out);
        return;
    case RO_EV_ABORT:
        ro_abort(s, ev->text, now, out);
        return;
    default:
        break;
    }
    if (ev->kind != RO_EV_TICK)
        ignored(s, ev, out);
}

void ro_handle(ro_state_t *s, const ro_event_t *ev, ro_actions_t *out)
{
    out->n = 0;
    if (s->phase == RO_PHASE_RUNNING) {
        handle_running(s, ev, out);
    } else if (s->phase == RO_PHASE_REVERTING) {
        handle_reverting(s, ev, out);
    } else if (s->awaiting == RO_ACT_RELEASE &&
               (ev->kind == RO_EV_RELEASED || ev->kind == RO_EV_ERROR)) {
        if (ev->kind == RO_EV_ERROR)
            emit_log(out, "release: %s; the Lease expires by itself within 15 s", text_of(ev));
        end_now(s, s->finished_ms ? s->finished_ms : ev->now_ms, out);
    }
}
