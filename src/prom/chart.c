/* Time series -> a grid of terminal cells: braille dots, block-element bars or ASCII. Pure. */
#include "kdeck/chart.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHART_MAX_DIM 1000
#define CHART_MAX_SERIES 255

static const char ascii_glyphs[] = "*+ox#@";
/* braille dot bit for (column 0..1, row 0..3 from the top of the cell) */
static const uint8_t braille_bit[2][4] = { { 0x01, 0x02, 0x04, 0x40 }, { 0x08, 0x10, 0x20, 0x80 } };

typedef struct grid {
    int w, h;          /* cells */
    int dw, dh;        /* dots (braille 2x4 per cell, ASCII 1x1) */
    int dpc_x, dpc_y;  /* dots per cell */
    double t0, t1, lo, hi;
    uint8_t *mask;     /* braille: dot bits per cell; ASCII/block: glyph index + 1 */
    chart_cell_t *cells;
    const chart_opts_t *o;
} grid_t;

static chart_level_t level_of(const chart_opts_t *o, double v)
{
    if (!o->has_warn && !o->has_crit)
        return CHART_LEVEL_NONE;
    if (isnan(v))
        return CHART_LEVEL_NONE;
    if (o->has_crit && (o->below ? v <= o->crit : v >= o->crit))
        return CHART_LEVEL_CRIT;
    if (o->has_warn && (o->below ? v <= o->warn : v >= o->warn))
        return CHART_LEVEL_WARN;
    return CHART_LEVEL_OK;
}

/* Where v sits between lo and hi (0..1); halved so that a range of +-1.8e308 does not overflow. */
static double frac(const grid_t *g, double v)
{
    return (v / 2 - g->lo / 2) / (g->hi / 2 - g->lo / 2);
}

static int xdot(const grid_t *g, double t)
{
    if (g->dw <= 1)
        return 0;
    double f = (t - g->t0) / (g->t1 - g->t0);
    long x = lround(f * (g->dw - 1));
    return x < 0 ? 0 : x >= g->dw ? g->dw - 1 : (int)x;
}

/* 0 = the bottom dot row */
static int ydot(const grid_t *g, double v)
{
    if (g->dh <= 1)
        return 0;
    double f = frac(g, v);
    if (!(f >= 0)) /* also NaN */
        f = 0;
    if (f > 1)
        f = 1;
    return (int)lround(f * (g->dh - 1));
}

static double dot_value(const grid_t *g, int y)
{
    return g->dh <= 1 ? g->lo / 2 + g->hi / 2 : g->lo + (g->hi / 2 - g->lo / 2) * 2 * y / (g->dh - 1);
}

static chart_cell_t *cell_at(grid_t *g, int cx, int cy_top)
{
    return &g->cells[(size_t)cy_top * (size_t)g->w + (size_t)cx];
}

/* Sets one dot (braille) or cell (ASCII) of series s. */
static void plot(grid_t *g, int x, int y, size_t s)
{
    int cx = x / g->dpc_x, cy_top = g->h - 1 - y / g->dpc_y;
    size_t i = (size_t)cy_top * (size_t)g->w + (size_t)cx;
    if (g->o->style == CHART_BRAILLE)
        g->mask[i] |= braille_bit[x % 2][g->dpc_y - 1 - y % g->dpc_y];
    else
        g->mask[i] = (uint8_t)(s % (sizeof ascii_glyphs - 1) + 1);
    chart_cell_t *c = &g->cells[i];
    chart_level_t lv = level_of(g->o, dot_value(g, y));
    if (c->kind != CHART_CELL_SERIES || c->series != s)
        c->level = CHART_LEVEL_NONE;
    c->kind = CHART_CELL_SERIES;
    c->series = (unsigned char)s;
    if (lv > c->level)
        c->level = (unsigned char)lv;
}

static void line(grid_t *g, int x0, int y0, int x1, int y1, size_t s)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        plot(g, x0, y0, s);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

static bool in_x(const grid_t *g, double t)
{
    double eps = (g->t1 - g->t0) * 1e-9;
    return t >= g->t0 - eps && t <= g->t1 + eps;
}

static void draw_lines(grid_t *g, const chart_series_t *series, size_t n, double step, size_t *drawn)
{
    for (size_t s = 0; s < n; s++) {
        bool have = false;
        double pt = 0;
        int px = 0, py = 0;
        for (size_t i = 0; i < series[s].n_points; i++) {
            const prom_point_t *p = &series[s].points[i];
            if (!isfinite(p->v) || !isfinite(p->t) || !in_x(g, p->t)) {
                have = false;
                continue;
            }
            int x = xdot(g, p->t), y = ydot(g, p->v);
            if (have && (step <= 0 || p->t - pt <= step * 1.5 + 1e-9))
                line(g, px, py, x, y, s);
            else
                plot(g, x, y, s);
            (*drawn)++;
            have = true;
            pt = p->t;
            px = x;
            py = y;
        }
    }
}

static void draw_blocks(grid_t *g, const chart_series_t *series, size_t n, size_t *drawn)
{
    int levels = 8 * g->h;
    double *col = malloc((size_t)g->w * sizeof *col);
    if (!col)
        return;
    for (size_t s = 0; s < n; s++) {
        for (int x = 0; x < g->w; x++)
            col[x] = NAN;
        for (size_t i = 0; i < series[s].n_points; i++) {
            const prom_point_t *p = &series[s].points[i];
            if (!isfinite(p->v) || !isfinite(p->t) || !in_x(g, p->t))
                continue;
            int x = xdot(g, p->t);
            /* the worst value of the column: the highest, or the lowest when lower is worse */
            if (isnan(col[x]) || (g->o->below ? p->v < col[x] : p->v > col[x]))
                col[x] = p->v;
            (*drawn)++;
        }
        for (int x = 0; x < g->w; x++) {
            if (isnan(col[x]))
                continue;
            double f = frac(g, col[x]);
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            int lvl = 1 + (int)lround(f * (levels - 1));
            chart_level_t lv = level_of(g->o, col[x]);
            for (int rb = 0; rb < g->h; rb++) {
                int in_row = lvl - 8 * rb;
                if (in_row <= 0)
                    break;
                int cy_top = g->h - 1 - rb;
                size_t i = (size_t)cy_top * (size_t)g->w + (size_t)x;
                g->mask[i] = (uint8_t)(in_row >= 8 ? 8 : in_row);
                chart_cell_t *c = cell_at(g, x, cy_top);
                c->kind = CHART_CELL_SERIES;
                c->series = (unsigned char)s;
                c->level = (unsigned char)lv;
            }
        }
    }
    free(col);
}

static void draw_threshold(grid_t *g, double v, chart_level_t lv)
{
    if (!(v >= g->lo && v <= g->hi) || g->hi <= g->lo)
        return;
    if (g->o->style == CHART_BLOCK && g->h < 2)
        return;
    int y;
    if (g->o->style == CHART_BLOCK) {
        double f = frac(g, v);
        y = (int)((8 * g->h - 1) * f) / 8; /* the cell row holding that level */
        if (y >= g->h)
            y = g->h - 1;
    } else
        y = ydot(g, v);
    int cy_top = g->h - 1 - y / g->dpc_y;
    for (int cx = 0; cx < g->w; cx++) {
        chart_cell_t *c = cell_at(g, cx, cy_top);
        if (c->kind == CHART_CELL_SERIES)
            continue;
        size_t i = (size_t)cy_top * (size_t)g->w + (size_t)cx;
        if (g->o->style == CHART_BRAILLE)
            g->mask[i] = braille_bit[0][g->dpc_y - 1 - y % g->dpc_y] | (c->kind == CHART_CELL_THRESHOLD ? g->mask[i] : 0);
        c->kind = CHART_CELL_THRESHOLD;
        c->level = (unsigned char)lv;
    }
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

static void y_range(grid_t *g, const chart_series_t *series, size_t n, const chart_opts_t *o)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < series[s].n_points; i++) {
            const prom_point_t *p = &series[s].points[i];
            if (!isfinite(p->v) || !isfinite(p->t) || !in_x(g, p->t))
                continue;
            if (p->v < lo)
                lo = p->v;
            if (p->v > hi)
                hi = p->v;
        }
    if (lo > hi) { /* nothing to draw */
        lo = 0;
        hi = 1;
    } else if (o->baseline == CHART_BASELINE_ZERO || o->baseline == CHART_BASELINE_AUTO) {
        if (o->baseline == CHART_BASELINE_ZERO || lo >= 0 || hi <= 0) {
            if (lo > 0)
                lo = 0;
            if (hi < 0)
                hi = 0;
        }
    }
    if (o->has_min && isfinite(o->min))
        lo = o->min;
    if (o->has_max && isfinite(o->max))
        hi = o->max;
    if (!(hi > lo)) {
        double v = o->has_min ? lo : o->has_max ? hi : (lo + hi) / 2;
        if (v == 0) {
            lo = o->has_max ? -1 : 0;
            hi = o->has_max ? 0 : 1;
        } else if (o->has_min && !o->has_max)
            hi = lo + fabs(lo);
        else if (o->has_max && !o->has_min)
            lo = hi - fabs(hi);
        else {
            lo = v - fabs(v) / 2;
            hi = v + fabs(v) / 2;
        }
    }
    g->lo = lo;
    g->hi = hi;
}

chart_t *chart_render(const chart_series_t *series, size_t n_series, const chart_opts_t *opts)
{
    static const chart_opts_t defaults = { .style = CHART_BRAILLE, .width = 20, .height = 4 };
    const chart_opts_t *o = opts ? opts : &defaults;
    if (n_series > CHART_MAX_SERIES)
        n_series = CHART_MAX_SERIES;
    if (!series)
        n_series = 0;
    grid_t g = { .o = o };
    g.w = o->width < 1 ? 1 : o->width > CHART_MAX_DIM ? CHART_MAX_DIM : o->width;
    g.h = o->height < 1 ? 1 : o->height > CHART_MAX_DIM ? CHART_MAX_DIM : o->height;
    g.dpc_x = o->style == CHART_BRAILLE ? 2 : 1;
    g.dpc_y = o->style == CHART_BRAILLE ? 4 : 1;
    g.dw = g.w * g.dpc_x;
    g.dh = g.h * g.dpc_y;

    /* x range */
    g.t0 = o->t_start;
    g.t1 = o->t_end;
    if (!(g.t1 > g.t0) || !isfinite(g.t0) || !isfinite(g.t1)) {
        double a = HUGE_VAL, b = -HUGE_VAL;
        for (size_t s = 0; s < n_series; s++)
            for (size_t i = 0; i < series[s].n_points; i++) {
                double t = series[s].points[i].t;
                if (!isfinite(t))
                    continue;
                if (t < a)
                    a = t;
                if (t > b)
                    b = t;
            }
        if (a > b) {
            a = 0;
            b = 1;
        }
        if (!(b > a))
            a = b - 1; /* one instant: it lands in the last column */
        g.t0 = a;
        g.t1 = b;
    }
    /* sample spacing */
    double step = o->step;
    if (!(step > 0) || !isfinite(step)) {
        step = 0;
        for (size_t s = 0; s < n_series; s++)
            for (size_t i = 1; i < series[s].n_points; i++) {
                double d = series[s].points[i].t - series[s].points[i - 1].t;
                if (d > 0 && isfinite(d) && (step == 0 || d < step))
                    step = d;
            }
    }
    y_range(&g, series, n_series, o);

    chart_t *c = calloc(1, sizeof *c);
    size_t ncell = (size_t)g.w * (size_t)g.h;
    g.mask = calloc(ncell, 1);
    g.cells = calloc(ncell, sizeof *g.cells);
    if (!c || !g.mask || !g.cells)
        goto oom;
    c->width = g.w;
    c->height = g.h;
    c->y_min = g.lo;
    c->y_max = g.hi;
    c->cells = g.cells;

    if (o->style == CHART_BLOCK)
        draw_blocks(&g, series, n_series, &c->n_points);
    else
        draw_lines(&g, series, n_series, step, &c->n_points);
    if (o->has_warn && isfinite(o->warn))
        draw_threshold(&g, o->warn, CHART_LEVEL_WARN);
    if (o->has_crit && isfinite(o->crit))
        draw_threshold(&g, o->crit, CHART_LEVEL_CRIT);

    c->rows = calloc((size_t)g.h, sizeof *c->rows);
    if (!c->rows)
        goto oom;
    for (int y = 0; y < g.h; y++) {
        char *row = malloc((size_t)g.w * 3 + 1);
        if (!row)
            goto oom;
        c->rows[y] = row;
        size_t o_ = 0;
        for (int x = 0; x < g.w; x++) {
            size_t i = (size_t)y * (size_t)g.w + (size_t)x;
            const chart_cell_t *cell = &g.cells[i];
            uint8_t m = g.mask[i];
            if (cell->kind == CHART_CELL_EMPTY)
                row[o_++] = ' ';
            else if (o->style == CHART_BRAILLE)
                o_ += put_utf8(row + o_, 0x2800u + m);
            else if (cell->kind == CHART_CELL_THRESHOLD)
                o_ += o->style == CHART_ASCII ? put_utf8(row + o_, '-') : put_utf8(row + o_, 0x2504u);
            else if (o->style == CHART_BLOCK)
                o_ += put_utf8(row + o_, 0x2580u + m); /* 1..8: ▁ .. █ */
            else
                row[o_++] = ascii_glyphs[(m ? m : 1) - 1];
        }
        row[o_] = '\0';
    }
    free(g.mask);
    return c;
oom:
    free(g.mask);
    if (c) {
        c->cells = NULL;
        chart_free(c);
    }
    free(g.cells);
    return NULL;
}

void chart_free(chart_t *c)
{
    if (!c)
        return;
    for (int y = 0; c->rows && y < c->height; y++)
        free(c->rows[y]);
    free(c->rows);
    free(c->cells);
    free(c);
}

const chart_cell_t *chart_cell(const chart_t *c, int x, int y)
{
    static const chart_cell_t empty = { 0 };
    if (!c || x < 0 || y < 0 || x >= c->width || y >= c->height)
        return &empty;
    return &c->cells[(size_t)y * (size_t)c->width + (size_t)x];
}

theme_elem_t chart_cell_elem(const chart_t *c, int x, int y)
{
    const chart_cell_t *cell = chart_cell(c, x, y);
    switch (cell->kind) {
    case CHART_CELL_SERIES:
        switch (cell->level) {
        case CHART_LEVEL_OK: return THEME_CHART_OK;
        case CHART_LEVEL_WARN: return THEME_CHART_WARN;
        case CHART_LEVEL_CRIT: return THEME_CHART_CRIT;
        default: return THEME_CHART_LINE;
        }
    case CHART_CELL_THRESHOLD:
        return cell->level == CHART_LEVEL_CRIT ? THEME_CHART_CRIT : THEME_CHART_WARN;
    default:
        return THEME_DEFAULT;
    }
}

double chart_row_value(const chart_t *c, int row)
{
    if (!c || c->height < 1)
        return NAN;
    if (row < 0)
        row = 0;
    if (row >= c->height)
        row = c->height - 1;
    /* rows hold 4 dot rows in braille, 1 otherwise; this uses the cell middle either way */
    double f = c->height == 1 ? 0.5 : (double)(c->height - 1 - row) / (c->height - 1);
    return c->y_min + (c->y_max / 2 - c->y_min / 2) * 2 * f;
}

char *chart_sparkline(const double *values, size_t n, int width, bool utf8, char *buf, size_t len)
{
    static const char ascii[] = "_.-~^";
    if (!len)
        return buf;
    buf[0] = '\0';
    if (width < 1 || !values)
        return buf;
    size_t from = n > (size_t)width ? n - (size_t)width : 0;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = from; i < n; i++)
        if (isfinite(values[i])) {
            if (values[i] < lo)
                lo = values[i];
            if (values[i] > hi)
                hi = values[i];
        }
    if (lo <= hi && lo > 0)
        lo = 0;
    if (lo <= hi && hi < 0)
        hi = 0;
    size_t o = 0;
    int levels = utf8 ? 8 : 5;
    for (size_t i = from; i < n; i++) {
        if (o + 4 >= len)
            break;
        double v = values[i];
        if (!isfinite(v)) {
            buf[o++] = ' ';
            continue;
        }
        double f = hi > lo ? (v - lo) / (hi - lo) : (v == 0 ? 0 : 1);
        int lvl = 1 + (int)lround(f * (levels - 1));
        if (utf8)
            o += put_utf8(buf + o, 0x2580u + (unsigned)lvl);
        else
            buf[o++] = ascii[lvl - 1];
    }
    buf[o] = '\0';
    return buf;
}
