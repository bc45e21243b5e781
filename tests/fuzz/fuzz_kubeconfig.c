/* kubeconfig/YAML loading: the input is written to a file, loaded with kubeconfig_load_files and
 * every context is resolved; the raw YAML tree is also built and converted to JSON. */
#include "fuzz_common.h"
#include "kdeck/kubeconfig.h"
#include "kdeck/yamltree.h"

#include <stdio.h>
#include <unistd.h>

static char path[64];

static void cleanup(void) { if (path[0]) unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    yt_error_t yerr;
    yt_node_t *root = yt_parse((const char *)data, size, &yerr);
    if (root) {
        cJSON *j = yt_to_cjson(root);
        cJSON_Delete(j);
        yt_free(root);
    }
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/kdeck-fuzz-kc.%ld.yaml", (long)getpid());
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    const char *paths[] = { path };
    kc_error_t err;
    kubeconfig_t *kc = kubeconfig_load_files(paths, 1, false, &err);
    if (!kc)
        return 0;
    (void)kubeconfig_current_context(kc);
    for (size_t i = 0; i < kubeconfig_warning_count(kc); i++)
        (void)kubeconfig_warning_at(kc, i);
    kube_target_t *t = kubeconfig_resolve(kc, NULL, NULL, &err);
    kube_target_free(t);
    size_t n = kubeconfig_context_count(kc);
    for (size_t i = 0; i < n && i < 64; i++) {
        const kc_context_info_t *c = kubeconfig_context_at(kc, i);
        t = kubeconfig_resolve(kc, c->name, i % 2 ? "override-ns" : NULL, &err);
        if (t && t->exec) {
            bool interactive = false;
            if (kc_exec_interactive(t->exec, i % 2, &interactive, &err)) {
                char *info = kc_exec_info_json(t, interactive);
                free(info);
            }
        }
        kube_target_free(t);
    }
    kubeconfig_free(kc);
    return 0;
}
