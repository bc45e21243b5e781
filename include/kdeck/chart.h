/* Pure rendering of time series into a grid of terminal cells (no ncurses): braille line charts
 * (U+2800 block, 2x4 dots per cell), block-element sparklines (▁▂▃▄▅▆▇█) and an ASCII fallback.
 * The result is rows of UTF-8 text plus, per cell, what was drawn there, so a view can colour each
 * cell with theme elements (chart_cell_elem). */
#ifndef KDECK_CHART_H
#define KDECK_CHART_H

#include <stdbool.h>
#include <stddef.h>

#include "kdeck/prom.h"
#include "kdeck/theme.h"

typedef enum chart_style {
    CHART_BRAILLE, /* 2 points per cell across, 4 levels per cell up */
    CHART_BLOCK,   /* one column per cell, 8 levels per cell up, bars from the bottom */
    CHART_ASCII    /* one point per cell: series glyphs * + o x # @, '|' joins, '-' thresholds */
} chart_style_t;

typedef enum chart_baseline {
    CHART_BASELINE_AUTO, /* include 0 when every value has the same sign (rates, counts, ratios) */
    CHART_BASELINE_ZERO, /* always include 0 */
    CHART_BASELINE_NONE  /* fit the data only */
} chart_baseline_t;

typedef struct chart_series {
    const prom_point_t *points; /* time order */
    size_t n_points;
} chart_series_t;

typedef struct chart_opts {
    chart_style_t style;
    int width, height;        /* cells; clamped to 1..1000 */
    double t_start, t_end;    /* x range (Unix s); t_end <= t_start: the data's own range */
    double step;              /* sample spacing; neighbours farther apart than 1.5 steps are not
                                 joined (a gap); 0: the smallest spacing in the data */
    chart_baseline_t baseline;
    bool has_min, has_max;    /* fixed y axis ends */
    double min, max;
    bool has_warn, has_crit;  /* thresholds: drawn as lines, and they set each cell's level */
    double warn, crit;
    bool below;               /* lower is worse (a hit ratio): levels count downwards */
} chart_opts_t;

/* What a cell shows. */
typedef enum chart_cell_kind {
    CHART_CELL_EMPTY,
    CHART_CELL_SERIES,    /* a series' line or bar; `series` says which (the last drawn wins) */
    CHART_CELL_THRESHOLD  /* a threshold line where no series passes */
} chart_cell_kind_t;

typedef enum chart_level { CHART_LEVEL_NONE, CHART_LEVEL_OK, CHART_LEVEL_WARN, CHART_LEVEL_CRIT } chart_level_t;

typedef struct chart_cell {
    unsigned char kind;   /* chart_cell_kind_t */
    unsigned char series; /* index of the series, for CHART_CELL_SERIES */
    unsigned char level;  /* chart_level_t: the worst value in the cell (series), or which
                             threshold the line is (WARN/CRIT) */
} chart_cell_t;

typedef struct chart {
    int width, height;
    char **rows;          /* height NUL-terminated UTF-8 strings, each exactly width cells wide;
                             rows[0] is the top */
    chart_cell_t *cells;  /* width * height, row-major from the top */
    double y_min, y_max;  /* the scale used: the values of the lowest and the highest dot (or level) */
    size_t n_points;      /* finite points drawn */
} chart_t;

/* Renders up to 255 series. NULL only when out of memory. A chart with no finite point is blank
 * (y_min = 0, y_max = 1). */
chart_t *chart_render(const chart_series_t *series, size_t n_series, const chart_opts_t *opts);
void chart_free(chart_t *c);
const chart_cell_t *chart_cell(const chart_t *c, int x, int y);
/* The theme element for a cell: series -> CHART_LINE (or CHART_OK/WARN/CRIT when the chart has
 * thresholds), thresholds -> CHART_WARN/CHART_CRIT, empty -> DEFAULT. */
theme_elem_t chart_cell_elem(const chart_t *c, int x, int y);
/* The y value at the middle of row `row` (for axis labels). */
double chart_row_value(const chart_t *c, int row);

/* A one-row sparkline of the last `width` values into buf (UTF-8, or ASCII "_.-~^" when !utf8);
 * NaN is a space. Returns buf. */
char *chart_sparkline(const double *values, size_t n, int width, bool utf8, char *buf, size_t len);

#endif
