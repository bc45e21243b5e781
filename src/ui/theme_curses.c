/* A theme on ncurses: one colour pair per element and the attributes views draw with, degraded
 * explicitly for the terminal: 256 colours as given, 8 colours by nearest basic colour with bright
 * as bold, monochrome by the theme's mono attributes. */
#include "kdeck/theme.h"

#include <stdlib.h>

_Static_assert(THEME_ELEM_COUNT < 255, "COLOR_PAIR() holds pair numbers up to 255");

static theme_color_mode_t theme_mode = THEME_MODE_MONO;
static bool theme_direct_pairs;             /* pair == element index + 1 */
static attr_t theme_attrs[THEME_ELEM_COUNT]; /* all A_NORMAL until applied */
static short theme_pairs[THEME_ELEM_COUNT];
static short theme_pair_fg[THEME_ELEM_COUNT], theme_pair_bg[THEME_ELEM_COUNT]; /* as initialised */

static attr_t theme_curses_bits(unsigned bits)
{
    static const attr_t map[THEME_ATTR_COUNT] = {
        [THEME_ATTR_INDEX_BOLD] = A_BOLD,         [THEME_ATTR_INDEX_DIM] = A_DIM,
        [THEME_ATTR_INDEX_UNDERLINE] = A_UNDERLINE, [THEME_ATTR_INDEX_REVERSE] = A_REVERSE,
        [THEME_ATTR_INDEX_STANDOUT] = A_STANDOUT, [THEME_ATTR_INDEX_ITALIC] = A_ITALIC,
        [THEME_ATTR_INDEX_BLINK] = A_BLINK,
    };
    attr_t a = A_NORMAL;
    for (int i = 0; i < THEME_ATTR_COUNT; i++)
        if (bits & (1u << i))
            a |= map[i];
    return a;
}

/* Basic colours that dark text reads well on. */
static bool theme_light_basic(int c)
{
    return c == COLOR_WHITE || c == COLOR_YELLOW || c == COLOR_CYAN || c == COLOR_GREEN;
}

bool theme_no_color_env(void)
{
    const char *s = getenv("NO_COLOR");
    return s && s[0];
}

void theme_curses_apply(const theme_t *t, int colors, bool no_color)
{
    if (no_color || colors < 8 || !has_colors())
        theme_mode = THEME_MODE_MONO;
    else
        theme_mode = colors >= 256 ? THEME_MODE_256 : THEME_MODE_8;

    if (theme_mode == THEME_MODE_MONO) {
        theme_direct_pairs = false;
        for (int i = 0; i < THEME_ELEM_COUNT; i++) {
            theme_pairs[i] = 0;
            theme_attrs[i] = theme_curses_bits(theme_get(t, (theme_elem_t)i)->mono);
        }
        return;
    }

    /* `default` is the terminal's own colour where the terminal can say so; else white on black. */
    bool term_default = use_default_colors() == OK;
    if (!term_default)
        assume_default_colors(COLOR_WHITE, COLOR_BLACK);

    /* Terminals like xterm and screen have 64 pairs: then elements with equal colours share. */
    theme_direct_pairs = COLOR_PAIRS > THEME_ELEM_COUNT;
    int next_pair = 1;
    for (int i = 0; i < THEME_ELEM_COUNT; i++) {
        const theme_style_t *s = theme_get(t, (theme_elem_t)i);
        int fg = s->fg, bg = s->bg;
        attr_t extra = A_NORMAL;
        if (theme_mode == THEME_MODE_8) {
            bool fg_bright = false;
            fg = theme_256_to_8(s->fg, &fg_bright);
            bg = theme_256_to_8(s->bg, NULL);
            if (fg_bright)
                extra |= A_BOLD;
            /* Two colours that collapse into one would hide the text. */
            if (fg == bg && fg >= 0 && s->fg != s->bg)
                fg = theme_light_basic(bg) ? COLOR_BLACK : COLOR_WHITE;
        }
        if (!term_default) {
            if (fg < 0)
                fg = COLOR_WHITE;
            if (bg < 0)
                bg = COLOR_BLACK;
        }
        short pair = 0;
        if (theme_direct_pairs) {
            pair = (short)(i + 1);
        } else {
            for (int j = 0; j < i && !pair; j++)
                if (theme_pairs[j] > 0 && theme_pair_fg[j] == fg && theme_pair_bg[j] == bg)
                    pair = theme_pairs[j];
            if (!pair && next_pair < COLOR_PAIRS)
                pair = (short)next_pair++;
        }
        if (pair > 0 && init_pair(pair, (short)fg, (short)bg) == ERR)
            pair = 0;
        theme_pairs[i] = pair;
        theme_pair_fg[i] = (short)fg;
        theme_pair_bg[i] = (short)bg;
        theme_attrs[i] = COLOR_PAIR(pair) | theme_curses_bits(s->attrs) | extra;
    }
}

theme_color_mode_t theme_curses_mode(void)
{
    return theme_mode;
}

attr_t theme_attr(theme_elem_t e)
{
    return (unsigned)e < THEME_ELEM_COUNT ? theme_attrs[e] : A_NORMAL;
}

short theme_pair(theme_elem_t e)
{
    return (unsigned)e < THEME_ELEM_COUNT ? theme_pairs[e] : 0;
}

theme_elem_t theme_elem_of_cell(attr_t attrs, short pair)
{
    if (theme_direct_pairs && pair > 0 && pair <= THEME_ELEM_COUNT)
        return (theme_elem_t)(pair - 1);
    /* Shared pairs or monochrome: the first element drawn exactly so, then the first with the pair. */
    attr_t want = (attrs & A_ATTRIBUTES & ~A_COLOR) | COLOR_PAIR(pair);
    for (int i = 0; i < THEME_ELEM_COUNT; i++)
        if (theme_attrs[i] == want)
            return (theme_elem_t)i;
    if (pair > 0)
        for (int i = 0; i < THEME_ELEM_COUNT; i++)
            if (theme_pairs[i] == pair)
                return (theme_elem_t)i;
    return THEME_DEFAULT;
}
