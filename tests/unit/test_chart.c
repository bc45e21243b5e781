/* Chart rendering: golden grids (text and the theme-element letter of every cell) for braille, block
 * and ASCII, flat series, a single point, gaps, negative values, a huge dynamic range, thresholds,
 * several series, and robustness against empty, NaN-only, extreme and oversized inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeck/chart.h"

static prom_point_t ramp[8] = { { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }, { 5, 5 }, { 6, 6 }, { 7, 7 } };

/* Renders one series and compares each row with "TEXT|LETTERS" (letters: theme_elem_letter). */
static void golden(const prom_point_t *pts, size_t n, chart_opts_t o, const char *const *expect, double y_min,
                   double y_max)
{
    chart_series_t s = { pts, n };
    chart_t *c = chart_render(&s, 1, &o);
    assert_non_null(c);
    char got[4096] = "", want[4096] = "";
    for (int y = 0; y < c->height; y++) {
        char letters[1024];
        for (int x = 0; x < c->width; x++)
            letters[x] = theme_elem_letter(chart_cell_elem(c, x, y));
        letters[c->width] = '\0';
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s|%s\n", c->rows[y], letters);
    }
    for (int y = 0; expect[y]; y++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s\n", expect[y]);
    if (strcmp(got, want))
        fail_msg("chart differs:\n--- expected\n%s--- got\n%s", want, got);
    if (y_min != y_max) {
        assert_true(c->y_min == y_min);
        assert_true(c->y_max == y_max);
    }
    chart_free(c);
}

static void test_braille(void **state)
{
    (void)state;
    const char *const e[] = { "  ⡠⠊|..LL", "⡠⠊  |LL..", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_BRAILLE, .width = 4, .height = 2 }, e, 0, 7);
}

static void test_block(void **state)
{
    (void)state;
    const char *const e[] = { "    ▂▄▆█|....LLLL", "▁▃▅▇████|LLLLLLLL", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_BLOCK, .width = 8, .height = 2 }, e, 0, 7);
}

static void test_ascii(void **state)
{
    (void)state;
    const char *const e[] = { "      **|......LL", "    **  |....LL..", "  **    |..LL....", "**      |LL......", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_ASCII, .width = 8, .height = 4 }, e, 0, 7);
}

static void test_flat(void **state)
{
    (void)state;
    prom_point_t flat[5] = { { 0, 3 }, { 1, 3 }, { 2, 3 }, { 3, 3 }, { 4, 3 } };
    /* with the zero baseline a flat positive series is the top of its range */
    const char *const a[] = { "⠉⠉⠉|LLL", "   |...", NULL };
    golden(flat, 5, (chart_opts_t){ .style = CHART_BRAILLE, .width = 3, .height = 2 }, a, 0, 3);
    /* without it, a flat series sits in the middle of a made-up range */
    const char *const b[] = { "⣀⣀⣀|LLL", "   |...", NULL };
    golden(flat, 5, (chart_opts_t){ .style = CHART_BRAILLE, .width = 3, .height = 2, .baseline = CHART_BASELINE_NONE },
           b, 1.5, 4.5);
    const char *const c[] = { "█████|LLLLL", NULL };
    golden(flat, 5, (chart_opts_t){ .style = CHART_BLOCK, .width = 5, .height = 1 }, c, 0, 3);
    /* all zeros: a 0..1 range, the line at the bottom */
    prom_point_t zero[3] = { { 0, 0 }, { 1, 0 }, { 2, 0 } };
    const char *const d[] = { "   |...", "⣀⣀⣀|LLL", NULL };
    golden(zero, 3, (chart_opts_t){ .style = CHART_BRAILLE, .width = 3, .height = 2 }, d, 0, 1);
    const char *const f[] = { "▁▁▁|LLL", NULL };
    golden(zero, 3, (chart_opts_t){ .style = CHART_BLOCK, .width = 3, .height = 1 }, f, 0, 1);
}

static void test_single_point(void **state)
{
    (void)state;
    prom_point_t one[1] = { { 100, 5 } };
    /* its own time range is one instant: the newest column */
    const char *const a[] = { "  ⠈|..L", NULL };
    golden(one, 1, (chart_opts_t){ .style = CHART_BRAILLE, .width = 3, .height = 1 }, a, 0, 5);
    const char *const b[] = { "  *  |..L..", "     |.....", NULL };
    golden(one, 1, (chart_opts_t){ .style = CHART_ASCII, .width = 5, .height = 2, .t_start = 96, .t_end = 104 }, b,
           0, 5);
    /* outside the given time range: nothing */
    const char *const c[] = { "     |.....", NULL };
    golden(one, 1, (chart_opts_t){ .style = CHART_ASCII, .width = 5, .height = 1, .t_start = 0, .t_end = 50 }, c, 0,
           1);
}

static void test_gaps(void **state)
{
    (void)state;
    /* a NaN at t=2 and no samples at t=5,6: nothing joins across either gap */
    prom_point_t gap[8] = { { 0, 1 }, { 1, 2 }, { 2, NAN }, { 3, 2 }, { 4, 1 }, { 7, 1 }, { 8, 2 }, { 9, 3 } };
    const char *const a[] = { "         *|.........L", "** **  ** |LL.LL..LL.", "          |..........", NULL };
    golden(gap, 8, (chart_opts_t){ .style = CHART_ASCII, .width = 10, .height = 3 }, a, 0, 3);
    const char *const b[] = { "⠔⠐⠄⠠⠊|LLLLL", NULL };
    golden(gap, 8, (chart_opts_t){ .style = CHART_BRAILLE, .width = 5, .height = 1 }, b, 0, 3);
    const char *const c[] = { "▃▆ ▆▃  ▃▆█|LL.LL..LLL", NULL };
    golden(gap, 8, (chart_opts_t){ .style = CHART_BLOCK, .width = 10, .height = 1 }, c, 0, 3);
    /* an explicit step wider than the holes joins them */
    prom_point_t sparse[3] = { { 0, 0 }, { 4, 4 }, { 8, 0 } };
    const char *const d[] = { "    *    |....L....", "   * *   |...L.L...", "  *   *  |..L...L..",
                              " *     * |.L.....L.", "*       *|L.......L", NULL };
    golden(sparse, 3, (chart_opts_t){ .style = CHART_ASCII, .width = 9, .height = 5, .step = 4 }, d, 0, 4);
    const char *const f[] = { "    *    |....L....", "         |.........", "         |.........",
                              "         |.........", "*       *|L.......L", NULL };
    golden(sparse, 3, (chart_opts_t){ .style = CHART_ASCII, .width = 9, .height = 5, .step = 1 }, f, 0, 4);
}

static void test_negative(void **state)
{
    (void)state;
    prom_point_t neg[5] = { { 0, -2 }, { 1, -1 }, { 2, 0 }, { 3, 1 }, { 4, 2 } };
    const char *const a[] = { "    *|....L", "   * |...L.", "  *  |..L..", " *   |.L...", "*    |L....", NULL };
    golden(neg, 5, (chart_opts_t){ .style = CHART_ASCII, .width = 5, .height = 5 }, a, -2, 2);
    const char *const b[] = { "▁▃▅▆█|LLLLL", NULL };
    golden(neg, 5, (chart_opts_t){ .style = CHART_BLOCK, .width = 5, .height = 1 }, b, -2, 2);
    /* all negative: the zero baseline is the top */
    prom_point_t allneg[2] = { { 0, -4 }, { 1, -2 } };
    const char *const c[] = { "  |..", " *|.L", "* |L.", NULL };
    golden(allneg, 2, (chart_opts_t){ .style = CHART_ASCII, .width = 2, .height = 3 }, c, -4, 0);
}

static void test_huge_range(void **state)
{
    (void)state;
    prom_point_t huge[4] = { { 0, 1 }, { 1, 1e12 }, { 2, 1 }, { 3, 1e3 } };
    const char *const a[] = { " *  |.L..", " ** |.LL.", "* **|L.LL", NULL };
    golden(huge, 4, (chart_opts_t){ .style = CHART_ASCII, .width = 4, .height = 3 }, a, 0, 1e12);
    prom_point_t ext[3] = { { 0, -DBL_MAX }, { 1, DBL_MAX }, { 2, 0 } };
    const char *const b[] = { " ⡜⢆|.LL", "⡜  |L..", NULL };
    golden(ext, 3, (chart_opts_t){ .style = CHART_BRAILLE, .width = 3, .height = 2 }, b, -DBL_MAX, DBL_MAX);
    /* infinities cannot be placed: they are gaps, like NaN */
    prom_point_t inf[3] = { { 0, 1 }, { 1, INFINITY }, { 2, -INFINITY } };
    chart_series_t s = { inf, 3 };
    chart_opts_t o = { .style = CHART_ASCII, .width = 3, .height = 1 };
    chart_t *c = chart_render(&s, 1, &o);
    assert_string_equal(c->rows[0], "*  ");
    assert_int_equal(c->n_points, 1);
    chart_free(c);
}

static void test_thresholds(void **state)
{
    (void)state;
    /* G ok, V warn, Z crit: the cells of the series by their worst value, the lines by threshold */
    const char *const a[] = { "⠂⠂⡠⠊|ZZVZ", "⡠⠊⠁⠁|GVVV", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_BRAILLE, .width = 4, .height = 2, .has_warn = true, .warn = 3,
                                    .has_crit = true, .crit = 6 }, a, 0, 7);
    const char *const b[] = { "      **|......ZZ", "----**--|ZZZZVVZZ", "--**----|VVGGVVVV", "**      |GG......", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_ASCII, .width = 8, .height = 4, .has_warn = true, .warn = 2.5,
                                    .has_crit = true, .crit = 5.5 }, b, 0, 7);
    /* lower is worse (a hit ratio): the low values are critical */
    const char *const c[] = { "┄┄┄┄▂▄▆█|VVVVVGGG", "▁▃▅▇████|ZZZVVGGG", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_BLOCK, .width = 8, .height = 2, .has_warn = true, .warn = 4,
                                    .has_crit = true, .crit = 2, .below = true }, c, 0, 7);
    /* a threshold outside the range draws no line; fixed ends are kept */
    const char *const d[] = { "  ⡠⠊|..GG", "⡠⠊  |GG..", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_BRAILLE, .width = 4, .height = 2, .has_warn = true, .warn = 100 },
           d, 0, 7);
    const char *const f[] = { "   ⢀|...L", "⡠⠔⠊⠁|LLLL", NULL };
    golden(ramp, 8, (chart_opts_t){ .style = CHART_BRAILLE, .width = 4, .height = 2, .has_max = true, .max = 14 },
           f, 0, 14);
}

static void test_several_series(void **state)
{
    (void)state;
    prom_point_t up[3] = { { 0, 0 }, { 1, 1 }, { 2, 2 } };
    prom_point_t down[3] = { { 0, 2 }, { 1, 1 }, { 2, 0 } };
    chart_series_t s[2] = { { up, 3 }, { down, 3 } };
    chart_opts_t o = { .style = CHART_ASCII, .width = 3, .height = 3 };
    chart_t *c = chart_render(s, 2, &o);
    assert_string_equal(c->rows[0], "+ *");
    assert_string_equal(c->rows[1], " + "); /* the later series wins a shared cell */
    assert_string_equal(c->rows[2], "* +");
    assert_int_equal(chart_cell(c, 0, 0)->series, 1);
    assert_int_equal(chart_cell(c, 2, 0)->series, 0);
    assert_int_equal(chart_cell(c, 1, 1)->series, 1);
    assert_int_equal(chart_cell(c, 1, 0)->kind, CHART_CELL_EMPTY);
    assert_int_equal(c->n_points, 6);
    chart_free(c);
    o.style = CHART_BRAILLE;
    o.width = 2;
    o.height = 1;
    c = chart_render(s, 2, &o);
    assert_string_equal(c->rows[0], "⡱⢪"); /* dots of both series in the same cells */
    chart_free(c);
}

static void test_robustness(void **state)
{
    (void)state;
    chart_opts_t o = { .style = CHART_BRAILLE, .width = 4, .height = 2 };
    chart_t *c = chart_render(NULL, 3, &o); /* no series */
    assert_string_equal(c->rows[0], "    ");
    assert_true(c->y_min == 0 && c->y_max == 1);
    chart_free(c);
    prom_point_t nan[2] = { { 0, NAN }, { 1, NAN } };
    chart_series_t s = { nan, 2 };
    c = chart_render(&s, 1, &o);
    assert_string_equal(c->rows[1], "    ");
    assert_int_equal(c->n_points, 0);
    chart_free(c);
    s = (chart_series_t){ NULL, 0 };
    c = chart_render(&s, 1, NULL); /* default options */
    assert_int_equal(c->width, 20);
    chart_free(c);
    /* sizes are clamped */
    o.width = -5;
    o.height = 0;
    s = (chart_series_t){ ramp, 8 };
    c = chart_render(&s, 1, &o);
    assert_int_equal(c->width, 1);
    assert_int_equal(c->height, 1);
    assert_string_equal(c->rows[0], "⡜");
    chart_free(c);
    o.width = 5000;
    o.height = 3;
    o.style = CHART_BLOCK;
    c = chart_render(&s, 1, &o);
    assert_int_equal(c->width, 1000);
    assert_int_equal(strlen(c->rows[2]), 8 * 3 + 992); /* 8 bars (3 bytes each), spaces elsewhere */
    chart_free(c);
    /* out-of-range cells read as empty */
    c = chart_render(&s, 1, &o);
    assert_int_equal(chart_cell(c, -1, 0)->kind, CHART_CELL_EMPTY);
    assert_int_equal(chart_cell_elem(c, 0, 99), THEME_DEFAULT);
    chart_free(c);
    /* unsorted times and a NaN time do not crash */
    prom_point_t messy[4] = { { 5, 1 }, { 1, 2 }, { NAN, 3 }, { 3, 4 } };
    s = (chart_series_t){ messy, 4 };
    o = (chart_opts_t){ .style = CHART_ASCII, .width = 5, .height = 2 };
    c = chart_render(&s, 1, &o);
    assert_int_equal(c->n_points, 3);
    chart_free(c);
    /* 300 series: the first 255 are drawn */
    chart_series_t many[300];
    for (int i = 0; i < 300; i++)
        many[i] = (chart_series_t){ ramp, 8 };
    c = chart_render(many, 300, &o);
    assert_int_equal(c->n_points, 255 * 8);
    chart_free(c);
}

static void test_row_value(void **state)
{
    (void)state;
    chart_series_t s = { ramp, 8 };
    chart_opts_t o = { .style = CHART_BRAILLE, .width = 4, .height = 3 };
    chart_t *c = chart_render(&s, 1, &o);
    assert_true(chart_row_value(c, 0) == 7);
    assert_true(chart_row_value(c, 1) == 3.5);
    assert_true(chart_row_value(c, 2) == 0);
    assert_true(chart_row_value(c, 99) == 0);
    chart_free(c);
    assert_true(isnan(chart_row_value(NULL, 0)));
}

static void test_sparkline(void **state)
{
    (void)state;
    double v[] = { 0, 1, 2, 3, 4, 5, 6, 7, NAN, 7 };
    char buf[128];
    assert_string_equal(chart_sparkline(v, 10, 10, true, buf, sizeof buf), "▁▂▃▄▅▆▇█ █");
    assert_string_equal(chart_sparkline(v, 10, 4, true, buf, sizeof buf), "▇█ █"); /* the last 4 */
    assert_string_equal(chart_sparkline(v, 10, 10, false, buf, sizeof buf), "_..--~~^ ^");
    double flat[] = { 2, 2, 2 };
    assert_string_equal(chart_sparkline(flat, 3, 10, true, buf, sizeof buf), "███");
    double zero[] = { 0, 0 };
    assert_string_equal(chart_sparkline(zero, 2, 10, false, buf, sizeof buf), "__");
    char tiny[8];
    assert_string_equal(chart_sparkline(v, 10, 10, true, tiny, sizeof tiny), "▁▂"); /* cut at a whole glyph */
    assert_string_equal(chart_sparkline(NULL, 0, 10, true, buf, sizeof buf), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_braille),
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_single_point),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_huge_range),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_several_series),
        cmocka_unit_test(test_robustness),
        cmocka_unit_test(test_row_value),
        cmocka_unit_test(test_sparkline),
    };
    return cmocka_run_group_tests_name("chart", tests, NULL, NULL);
}
