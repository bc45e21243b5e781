/* The rollout record: ro_record_parse on a random ConfigMap kdeck-rollout-<app> (anyone with
 * write access to the namespace can put anything there). A state it accepts must survive the
 * JSON round trip unchanged, and the engine must take it over (ro_resume, then an abort and a
 * minute of ticks) without a crash or an overfull action list. Layout: the ConfigMap JSON. */
#include "fuzz_common.h"
#include "kdeck/rollout_driver.h"

#include <stdio.h>

static void check_actions(const ro_actions_t *out)
{
    if (out->n >= RO_MAX_ACTIONS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *cm = cJSON_ParseWithLength((const char *)data, size);
    ro_record_t r;
    char err[256];
    if (!ro_record_parse(cm, &r, err, sizeof err)) {
        if (!err[0] || strlen(err) >= sizeof err)
            abort();
        cJSON_Delete(cm);
        return 0;
    }
    cJSON_Delete(cm);
    if (r.has_state) {
        cJSON *j = ro_state_to_json(&r.state);
        char *a = cJSON_PrintUnformatted(j);
        ro_state_t back;
        if (!ro_state_from_json(j, &back, err, sizeof err))
            abort(); /* what the engine writes, it reads back */
        cJSON *j2 = ro_state_to_json(&back);
        char *b = cJSON_PrintUnformatted(j2);
        if (!a || !b || strcmp(a, b))
            abort();
        free(a);
        free(b);
        cJSON_Delete(j);
        cJSON_Delete(j2);

        ro_actions_t out;
        int64_t now = r.state.started_ms + 1000;
        ro_resume(&r.state, now, &out);
        check_actions(&out);
        ro_abort(&r.state, r.abort_request, now, &out);
        check_actions(&out);
        for (int i = 0; i < 60; i++) {
            ro_event_t ev = {.kind = i % 7 ? RO_EV_TICK : RO_EV_ERROR, .now_ms = now += 1000,
                             .text = "fuzz"};
            ro_handle(&r.state, &ev, &out);
            check_actions(&out);
        }
        ro_history_entry_t e;
        ro_history_entry_from_state(&r.state, &e);
        char *h = ro_history_add(NULL, &e);
        free(h);
    }
    char *log = ro_log_append(r.log, "fuzz");
    free(log);
    ro_record_free(&r);
    return 0;
}
