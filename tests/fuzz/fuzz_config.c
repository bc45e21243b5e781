/* The config file: config_parse ("key: value" lines). */
#include "fuzz_common.h"
#include "kdeck/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = fuzz_cstr(data, size);
    kdeck_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[256];
    if (config_parse(&cfg, text, "fuzz.config", err, sizeof err)) {
        if (!memchr(cfg.theme, '\0', sizeof cfg.theme) || !memchr(cfg.start_view, '\0', sizeof cfg.start_view))
            abort();
    }
    free(text);
    return 0;
}
