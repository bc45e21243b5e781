/* Prometheus HTTP API answers: prom_decode, then everything a panel does with a result (message,
 * labels, last points, legends). Layout: 1 byte picks the HTTP status, then the body. */
#include "fuzz_common.h"
#include "kdeck/panels.h"
#include "kdeck/prom.h"

#include <math.h>

static const long statuses[] = { 200, 400, 422, 503, 500, 404, 204, 302 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    long status = statuses[data[0] % 8];
    prom_result_t *r = prom_decode((const char *)data + 1, size - 1, status);
    if (!r)
        return 0;
    char buf[256];
    prom_result_message(r, buf, sizeof buf);
    prom_result_message(r, buf, 6);
    (void)prom_result_empty(r);
    (void)prom_status_text(r->status);
    for (size_t i = 0; i < r->n_series && i < 256; i++) {
        const prom_series_t *s = &r->series[i];
        (void)prom_series_label(s, "__name__");
        const prom_point_t *p = prom_series_last(s);
        if (p) {
            prom_format(p->v, (prom_unit_t)(data[0] >> 5), buf, sizeof buf);
            prom_format(p->v, (prom_unit_t)(data[0] >> 5), buf, 4);
        }
        panels_legend(NULL, s, buf, sizeof buf);
        panels_legend("{{code}} on {{ instance }} {{pod|instance}} {{", s, buf, sizeof buf);
    }
    prom_result_free(r);
    return 0;
}
