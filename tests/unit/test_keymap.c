/* Keymap: key names round-trip, lookups fall back to the global context, read-only filtering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ncurses.h>
#include <string.h>

#include "kdeck/keymap.h"

static void test_key_names_round_trip(void **state)
{
    (void)state;
    size_t n;
    const keybinding_t *b = keymap_bindings(&n);
    assert_true(n > 20);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        keymap_key_name(b[i].key, name, sizeof name);
        assert_int_equal(keymap_parse_key(name), b[i].key);
    }
}

static void test_parse_names(void **state)
{
    (void)state;
    assert_int_equal(keymap_parse_key("j"), 'j');
    assert_int_equal(keymap_parse_key("<Down>"), KEY_DOWN);
    assert_int_equal(keymap_parse_key("<down>"), KEY_DOWN);
    assert_int_equal(keymap_parse_key("<Enter>"), '\n');
    assert_int_equal(keymap_parse_key("<CR>"), '\n');
    assert_int_equal(keymap_parse_key("<Esc>"), 27);
    assert_int_equal(keymap_parse_key("<C-d>"), 4);
    assert_int_equal(keymap_parse_key("<C-D>"), 4);
    assert_int_equal(keymap_parse_key("<F5>"), KEY_F(5));
    assert_int_equal(keymap_parse_key("<lt>"), '<');
    assert_int_equal(keymap_parse_key("<gt>"), '>');
    assert_int_equal(keymap_parse_key("<"), '<');
    assert_int_equal(keymap_parse_key("<Nope>"), -1);
    assert_int_equal(keymap_parse_key("<F13>"), -1);
    assert_int_equal(keymap_parse_key("<C-dd>"), -1);
    assert_int_equal(keymap_parse_key("ab"), -1);
    assert_int_equal(keymap_parse_key(""), -1);
}

static void test_lookup(void **state)
{
    (void)state;
    /* A table binds d to describe; a text view does not, and q is global everywhere. */
    assert_int_equal(keymap_lookup(KEYCTX_TABLE, 'd', false), ACT_DESCRIBE);
    assert_int_equal(keymap_lookup(KEYCTX_TEXT, 'd', false), ACT_NONE);
    assert_int_equal(keymap_lookup(KEYCTX_TEXT, 'q', false), ACT_QUIT);
    assert_int_equal(keymap_lookup(KEYCTX_TABLE, KEY_DOWN, false), ACT_DOWN);
    assert_int_equal(keymap_lookup(KEYCTX_TEXT, 'n', false), ACT_SEARCH_NEXT);
    assert_int_equal(keymap_lookup(KEYCTX_GLOBAL, 'Z', false), ACT_NONE);
}

static void test_no_duplicate_bindings(void **state)
{
    (void)state;
    size_t n;
    const keybinding_t *b = keymap_bindings(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_false(b[i].ctx == b[j].ctx && b[i].key == b[j].key);
}

static void test_read_only_hides_mutations(void **state)
{
    (void)state;
    size_t n;
    const keybinding_t *b = keymap_bindings(&n);
    for (size_t i = 0; i < n; i++) {
        action_t ro = keymap_lookup(b[i].ctx, b[i].key, true);
        if (action_flags(b[i].action) & ACT_MUTATES)
            assert_int_equal(ro, ACT_NONE);
        else
            assert_int_equal(ro, b[i].action);
    }
}

static void test_action_names_unique(void **state)
{
    (void)state;
    for (int a = 0; a < ACT_COUNT; a++) {
        assert_true(strlen(action_name((action_t)a)) > 0);
        assert_true(strlen(action_description((action_t)a)) > 0);
        for (int c = a + 1; c < ACT_COUNT; c++)
            assert_string_not_equal(action_name((action_t)a), action_name((action_t)c));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_names_round_trip),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_no_duplicate_bindings),
        cmocka_unit_test(test_read_only_hides_mutations),
        cmocka_unit_test(test_action_names_unique),
    };
    return cmocka_run_group_tests_name("keymap", tests, NULL, NULL);
}
