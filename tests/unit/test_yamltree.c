/* yamltree: scalar typing as Kubernetes reads YAML, positions, aliases, duplicates, cJSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/yamltree.h"

static yt_node_t *parse(const char *s)
{
    yt_error_t err;
    yt_node_t *n = yt_parse(s, strlen(s), &err);
    if (!n)
        fail_msg("unexpected parse error %d:%d: %s", err.line, err.col, err.msg);
    return n;
}

static void test_scalar_types(void **state)
{
    (void)state;
    yt_node_t *root = parse("a: hello\nb: 12\nc: \"12\"\nd: yes\ne: 'true'\nf: ~\ng:\n"
                            "h: 1.5e3\ni: 0x1F\nj: 08\nk: !!str 42\nl: .inf\nm: 1_000\nn: -7\n"
                            "o: 2024-01-01\np: off\n");
    struct { const char *key; yt_kind_t kind; } want[] = {
        {"a", YT_STRING}, {"b", YT_INT}, {"c", YT_STRING}, {"d", YT_BOOL}, {"e", YT_STRING},
        {"f", YT_NULL}, {"g", YT_NULL}, {"h", YT_FLOAT}, {"i", YT_INT}, {"j", YT_FLOAT},
        {"k", YT_STRING}, {"l", YT_FLOAT}, {"m", YT_INT}, {"n", YT_INT}, {"o", YT_STRING},
        {"p", YT_BOOL},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const yt_node_t *n = yt_map_get(root, want[i].key);
        assert_non_null(n);
        if (n->kind != want[i].kind)
            fail_msg("%s: got %s want %s", want[i].key, yt_kind_name(n->kind),
                     yt_kind_name(want[i].kind));
    }
    assert_true(yt_map_get(root, "d")->bool_value);
    assert_false(yt_map_get(root, "p")->bool_value);
    assert_int_equal(yt_map_get(root, "b")->line, 2);
    assert_int_equal(yt_map_get(root, "b")->col, 4);
    yt_free(root);
}

static void test_aliases_and_cjson(void **state)
{
    (void)state;
    yt_node_t *root = parse("base: &b {x: 1, y: [a, \"b\", true]}\ncopy: *b\nempty: {}\n");
    cJSON *j = yt_to_cjson(root);
    assert_non_null(j);
    char *s = cJSON_PrintUnformatted(j);
    assert_string_equal(s, "{\"base\":{\"x\":1,\"y\":[\"a\",\"b\",true]},"
                           "\"copy\":{\"x\":1,\"y\":[\"a\",\"b\",true]},\"empty\":{}}");
    free(s);
    cJSON_Delete(j);
    yt_free(root);
}

static void test_errors(void **state)
{
    (void)state;
    yt_error_t err;
    const char *dup = "a: 1\nb: 2\na: 3\n";
    assert_null(yt_parse(dup, strlen(dup), &err));
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "duplicate key \"a\" (first at line 1)"));

    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    assert_null(yt_parse(bad, strlen(bad), &err));
    assert_true(err.line >= 2);
    assert_true(strlen(err.msg) > 0);

    const char *alias = "a: *nope\n";
    assert_null(yt_parse(alias, strlen(alias), &err));
    assert_non_null(strstr(err.msg, "unknown alias"));

    /* billion laughs stays bounded */
    const char *lol = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    assert_null(yt_parse(lol, strlen(lol), &err));
    assert_non_null(strstr(err.msg, "too many nodes"));

    char deep[2000];
    memset(deep, '[', 1000);
    deep[1000] = '\0';
    assert_null(yt_parse(deep, strlen(deep), &err));
}

static void test_empty_and_multi_doc(void **state)
{
    (void)state;
    yt_node_t *n = parse("");
    assert_int_equal(n->kind, YT_NULL);
    yt_free(n);
    n = parse("# only a comment\n");
    assert_int_equal(n->kind, YT_NULL);
    yt_free(n);
    n = parse("---\na: 1\n---\nb: 2\n");
    assert_non_null(yt_map_get(n, "a"));
    assert_null(yt_map_get(n, "b"));
    yt_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_types),
        cmocka_unit_test(test_aliases_and_cjson),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty_and_multi_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
