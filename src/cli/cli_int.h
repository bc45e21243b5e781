/* Shared by the headless commands in src/cli/: object paths, GETs and exit statuses. */
#ifndef KDECK_CLI_INT_H
#define KDECK_CLI_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "kdeck/cli.h"
#include "kdeck/connect.h"

/* Exit statuses of the headless commands (docs/kdeck.1). */
enum {
    CLI_OK = 0,
    CLI_FAIL = 1,          /* invalid input, API error, rollout failed or timed out */
    CLI_USAGE = 2,         /* usage error, or refused by a read-only session */
    CLI_CONFLICT = 3,      /* 409: the object changed on the server */
    CLI_UNREACHABLE = 4,   /* no answer from the API server */
};

int cli_descriptor_main(int argc, char **argv, const cli_conn_t *conn);
int cli_apply_main(int argc, char **argv, const cli_conn_t *conn);
int cli_rollout_main(int argc, char **argv, const cli_conn_t *conn);

/* "/apis/apps/v1/namespaces/NS/deployments" (+ "/NAME" when name) for the kinds a descriptor
 * makes; NULL for another kind. */
const char *cli_object_path(const char *api_version, const char *kind, const char *ns,
                            const char *name, char *buf, size_t len);
/* "deployments", ... (the resource of such a kind); "?" otherwise. */
const char *cli_resource_name(const char *kind);
/* GETs path into *out (NULL on 404 when missing_ok). Returns CLI_OK, CLI_FAIL or
 * CLI_UNREACHABLE with a message in err. */
int cli_get_json(kube_conn_t *c, const char *path, bool missing_ok, cJSON **out, char *err,
                 size_t errlen);
/* Status for a failed response: unreachable (no answer), refused (read-only) or failed. */
int cli_status_of(const kube_resp_t *r);

#endif
