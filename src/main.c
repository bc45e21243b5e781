/* kdeck entry point: parses the command line and dispatches to the TUI or a subcommand. */
#include <stdio.h>
#include <string.h>

#ifndef KDECK_VERSION
#define KDECK_VERSION "dev"
#endif

static void print_usage(FILE *out)
{
    fputs("Usage: kdeck [OPTIONS]\n"
          "       kdeck version\n"
          "\n"
          "A terminal deployment console for Kubernetes.\n"
          "\n"
          "Options:\n"
          "  --kubeconfig FILE     kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config)\n"
          "  --context NAME        kubeconfig context to use\n"
          "  -n, --namespace NS    namespace to start in\n"
          "  --version             print the version and exit\n"
          "  -h, --help            print this help and exit\n",
          out);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "version")) {
            printf("kdeck %s\n", KDECK_VERSION);
            return 0;
        }
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            print_usage(stdout);
            return 0;
        }
    }
    print_usage(stderr);
    return 2;
}
