/* The table of headless subcommands: one row per command, implemented in its own file. */
#include "kdeck/cli.h"

#include <stddef.h>

const cli_command_t kdeck_cli_commands[] = {
    /* rows are added here as subcommands land: { "descriptor", "...", cli_descriptor_main }, */
    { NULL, NULL, NULL },
};
