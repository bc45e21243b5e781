/* Themes: the element table, the built-in themes, the parser (inheritance, includes, errors,
 * robustness), the colour arithmetic, the docs table, and the ncurses side on 256-colour,
 * 8-colour and colourless terminals. Runs from the tree root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdeck/builtin.h"
#include "kdeck/theme.h"

static const char *const builtin_names[] = { "default", "light", "high-contrast", "mono" };
#define N_BUILTINS (sizeof builtin_names / sizeof *builtin_names)

/* ---- helpers ---- */

static char tmpdir[256];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* $XDG_CONFIG_HOME = a fresh directory with an empty kdeck/themes/ in it; returns the themes dir. */
static const char *user_dir(void)
{
    static char themes[512];
    char cmd[600];
    if (tmpdir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        assert_int_equal(system(cmd), 0);
    }
    strcpy(tmpdir, "/tmp/kdeck-theme-test-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(themes, sizeof themes, "%s/kdeck", tmpdir);
    assert_int_equal(mkdir(themes, 0700), 0);
    snprintf(themes, sizeof themes, "%s/kdeck/themes", tmpdir);
    assert_int_equal(mkdir(themes, 0700), 0);
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
    return themes;
}

static int teardown_dir(void **state)
{
    (void)state;
    if (tmpdir[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            return -1;
        tmpdir[0] = '\0';
    }
    return 0;
}

static int setup_dir(void **state)
{
    (void)state;
    user_dir();
    return 0;
}

/* Parses text that must fail; returns the message. */
static const char *parse_error(const char *text)
{
    static char err[512];
    err[0] = '\0';
    theme_t *t = theme_parse(text, "themes/x.theme", err, sizeof err);
    if (t) {
        theme_free(t);
        fail_msg("parsed without error: %s", text);
    }
    return err;
}

static theme_t *parse_ok(const char *text)
{
    char err[512] = "";
    theme_t *t = theme_parse(text, "themes/t.theme", err, sizeof err);
    if (!t)
        fail_msg("unexpected error: %s", err);
    assert_string_equal(err, "");
    return t;
}

/* ---- the element table ---- */

static void test_element_table(void **state)
{
    (void)state;
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        theme_elem_t e = (theme_elem_t)i;
        const char *name = theme_elem_name(e);
        char letter = theme_elem_letter(e);
        assert_true(name[0] != '\0');
        assert_true(letter > ' ' && letter < 0x7f && letter != '|' && letter != '`' && letter != '?');
        assert_true(theme_elem_description(e)[0] != '\0');
        assert_null(strchr(theme_elem_description(e), '|'));
        assert_int_equal(theme_elem_by_name(name), e);
        assert_int_equal(theme_elem_by_letter(letter), e);
        /* Parents come first, so one pass resolves a theme. */
        if (e != THEME_DEFAULT)
            assert_true(theme_elem_parent(e) < e);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(name, theme_elem_name((theme_elem_t)j));
            assert_int_not_equal(letter, theme_elem_letter((theme_elem_t)j));
        }
    }
    assert_int_equal(theme_elem_by_name("TABLE.Selected"), THEME_TABLE_SELECTED);
    assert_int_equal(theme_elem_by_name("nope"), THEME_ELEM_COUNT);
    assert_int_equal(theme_elem_by_name(NULL), THEME_ELEM_COUNT);
    assert_int_equal(theme_elem_by_letter('?'), THEME_ELEM_COUNT);
    assert_string_equal(theme_elem_name(THEME_ELEM_COUNT), "?");
    assert_int_equal(theme_elem_letter(THEME_ELEM_COUNT), '?');
    assert_int_equal(theme_elem_parent(THEME_HEADER_READONLY), THEME_HEADER);
    assert_int_equal(theme_elem_parent(THEME_STATUS_ERROR), THEME_TABLE_ROW);
    assert_int_equal(theme_elem_parent(THEME_TABLE_SORT), THEME_TABLE_HEADER);
}

/* ---- the built-in themes ---- */

static void check_complete(const theme_t *t)
{
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        const theme_style_t *s = theme_get(t, (theme_elem_t)i);
        assert_true(s->fg >= THEME_COLOR_DEFAULT && s->fg <= 255);
        assert_true(s->bg >= THEME_COLOR_DEFAULT && s->bg <= 255);
        assert_int_equal(s->attrs & ~((1u << THEME_ATTR_COUNT) - 1), 0);
        assert_int_equal(s->mono & ~((1u << THEME_ATTR_COUNT) - 1), 0);
    }
}

static void test_builtins_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_BUILTINS; i++) {
        char path[128], err[512] = "";
        snprintf(path, sizeof path, "themes/%s.theme", builtin_names[i]);
        const char *text = builtin_file(path);
        assert_non_null(text);
        theme_t *t = theme_parse(text, path, err, sizeof err);
        if (!t)
            fail_msg("%s", err);
        assert_string_equal(theme_name(t), builtin_names[i]);
        check_complete(t);
        theme_free(t);

        /* By name, with an empty user directory. */
        t = theme_load(builtin_names[i], err, sizeof err);
        if (!t)
            fail_msg("%s", err);
        assert_string_equal(theme_name(t), builtin_names[i]);
        check_complete(t);
        theme_free(t);
    }
}

/* Every element is set, explicitly, by each standalone built-in (light includes default). */
static void test_builtins_set_everything(void **state)
{
    (void)state;
    const char *full[] = { "default", "high-contrast", "mono" };
    for (size_t k = 0; k < 3; k++) {
        char err[512];
        theme_t *t = theme_load(full[k], err, sizeof err);
        assert_non_null(t);
        for (int i = 0; i < THEME_ELEM_COUNT; i++)
            if (!theme_is_set(t, (theme_elem_t)i))
                fail_msg("%s does not set %s", full[k], theme_elem_name((theme_elem_t)i));
        theme_free(t);
    }
}

static void test_default_theme(void **state)
{
    (void)state;
    char err[512];
    theme_t *t = theme_load("default", err, sizeof err);
    assert_non_null(t);
    const theme_style_t *h = theme_get(t, THEME_HEADER);
    assert_int_equal(h->fg, 7);
    assert_int_equal(h->bg, 4);
    assert_true(h->attrs & THEME_ATTR_BOLD);
    /* header.context: its own colour on the header's background. */
    assert_int_equal(theme_get(t, THEME_HEADER_CONTEXT)->fg, 11);
    assert_int_equal(theme_get(t, THEME_HEADER_CONTEXT)->bg, 4);
    assert_int_equal(theme_get(t, THEME_DEFAULT)->fg, THEME_COLOR_DEFAULT);
    assert_int_equal(theme_get(t, THEME_DEFAULT)->bg, THEME_COLOR_DEFAULT);
    assert_int_equal(theme_get(t, THEME_TABLE_SELECTED)->bg, 6);
    /* Monochrome: bars and the selection reversed, errors bold, dim things dim. */
    assert_true(theme_get(t, THEME_HEADER)->mono & THEME_ATTR_REVERSE);
    assert_true(theme_get(t, THEME_HEADER_READONLY)->mono & THEME_ATTR_REVERSE);
    assert_int_equal(theme_get(t, THEME_TABLE_SELECTED)->mono, THEME_ATTR_REVERSE);
    assert_true(theme_get(t, THEME_STATUS_ERROR)->mono & THEME_ATTR_BOLD);
    assert_int_equal(theme_get(t, THEME_TABLE_DIM)->mono, THEME_ATTR_DIM);
    assert_int_equal(theme_get(t, THEME_TABLE_ROW)->mono, 0);
    assert_int_equal(theme_get(t, THEME_DEFAULT)->mono, 0);
    theme_free(t);
}

static void test_light_includes_default(void **state)
{
    (void)state;
    char err[512];
    theme_t *d = theme_load("default", err, sizeof err);
    theme_t *l = theme_load("light", err, sizeof err);
    assert_non_null(d);
    assert_non_null(l);
    assert_memory_equal(theme_get(l, THEME_HEADER), theme_get(d, THEME_HEADER), sizeof(theme_style_t));
    assert_memory_equal(theme_get(l, THEME_HEADER_READONLY), theme_get(d, THEME_HEADER_READONLY),
                        sizeof(theme_style_t));
    assert_int_not_equal(theme_get(l, THEME_TABLE_SELECTED)->bg, theme_get(d, THEME_TABLE_SELECTED)->bg);
    /* No pale yellow or light grey text on a light background. */
    int pale[] = { 3, 11, 15, 7, 14, 10 };
    const theme_elem_t body[] = { THEME_TITLE, THEME_TABLE_MARKED, THEME_STATUS_PENDING, THEME_PROMPT,
                                  THEME_HELP_KEY, THEME_DESCRIBE_KEY, THEME_LOG_POD3, THEME_LOG_MARKER };
    for (size_t i = 0; i < sizeof body / sizeof *body; i++)
        for (size_t j = 0; j < sizeof pale / sizeof *pale; j++)
            assert_int_not_equal(theme_get(l, body[i])->fg, pale[j]);
    theme_free(d);
    theme_free(l);
}

static void test_high_contrast_and_mono(void **state)
{
    (void)state;
    char err[512];
    theme_t *hc = theme_load("high-contrast", err, sizeof err);
    theme_t *mono = theme_load("mono", err, sizeof err);
    assert_non_null(hc);
    assert_non_null(mono);
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        const theme_style_t *s = theme_get(hc, (theme_elem_t)i);
        if ((s->attrs | s->mono) & THEME_ATTR_DIM)
            fail_msg("high-contrast dims %s", theme_elem_name((theme_elem_t)i));
        assert_int_not_equal(s->fg, s->bg);
        const theme_style_t *m = theme_get(mono, (theme_elem_t)i);
        assert_int_equal(m->fg, THEME_COLOR_DEFAULT);
        assert_int_equal(m->bg, THEME_COLOR_DEFAULT);
        /* Without colours to derive from, mono attributes are the attributes. */
        assert_int_equal(m->mono, m->attrs);
    }
    assert_int_equal(theme_get(mono, THEME_TABLE_SELECTED)->attrs, THEME_ATTR_REVERSE);
    theme_free(hc);
    theme_free(mono);
}

/* ---- the parser ---- */

static void test_inheritance(void **state)
{
    (void)state;
    theme_t *t = parse_ok("default   white  black\n"
                          "header    green  blue   bold\n"
                          "header.ok red    inherit\n"
                          "table.row cyan   inherit underline\n"
                          "table.header inherit 236 inherit bold\n"
                          "status.error inherit inherit inherit reverse\n");
    /* Not set: the parent's style. */
    assert_memory_equal(theme_get(t, THEME_HEADER_CONTEXT), theme_get(t, THEME_HEADER), sizeof(theme_style_t));
    assert_memory_equal(theme_get(t, THEME_TITLE), theme_get(t, THEME_DEFAULT), sizeof(theme_style_t));
    assert_memory_equal(theme_get(t, THEME_STATUS_OK), theme_get(t, THEME_TABLE_ROW), sizeof(theme_style_t));
    assert_memory_equal(theme_get(t, THEME_TABLE_SORT), theme_get(t, THEME_TABLE_HEADER), sizeof(theme_style_t));
    /* Partly set. */
    const theme_style_t *ok = theme_get(t, THEME_HEADER_OK);
    assert_int_equal(ok->fg, 1);
    assert_int_equal(ok->bg, 4);
    assert_int_equal(ok->attrs, 0); /* attributes are not inherited unless asked */
    const theme_style_t *th = theme_get(t, THEME_TABLE_HEADER);
    assert_int_equal(th->fg, 6);
    assert_int_equal(th->bg, 236);
    assert_int_equal(th->attrs, THEME_ATTR_UNDERLINE | THEME_ATTR_BOLD);
    const theme_style_t *se = theme_get(t, THEME_STATUS_ERROR);
    assert_int_equal(se->fg, 6);
    assert_int_equal(se->bg, 0);
    assert_int_equal(se->attrs, THEME_ATTR_UNDERLINE | THEME_ATTR_REVERSE);
    assert_true(theme_is_set(t, THEME_HEADER_OK));
    assert_false(theme_is_set(t, THEME_HEADER_CONTEXT));
    theme_free(t);

    /* An empty theme: the terminal's colours everywhere. */
    t = parse_ok("");
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        const theme_style_t *s = theme_get(t, (theme_elem_t)i);
        assert_int_equal(s->fg, THEME_COLOR_DEFAULT);
        assert_int_equal(s->bg, THEME_COLOR_DEFAULT);
        assert_int_equal(s->attrs | s->mono, 0);
    }
    theme_free(t);
    assert_int_equal(theme_get(NULL, THEME_HEADER)->fg, THEME_COLOR_DEFAULT);
}

static void test_mono_attributes(void **state)
{
    (void)state;
    theme_t *t = parse_ok("default default default\n"
                          "header white blue bold\n"         /* own background: reverse + bold */
                          "header.ok green inherit\n"         /* the header's background: reverse */
                          "table.selected black cyan\n"       /* reverse */
                          "status.error red default bold\n"   /* bold */
                          "table.dim 244 default dim\n"       /* dim */
                          "footer white 236\n"
                          "mono footer normal\n"              /* explicit: nothing */
                          "mono footer.key bold inherit\n"    /* footer's (nothing) + bold */
                          "mono search.match underline\n"
                          "mono statusline reverse\n");
    assert_int_equal(theme_get(t, THEME_HEADER)->mono, THEME_ATTR_REVERSE | THEME_ATTR_BOLD);
    assert_int_equal(theme_get(t, THEME_HEADER_OK)->mono, THEME_ATTR_REVERSE);
    assert_int_equal(theme_get(t, THEME_HEADER_CONTEXT)->mono, THEME_ATTR_REVERSE | THEME_ATTR_BOLD);
    assert_int_equal(theme_get(t, THEME_TABLE_SELECTED)->mono, THEME_ATTR_REVERSE);
    assert_int_equal(theme_get(t, THEME_STATUS_ERROR)->mono, THEME_ATTR_BOLD);
    assert_int_equal(theme_get(t, THEME_TABLE_DIM)->mono, THEME_ATTR_DIM);
    assert_int_equal(theme_get(t, THEME_FOOTER)->mono, 0);
    assert_int_equal(theme_get(t, THEME_FOOTER_KEY)->mono, THEME_ATTR_BOLD);
    assert_int_equal(theme_get(t, THEME_SEARCH_MATCH)->mono, THEME_ATTR_UNDERLINE);
    /* Unset children take the parent's mono attributes. */
    assert_int_equal(theme_get(t, THEME_STATUSLINE_ERROR)->mono, THEME_ATTR_REVERSE);
    theme_free(t);
}

static void test_colour_words(void **state)
{
    (void)state;
    theme_t *t = parse_ok("# comment\n"
                          "   # indented comment\n"
                          "\n"
                          "default  DEFAULT default\n"
                          "header   black  white   BOLD Dim underline reverse standout italic blink\n"
                          "title    bright-black  bright-white  normal   # trailing comment\n"
                          "border   Bright-Cyan  0\n"
                          "footer   255  17\n"
                          "prompt   #ff0000  #00FF00\n"
                          "dialog   #f00  #808080 none\n"
                          "help.key 007 magenta\r\n"
                          "\tdiff.add\tgreen\tdefault\tbold\n");
    const theme_style_t *h = theme_get(t, THEME_HEADER);
    assert_int_equal(h->fg, 0);
    assert_int_equal(h->bg, 7);
    assert_int_equal(h->attrs, (1u << THEME_ATTR_COUNT) - 1);
    assert_int_equal(theme_get(t, THEME_TITLE)->fg, 8);
    assert_int_equal(theme_get(t, THEME_TITLE)->bg, 15);
    assert_int_equal(theme_get(t, THEME_TITLE)->attrs, 0);
    assert_int_equal(theme_get(t, THEME_BORDER)->fg, 14);
    assert_int_equal(theme_get(t, THEME_BORDER)->bg, 0);
    assert_int_equal(theme_get(t, THEME_FOOTER)->fg, 255);
    assert_int_equal(theme_get(t, THEME_FOOTER)->bg, 17);
    assert_int_equal(theme_get(t, THEME_PROMPT)->fg, 196);
    assert_int_equal(theme_get(t, THEME_PROMPT)->bg, 46);
    assert_int_equal(theme_get(t, THEME_DIALOG)->fg, 196);
    assert_int_equal(theme_get(t, THEME_DIALOG)->bg, 244);
    assert_int_equal(theme_get(t, THEME_HELP_KEY)->fg, 7);
    assert_int_equal(theme_get(t, THEME_HELP_KEY)->bg, 5);
    assert_int_equal(theme_get(t, THEME_DIFF_ADD)->fg, 2);
    assert_int_equal(theme_get(t, THEME_DIFF_ADD)->attrs, THEME_ATTR_BOLD);
    theme_free(t);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        { "default red black\n\n# c\nheader purpel black\n", "themes/x.theme:4: unknown colour 'purpel'" },
        { "header red blak", "themes/x.theme:1: unknown colour 'blak' (did you mean 'black'?)" },
        { "header bright-grean black", "themes/x.theme:1: unknown colour 'bright-grean' (did you mean 'bright-green'?)" },
        { "tabel.row red black", "themes/x.theme:1: unknown element 'tabel.row' (did you mean 'table.row'?)" },
        { "status.eror red black", "themes/x.theme:1: unknown element 'status.eror' (did you mean 'status.error'?)" },
        { "frobnicate red black", "themes/x.theme:1: unknown element 'frobnicate'" },
        { "header", "themes/x.theme:1: header needs a foreground and a background colour" },
        { "header red", "themes/x.theme:1: header needs a foreground and a background colour" },
        { "header red 300", "themes/x.theme:1: colour number 300 out of range 0-255" },
        { "header 99999999999999999999 red", "themes/x.theme:1: colour number 99999999999999999999 out of range 0-255" },
        { "header -1 red", "themes/x.theme:1: unknown colour '-1'" },
        { "header #12345 black", "themes/x.theme:1: bad colour '#12345' (expected #rrggbb)" },
        { "header #gggggg black", "themes/x.theme:1: bad colour '#gggggg' (expected #rrggbb)" },
        { "header red #", "themes/x.theme:1: bad colour '#' (expected #rrggbb)" },
        { "header red black blod", "themes/x.theme:1: unknown attribute 'blod' (did you mean 'bold'?)" },
        { "header red black bold sparkly", "themes/x.theme:1: unknown attribute 'sparkly'" },
        { "include", "themes/x.theme:1: include needs a theme name" },
        { "include # nothing", "themes/x.theme:1: include needs a theme name" },
        { "include default light", "themes/x.theme:1: include takes one theme name, not 'light'" },
        { "include no-such-theme", "themes/x.theme:1: cannot include 'no-such-theme': no such theme" },
        { "include bad!name", "themes/x.theme:1: bad theme name 'bad!name'" },
        { "mono", "themes/x.theme:1: mono needs an element and attributes" },
        { "mono header", "themes/x.theme:1: mono header needs attributes ('normal' for none)" },
        { "mono header red", "themes/x.theme:1: unknown attribute 'red'" },
        { "mono hedaer bold", "themes/x.theme:1: unknown element 'hedaer' (did you mean 'header'?)" },
        { "# ok\r\n\r\nheader red black\r\nheader nope black\r\n", "themes/x.theme:4: unknown colour 'nope'" },
        { "head\033[31mer red black", "themes/x.theme:1: unknown element 'head?[31mer'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *err = parse_error(cases[i].text);
        if (strcmp(err, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].msg);
    }

    /* Long words are cut in messages. */
    char *longline = malloc(5000);
    assert_non_null(longline);
    memset(longline, 'x', 4000);
    strcpy(longline + 4000, " red black");
    const char *err = parse_error(longline);
    assert_true(strlen(err) < 120);
    assert_non_null(strstr(err, "...'"));
    assert_int_equal(strncmp(err, "themes/x.theme:1: unknown element 'xxxx", 39), 0);
    free(longline);

    /* A null error buffer is allowed. */
    assert_null(theme_parse("nope", "x", NULL, 0));
    char small[8];
    assert_null(theme_parse("nope", "themes/x.theme", small, sizeof small));
    assert_string_equal(small, "themes/");
    char e2[64];
    assert_null(theme_load("", e2, sizeof e2));
    assert_string_equal(e2, "theme: no theme name given");
}

static void test_includes(void **state)
{
    (void)state;
    const char *dir = user_dir();
    char err[1024], path[600], want[1200];

    /* A user theme on top of a built-in one. */
    write_file(dir, "mine.theme", "include light\nheader red black\n");
    theme_t *t = theme_load("mine", err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_string_equal(theme_name(t), "mine");
    assert_int_equal(theme_get(t, THEME_HEADER)->fg, 1);
    assert_int_equal(theme_get(t, THEME_HEADER)->bg, 0);
    assert_int_equal(theme_get(t, THEME_TABLE_SELECTED)->bg, 4); /* light's */
    assert_int_equal(theme_get(t, THEME_HEADER_READONLY)->bg, 5); /* default's, through light */
    theme_free(t);

    /* A user "default" that extends the built-in one by including its own name; it wins over the
     * built-in, also for built-in themes that include default. */
    write_file(dir, "default.theme", "include default\nheader green black\n");
    t = theme_load("default", err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_int_equal(theme_get(t, THEME_HEADER)->fg, 2);
    assert_int_equal(theme_get(t, THEME_TABLE_SELECTED)->bg, 6);
    theme_free(t);
    t = theme_load("light", err, sizeof err);
    assert_non_null(t);
    assert_int_equal(theme_get(t, THEME_HEADER)->fg, 2);
    theme_free(t);

    /* By path, absolute and relative to the including file. */
    write_file(dir, "sub.theme", "include mine.theme\nfooter blue yellow\n");
    snprintf(path, sizeof path, "%s/sub.theme", dir);
    t = theme_load(path, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    assert_string_equal(theme_name(t), "sub");
    assert_int_equal(theme_get(t, THEME_FOOTER)->fg, 4);
    assert_int_equal(theme_get(t, THEME_HEADER)->fg, 1);
    theme_free(t);

    /* Cycles. */
    write_file(dir, "a.theme", "# a\ninclude b\n");
    write_file(dir, "b.theme", "include a\n");
    assert_null(theme_load("a", err, sizeof err));
    snprintf(want, sizeof want, "%s/b.theme:1: include cycle: %s/a.theme -> %s/b.theme -> %s/a.theme", dir,
             dir, dir, dir);
    assert_string_equal(err, want);
    write_file(dir, "self.theme", "include self.theme\n");
    assert_null(theme_load("self", err, sizeof err));
    snprintf(want, sizeof want, "%s/self.theme:1: include cycle: %s/self.theme -> %s/self.theme", dir, dir, dir);
    assert_string_equal(err, want);

    /* Depth. */
    for (int i = 0; i < 12; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "d%d.theme", i);
        snprintf(text, sizeof text, "include d%d\n", i + 1);
        write_file(dir, name, text);
    }
    write_file(dir, "d12.theme", "header red black\n");
    assert_null(theme_load("d0", err, sizeof err));
    snprintf(want, sizeof want, "%s/d7.theme:1: includes nested more than 8 deep", dir);
    assert_string_equal(err, want);
    t = theme_load("d5", err, sizeof err); /* d5..d12: 8 files */
    if (!t)
        fail_msg("%s", err);
    theme_free(t);

    /* Errors name the file they are in. */
    write_file(dir, "bad.theme", "header red black\nheader nope black\n");
    write_file(dir, "top.theme", "include bad\n");
    assert_null(theme_load("top", err, sizeof err));
    snprintf(want, sizeof want, "%s/bad.theme:2: unknown colour 'nope'", dir);
    assert_string_equal(err, want);

    /* Missing and unreadable. */
    assert_null(theme_load("nope", err, sizeof err));
    assert_string_equal(err, "theme: no theme named 'nope'");
    snprintf(path, sizeof path, "%s/missing.theme", dir);
    assert_null(theme_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(err, want);
    write_file(dir, "inc-missing.theme", "\ninclude ./missing.theme\n");
    assert_null(theme_load("inc-missing", err, sizeof err));
    snprintf(want, sizeof want, "%s/inc-missing.theme:2: cannot include '", dir);
    assert_int_equal(strncmp(err, want, strlen(want)), 0);
    snprintf(path, sizeof path, "%s/nul.theme", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("header\0red black\n", 1, 17, f);
    fclose(f);
    assert_null(theme_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s: not a text file", path);
    assert_string_equal(err, want);
    assert_null(theme_load(dir, err, sizeof err));
}

static void test_list(void **state)
{
    (void)state;
    const char *dir = user_dir();
    write_file(dir, "zebra.theme", "");
    write_file(dir, "default.theme", "");
    write_file(dir, "notes.txt", "");
    write_file(dir, ".hidden.theme", "");
    char **names = theme_list();
    assert_non_null(names);
    const char *want[] = { "default", "high-contrast", "light", "mono", "zebra" };
    size_t n = 0;
    while (names[n])
        n++;
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], want[i]);
    theme_list_free(names);

    char buf[600];
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    assert_true(theme_user_dir(buf, sizeof buf));
    assert_string_equal(buf, "/x/cfg/kdeck/themes");
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/u", 1);
    assert_true(theme_user_dir(buf, sizeof buf));
    assert_string_equal(buf, "/home/u/.config/kdeck/themes");
    assert_false(theme_user_dir(buf, 8));
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
}

/* ---- colour arithmetic ---- */

static void test_rgb_to_256(void **state)
{
    (void)state;
    assert_int_equal(theme_rgb_to_256(255, 0, 0), 196);
    assert_int_equal(theme_rgb_to_256(0, 255, 0), 46);
    assert_int_equal(theme_rgb_to_256(0, 0, 255), 21);
    assert_int_equal(theme_rgb_to_256(0, 0, 0), 16);
    assert_int_equal(theme_rgb_to_256(255, 255, 255), 231);
    assert_int_equal(theme_rgb_to_256(0x80, 0x80, 0x80), 244);
    assert_int_equal(theme_rgb_to_256(0x5f, 0x87, 0xaf), 67);
    assert_int_equal(theme_rgb_to_256(0xee, 0xee, 0xee), 255);
    assert_int_equal(theme_rgb_to_256(0x12, 0x12, 0x12), 233);
    assert_int_equal(theme_rgb_to_256(0xff, 0x88, 0x00), 208); /* orange */
    assert_int_equal(theme_rgb_to_256(0xd7, 0x00, 0x01), 160);
    assert_int_equal(theme_rgb_to_256(-5, 300, 0), 46);
    /* Every palette colour maps back to itself. */
    for (int c = 16; c < 256; c++) {
        int r, g, b;
        theme_256_to_rgb(c, &r, &g, &b);
        assert_int_equal(theme_rgb_to_256(r, g, b), c);
    }
    int r, g, b;
    theme_256_to_rgb(9, &r, &g, &b);
    assert_int_equal(r, 255);
    assert_int_equal(g + b, 0);
}

static void test_256_to_8(void **state)
{
    (void)state;
    static const struct {
        int c, want;
        bool bright;
    } cases[] = {
        { 0, 0, false },    { 1, 1, false },    { 7, 7, false },    { 8, 0, true },     { 9, 1, true },
        { 15, 7, true },    { 196, 1, false },  { 46, 2, false },   { 21, 4, false },   { 226, 3, false },
        { 51, 6, false },   { 201, 5, false },  { 52, 1, false },   { 17, 4, false },   { 22, 2, false },
        { 203, 1, true },   { 120, 2, true },   { 153, 4, true },   { 16, 0, false },   { 232, 0, false },
        { 236, 0, false },  { 240, 0, false },  { 244, 7, false },  { 250, 7, false },  { 255, 7, true },
        { 231, 7, true },   { 208, 3, false },  { 202, 1, false },  { 28, 2, false },   { 160, 1, false },
        { 90, 5, false },   { 24, 6, false },   { 102, 7, false },  { 59, 0, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool bright = !cases[i].bright;
        int got = theme_256_to_8(cases[i].c, &bright);
        if (got != cases[i].want || bright != cases[i].bright)
            fail_msg("%d -> %d%s, want %d%s", cases[i].c, got, bright ? "+bold" : "", cases[i].want,
                     cases[i].bright ? "+bold" : "");
    }
    assert_int_equal(theme_256_to_8(THEME_COLOR_DEFAULT, NULL), THEME_COLOR_DEFAULT);
    assert_int_equal(theme_256_to_8(256, NULL), THEME_COLOR_DEFAULT);
    for (int c = 0; c < 256; c++) {
        int v = theme_256_to_8(c, NULL);
        assert_true(v >= 0 && v < 8);
    }
}

/* ---- robustness ---- */

static uint32_t rng_state = 2463534242u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void parse_any(const char *text)
{
    char err[256] = "";
    theme_t *t = theme_parse(text, "fuzz.theme", err, sizeof err);
    if (t) {
        check_complete(t);
        theme_free(t);
    } else {
        assert_int_equal(strncmp(err, "fuzz.theme", 10), 0);
        for (const char *p = err; *p; p++)
            assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
}

static void test_fuzz(void **state)
{
    (void)state;
    user_dir();
    static const char *const words[] = {
        "include", "mono", "default", "header", "table.row", "inherit", "bold", "red", "bright-red",
        "#", "#ff", "#ffffff", "#fff", "255", "256", "0", "normal", "\t", "  ", "#comment", "light",
        "mono.theme", "/", "../", "./x.theme", "bright-", "\r", "log.pod8", "fuzz", "default.theme",
    };
    size_t nwords = sizeof words / sizeof *words;
    enum { BUF = 1 << 16 };
    char *buf = malloc(BUF);
    assert_non_null(buf);

    /* Random bytes (no NUL). */
    for (int round = 0; round < 500; round++) {
        size_t len = rng() % 2000;
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(1 + rng() % 255);
        buf[len] = '\0';
        parse_any(buf);
    }
    /* Random sequences of meaningful words. */
    for (int round = 0; round < 3000; round++) {
        size_t n = 0;
        int nw = (int)(rng() % 12);
        for (int i = 0; i < nw && n < BUF - 64; i++) {
            const char *w = words[rng() % nwords];
            size_t wl = strlen(w);
            memcpy(buf + n, w, wl);
            n += wl;
            buf[n++] = rng() % 5 ? ' ' : '\n';
        }
        buf[n] = '\0';
        parse_any(buf);
    }
    /* A valid style line with random mutations. */
    for (int round = 0; round < 2000; round++) {
        const char *base = "header bright-white #123456 bold underline\nmono header reverse\n";
        size_t len = strlen(base);
        memcpy(buf, base, len + 1);
        for (int k = 0; k < 3; k++)
            buf[rng() % len] = (char)(1 + rng() % 255);
        parse_any(buf);
    }
    free(buf);

    /* A very long line, and 10,000 lines. */
    size_t big = 1 << 20;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, 'a', big);
    huge[big] = '\0';
    parse_any(huge);
    memset(huge, ' ', big);
    memcpy(huge + big - 20, "header red black", 16);
    parse_any(huge);
    free(huge);

    const char *line = "status.ok bright-green inherit bold\n";
    size_t ll = strlen(line);
    char *many = malloc(ll * 10000 + 1);
    assert_non_null(many);
    for (size_t i = 0; i < 10000; i++)
        memcpy(many + i * ll, line, ll);
    many[ll * 10000] = '\0';
    theme_t *t = parse_ok(many);
    assert_int_equal(theme_get(t, THEME_STATUS_OK)->fg, 10);
    theme_free(t);
    memcpy(many + 9999 * ll, "status.ok bright-grey", 21);
    char err[256];
    assert_null(theme_parse(many, "big.theme", err, sizeof err));
    assert_int_equal(strncmp(err, "big.theme:10000: unknown colour 'bright-grey'", 44), 0);
    free(many);

    assert_non_null((t = theme_parse(NULL, NULL, NULL, 0)));
    theme_free(t);
    theme_free(NULL);
}

/* ---- docs ---- */

static void test_docs_table(void **state)
{
    (void)state;
    FILE *f = fopen("docs/themes.md", "r");
    assert_non_null(f);
    char *doc = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            doc = realloc(doc, cap);
            assert_non_null(doc);
        }
        size_t got = fread(doc + n, 1, 4096, f);
        if (!got)
            break;
        n += got;
    }
    doc[n] = '\0';
    fclose(f);

    int missing = 0;
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        char row[512];
        theme_elem_t e = (theme_elem_t)i;
        char parent[64];
        if (e == THEME_DEFAULT)
            strcpy(parent, "-");
        else
            snprintf(parent, sizeof parent, "`%s`", theme_elem_name(theme_elem_parent(e)));
        snprintf(row, sizeof row, "| `%s` | `%c` | %s | %s |\n", theme_elem_name(e), theme_elem_letter(e),
                 parent, theme_elem_description(e));
        if (!strstr(doc, row)) {
            fprintf(stderr, "docs/themes.md lacks the row:\n%s", row);
            missing++;
        }
    }
    /* And no rows for elements that no longer exist. */
    for (char *p = doc; (p = strstr(p, "\n| `")) != NULL; p++) {
        char name[128];
        const char *s = p + 4, *e = strchr(s, '`');
        if (!e || (size_t)(e - s) >= sizeof name || strncmp(e, "` | `", 5) != 0)
            continue;
        memcpy(name, s, (size_t)(e - s));
        name[e - s] = '\0';
        if (theme_elem_by_name(name) == THEME_ELEM_COUNT) {
            fprintf(stderr, "docs/themes.md documents an unknown element '%s'\n", name);
            missing++;
        }
    }
    free(doc);
    assert_int_equal(missing, 0);
}

/* ---- ncurses ---- */

typedef struct vterm {
    SCREEN *scr;
    FILE *out, *in;
} vterm_t;

static void vterm_open(vterm_t *v, const char *term)
{
    v->out = fopen("/dev/null", "w");
    v->in = fopen("/dev/null", "r");
    assert_non_null(v->out);
    assert_non_null(v->in);
    v->scr = newterm(term, v->out, v->in);
    assert_non_null(v->scr);
    set_term(v->scr);
    if (has_colors())
        start_color();
}

static void vterm_close(vterm_t *v)
{
    endwin();
    delscreen(v->scr);
    fclose(v->out);
    fclose(v->in);
}

static theme_t *load_builtin(const char *name)
{
    char err[256];
    theme_t *t = theme_load(name, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    return t;
}

static void test_curses_256(void **state)
{
    (void)state;
    vterm_t v;
    vterm_open(&v, "xterm-256color");
    assert_true(COLORS >= 256);
    theme_t *t = load_builtin("default");
    theme_curses_apply(t, COLORS, false);
    assert_int_equal(theme_curses_mode(), THEME_MODE_256);
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        theme_elem_t e = (theme_elem_t)i;
        const theme_style_t *s = theme_get(t, e);
        short fg, bg;
        assert_int_equal(theme_pair(e), i + 1);
        assert_int_equal(pair_content(theme_pair(e), &fg, &bg), OK);
        assert_int_equal(fg, s->fg);
        assert_int_equal(bg, s->bg);
        assert_int_equal(theme_attr(e) & A_COLOR, COLOR_PAIR(i + 1));
        assert_int_equal(theme_elem_of_cell(theme_attr(e), theme_pair(e)), e);
        /* Extra attributes a view adds do not change the element. */
        assert_int_equal(theme_elem_of_cell(theme_attr(e) | A_UNDERLINE, theme_pair(e)), e);
    }
    assert_int_equal(theme_attr(THEME_HEADER) & ~A_COLOR, A_BOLD);
    assert_int_equal(theme_attr(THEME_TABLE_SORT) & ~A_COLOR, A_BOLD | A_UNDERLINE);
    assert_int_equal(theme_attr(THEME_TABLE_SELECTED) & ~A_COLOR, A_NORMAL);
    assert_int_equal(theme_elem_of_cell(A_NORMAL, 0), THEME_DEFAULT);
    assert_int_equal(theme_attr(THEME_ELEM_COUNT), A_NORMAL);

    /* Switching themes re-initialises the pairs. */
    theme_t *hc = load_builtin("high-contrast");
    theme_curses_apply(hc, COLORS, false);
    short fg, bg;
    pair_content(theme_pair(THEME_TABLE_SELECTED), &fg, &bg);
    assert_int_equal(fg, 0);
    assert_int_equal(bg, 11);
    theme_free(hc);

    /* NO_COLOR on a colour terminal: attributes only. */
    theme_curses_apply(t, COLORS, true);
    assert_int_equal(theme_curses_mode(), THEME_MODE_MONO);
    assert_int_equal(theme_attr(THEME_TABLE_SELECTED), A_REVERSE);
    assert_int_equal(theme_pair(THEME_TABLE_SELECTED), 0);
    theme_free(t);
    vterm_close(&v);
}

static void test_curses_8(void **state)
{
    (void)state;
    vterm_t v;
    vterm_open(&v, "xterm");
    assert_int_equal(COLORS, 8);
    theme_t *t = load_builtin("default");
    theme_curses_apply(t, COLORS, false);
    assert_int_equal(theme_curses_mode(), THEME_MODE_8);
    short fg, bg;
    /* header.context: bright-yellow on blue -> yellow + bold on blue. */
    assert_int_equal(pair_content(theme_pair(THEME_HEADER_CONTEXT), &fg, &bg), OK);
    assert_int_equal(fg, COLOR_YELLOW);
    assert_int_equal(bg, COLOR_BLUE);
    assert_true(theme_attr(THEME_HEADER_CONTEXT) & A_BOLD);
    /* status.warning: 208 (orange) -> yellow; table.header: 236 -> black. */
    pair_content(theme_pair(THEME_STATUS_WARNING), &fg, &bg);
    assert_int_equal(fg, COLOR_YELLOW);
    assert_int_equal(bg, -1);
    pair_content(theme_pair(THEME_TABLE_HEADER), &fg, &bg);
    assert_int_equal(fg, COLOR_WHITE);
    assert_int_equal(bg, COLOR_BLACK);
    assert_true(theme_attr(THEME_TABLE_HEADER) & A_BOLD);
    /* status.ok: plain green, no bold. */
    pair_content(theme_pair(THEME_STATUS_OK), &fg, &bg);
    assert_int_equal(fg, COLOR_GREEN);
    assert_false(theme_attr(THEME_STATUS_OK) & A_BOLD);
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        theme_elem_t e = (theme_elem_t)i;
        short p = theme_pair(e);
        assert_true(p > 0 && p < COLOR_PAIRS);
        /* The grid may name another element drawn exactly the same way. */
        theme_elem_t back = theme_elem_of_cell(theme_attr(e), p);
        assert_int_equal(theme_attr(back), theme_attr(e));
    }
    theme_free(t);

    /* Colours that collapse into one keep the text readable. */
    t = parse_ok("footer 250 255\n");
    theme_curses_apply(t, COLORS, false);
    pair_content(theme_pair(THEME_FOOTER), &fg, &bg);
    assert_int_equal(bg, COLOR_WHITE);
    assert_int_equal(fg, COLOR_BLACK);
    theme_free(t);
    vterm_close(&v);
}

static void test_curses_mono(void **state)
{
    (void)state;
    vterm_t v;
    vterm_open(&v, "vt100");
    assert_false(has_colors());
    theme_t *t = load_builtin("default");
    theme_curses_apply(t, COLORS, false);
    assert_int_equal(theme_curses_mode(), THEME_MODE_MONO);
    assert_int_equal(theme_attr(THEME_TABLE_SELECTED), A_REVERSE);
    assert_int_equal(theme_attr(THEME_HEADER), A_REVERSE | A_BOLD);
    assert_int_equal(theme_attr(THEME_STATUS_ERROR), A_BOLD);
    assert_int_equal(theme_attr(THEME_TABLE_DIM), A_DIM);
    assert_int_equal(theme_attr(THEME_TABLE_ROW), A_NORMAL);
    assert_int_equal(theme_attr(THEME_TABLE_HEADER), A_BOLD | A_UNDERLINE);
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        assert_int_equal(theme_pair((theme_elem_t)i), 0);
        assert_int_equal(theme_attr((theme_elem_t)i) & A_COLOR, 0);
        theme_elem_t back = theme_elem_of_cell(theme_attr((theme_elem_t)i), 0);
        assert_int_equal(theme_attr(back), theme_attr((theme_elem_t)i));
    }
    assert_int_equal(theme_elem_of_cell(A_REVERSE, 0), THEME_TABLE_SELECTED); /* first drawn so */
    theme_free(t);
    vterm_close(&v);
}

static void test_no_color_env(void **state)
{
    (void)state;
    unsetenv("NO_COLOR");
    assert_false(theme_no_color_env());
    setenv("NO_COLOR", "", 1);
    assert_false(theme_no_color_env());
    setenv("NO_COLOR", "1", 1);
    assert_true(theme_no_color_env());
    unsetenv("NO_COLOR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_element_table),
        cmocka_unit_test_setup_teardown(test_builtins_parse, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_builtins_set_everything, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_default_theme, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_light_includes_default, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_high_contrast_and_mono, setup_dir, teardown_dir),
        cmocka_unit_test(test_inheritance),
        cmocka_unit_test(test_mono_attributes),
        cmocka_unit_test(test_colour_words),
        cmocka_unit_test_setup_teardown(test_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_includes, NULL, teardown_dir),
        cmocka_unit_test_setup_teardown(test_list, NULL, teardown_dir),
        cmocka_unit_test(test_rgb_to_256),
        cmocka_unit_test(test_256_to_8),
        cmocka_unit_test_setup_teardown(test_fuzz, NULL, teardown_dir),
        cmocka_unit_test(test_docs_table),
        cmocka_unit_test_setup_teardown(test_curses_256, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_curses_8, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_curses_mono, setup_dir, teardown_dir),
        cmocka_unit_test(test_no_color_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
