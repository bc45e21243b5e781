/* The read-only guarantee: one pure decision, asked by the HTTP and WebSocket layers for every
 * request whatever code issued it. */
#ifndef KDECK_READONLY_H
#define KDECK_READONLY_H

#include <stdbool.h>
#include <stddef.h>

/* True when a read-only session may send this request: GET/HEAD (lists, watches, logs, proxy GETs
 * to Prometheus or health checks) and the POSTs of SelfSubjectAccessReview/SelfSubjectRulesReview.
 * exec, attach and portforward are refused whatever the method. `path` may carry a query string. */
bool kube_request_allowed_read_only(const char *method, const char *path);

/* Why a request was refused, for the status line: "read-only session: refusing DELETE /api/...". */
void kube_read_only_refusal(const char *method, const char *path, char *buf, size_t len);

#endif
