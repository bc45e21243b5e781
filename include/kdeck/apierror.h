/* Kubernetes API errors in words: turns a response (Status body or not) into one line that says
 * what and where, for the status line and for headless output. */
#ifndef KDECK_APIERROR_H
#define KDECK_APIERROR_H

#include <stddef.h>

#include "kdeck/http.h"

/* "GET /api/v1/pods: 403 Forbidden: pods is forbidden: User \"viewer\" cannot list ..." or the
 * transport error ("cannot connect to https://...: Connection refused"). `what` names the request
 * (may be NULL). Returns buf. */
char *api_error_describe(const char *what, const http_result_t *res, char *buf, size_t len);

/* The reason phrase for an HTTP status ("Forbidden"), "" when unknown. */
const char *api_status_text(long status);

#endif
