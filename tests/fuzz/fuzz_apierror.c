/* Status error decoding: api_error_describe with a random body, HTTP status, transport error and
 * content type. Layout: 2 bytes status, 1 byte flags, then the body. */
#include "fuzz_common.h"
#include "kdeck/apierror.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    long status = (long)((data[0] << 8) | data[1]) % 1000;
    uint8_t flags = data[2];
    char *body = fuzz_cstr(data + 3, size - 3);
    http_result_t res = {
        .status = (flags & 1) ? 0 : status,
        .curl_code = (flags & 2) ? 7 : 0,
        .error = (flags & 2) ? "Connection refused" : NULL,
        .body = (flags & 4) ? NULL : body,
        .body_len = (flags & 4) ? 0 : size - 3,
        .content_type = (flags & 8) ? "text/html" : "application/json",
    };
    char small[16], buf[512];
    const char *what = (flags & 16) ? NULL : "GET /api/v1/namespaces/app/pods";
    char *r = api_error_describe(what, &res, buf, sizeof buf);
    if (r != buf || strlen(buf) >= sizeof buf)
        abort();
    api_error_describe(what, &res, small, sizeof small);
    if (strlen(small) >= sizeof small)
        abort();
    (void)api_status_text(status);
    free(body);
    return 0;
}
