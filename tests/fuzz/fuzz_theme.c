/* Theme files: theme_parse, then every element's resolved style. Includes are resolved against
 * the built-in themes (the file name has no directory). */
#include "fuzz_common.h"
#include "kdeck/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = fuzz_cstr(data, size);
    char err[512];
    theme_t *t = theme_parse(text, "fuzz.theme", err, sizeof err);
    if (t) {
        (void)theme_name(t);
        for (int e = 0; e < THEME_ELEM_COUNT; e++) {
            (void)theme_get(t, (theme_elem_t)e);
            (void)theme_is_set(t, (theme_elem_t)e);
        }
        theme_free(t);
    }
    if (size >= 1) {
        (void)theme_elem_by_letter((char)data[0]);
        (void)theme_elem_by_name(text);
    }
    free(text);
    return 0;
}
