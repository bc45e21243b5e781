/* kdeck entry point: the command line, then the TUI (or a subcommand). */
#include "kdeck/app.h"
#include "kdeck/cli.h"
#include "kdeck/config.h"
#include "kdeck/keydoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KDECK_VERSION
#define KDECK_VERSION "dev"
#endif

static void print_usage(FILE *out)
{
    fputs("Usage: kdeck [OPTIONS]\n"
          "       kdeck version\n"
          "       kdeck keys            print the key reference (docs/keys.md)\n"
          "       kdeck [--kubeconfig F] [--context C] [-n NS] COMMAND ...   (see COMMANDS)\n"
          "\n"
          "A terminal deployment console for Kubernetes.\n"
          "\n"
          "Options:\n"
          "  --kubeconfig FILE     kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)\n"
          "  --context NAME        kubeconfig context to use\n"
          "  -n, --namespace NS    namespace to start in\n"
          "  -A, --all-namespaces  start with all namespaces\n"
          "  --theme NAME|FILE     colour theme (default, light, high-contrast, mono)\n"
          "  --read-only           on-call mode: nothing can change the cluster (alias --on-call)\n"
          "  --script FILE         run keys and :commands from FILE (also KDECK_SCRIPT)\n"
          "  --version             print the version and exit\n"
          "  -h, --help            print this help and exit\n"
          "\n"
          "  --prometheus URL      Prometheus for the metrics view (default: through the API\n"
          "                        server's service proxy, see docs/metrics.md)\n"
          "\n"
          "Environment: KUBECONFIG, KDECK_CONFIG, XDG_CONFIG_HOME, NO_COLOR, KDECK_SCRIPT,\n"
          "KDECK_NO_DISPLAY=1 (virtual screen of $COLUMNS x $LINES, for scripts).\n"
          "Keys: press ? inside kdeck. Manual: man kdeck.\n",
          out);
    if (kdeck_cli_commands[0].name) {
        fputs("\nCommands (headless, for pipelines):\n", out);
        for (const cli_command_t *c = kdeck_cli_commands; c->name; c++)
            fprintf(out, "  %-12s %s\n", c->name, c->summary);
    }
}

/* "--opt VALUE" or "--opt=VALUE": returns the value and advances *i, or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n))
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "kdeck: %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}

int main(int argc, char **argv)
{
    kdeck_config_t cfg = {0};
    char err[1024];
    if (!config_load(&cfg, err, sizeof err)) {
        fprintf(stderr, "kdeck: %s\n", err);
        return 2;
    }
    app_options_t o = {0};
    o.theme = cfg.theme[0] ? cfg.theme : NULL;
    o.read_only = cfg.read_only;
    o.start_view = cfg.start_view[0] ? cfg.start_view : NULL;
    o.prometheus = cfg.prometheus_url[0] ? cfg.prometheus_url : NULL; /* --prometheus overrides */
    o.prometheus_service = cfg.prometheus_service[0] ? cfg.prometheus_service : NULL;
    o.prometheus_timeout_ms = cfg.prometheus_timeout_ms;
    o.config = &cfg;
    o.script = getenv("KDECK_SCRIPT");
    const char *nd = getenv("KDECK_NO_DISPLAY");
    o.no_display = nd && *nd && strcmp(nd, "0");

    /* Headless subcommands: kdeck [connection options] COMMAND ARGS... */
    for (int i = 1; i < argc; i++) {
        for (const cli_command_t *c = kdeck_cli_commands; c->name; c++) {
            if (strcmp(argv[i], c->name))
                continue;
            cli_conn_t conn = { .read_only = cfg.read_only };
            for (int j = 1; j < i; j++) {
                const char *v;
                if ((v = opt_value(i, argv, &j, "--kubeconfig"))) conn.kubeconfig = v;
                else if ((v = opt_value(i, argv, &j, "--context"))) conn.context = v;
                else if ((v = opt_value(i, argv, &j, "--namespace")) || (v = opt_value(i, argv, &j, "-n"))) conn.ns = v;
                else if (!strcmp(argv[j], "--read-only") || !strcmp(argv[j], "--on-call")) conn.read_only = true;
                else {
                    fprintf(stderr, "kdeck: option '%s' does not apply to '%s'\n", argv[j], c->name);
                    return 2;
                }
            }
            return c->run(argc - i, argv + i, &conn);
        }
        if (argv[i][0] != '-')
            break;
        if (!strcmp(argv[i], "--kubeconfig") || !strcmp(argv[i], "--context") || !strcmp(argv[i], "-n") ||
            !strcmp(argv[i], "--namespace"))
            i++; /* skip the option's value */
    }

    for (int i = 1; i < argc; i++) {
        const char *v;
        const char *a = argv[i];
        if (!strcmp(a, "--version") || !strcmp(a, "version")) {
            printf("kdeck %s\n", KDECK_VERSION);
            return 0;
        } else if (!strcmp(a, "keys")) {
            keydoc_print(stdout);
            return 0;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
            print_usage(stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--kubeconfig"))) {
            o.kubeconfig = v;
        } else if ((v = opt_value(argc, argv, &i, "--context"))) {
            o.context = v;
        } else if ((v = opt_value(argc, argv, &i, "--namespace")) || (v = opt_value(argc, argv, &i, "-n"))) {
            o.ns = v;
        } else if ((v = opt_value(argc, argv, &i, "--prometheus"))) {
            o.prometheus = v;
            o.prometheus_from_flag = true;
        } else if ((v = opt_value(argc, argv, &i, "--theme"))) {
            o.theme = v;
        } else if ((v = opt_value(argc, argv, &i, "--script"))) {
            o.script = v;
        } else if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces")) {
            o.all_namespaces = true;
        } else if (!strcmp(a, "--read-only") || !strcmp(a, "--on-call")) {
            o.read_only = true;
        } else {
            fprintf(stderr, "kdeck: unknown option '%s'\n", a);
            print_usage(stderr);
            return 2;
        }
    }
    return app_run(&o);
}
