/* Headless subcommands for pipelines (`kdeck descriptor ...`, `kdeck apply ...`, `kdeck rollout ...`).
 * Each runs to completion on its own libuv loop and returns the process exit status. They share
 * the connection options of the TUI (--kubeconfig, --context, -n) parsed by cli_common_opts. */
#ifndef KDECK_CLI_H
#define KDECK_CLI_H

#include <stdbool.h>

typedef struct cli_conn {
    const char *kubeconfig, *context, *ns;
    bool read_only;
} cli_conn_t;

typedef int (*cli_main_fn)(int argc, char **argv, const cli_conn_t *conn);

typedef struct cli_command {
    const char *name;        /* argv[1] */
    const char *summary;     /* one line for --help */
    cli_main_fn run;         /* argv[0] is the subcommand name */
} cli_command_t;

/* The table of subcommands (NULL-terminated), defined in src/cli/commands.c. */
extern const cli_command_t kdeck_cli_commands[];

#endif
