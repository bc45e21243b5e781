/* The table of headless subcommands: one row per command, implemented in its own file. */
#include "kdeck/cli.h"
#include "cli_int.h"

#include <stddef.h>

const cli_command_t kdeck_cli_commands[] = {
    /* rows are added here as subcommands land: { "descriptor", "...", cli_descriptor_main }, */
    { "descriptor", "get APP -n NS [-o json|yaml] | validate FILE: app descriptors", cli_descriptor_main },
    { "apply", "-f FILE [--dry-run] [--timeout D]: apply a descriptor (rolling update)", cli_apply_main },
    { "rollout", "apply -f FILE | status|abort|resume|undo|history APP -n NS: blue/green rollouts", cli_rollout_main },
    { NULL, NULL, NULL },
};
