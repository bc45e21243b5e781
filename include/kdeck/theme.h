/* Themes: the named screen elements kdeck draws, the theme file parser (pure, no ncurses) and the
 * mapping of a theme onto ncurses colour pairs with 256 -> 8 -> monochrome degradation.
 * The format, the search order and the element table are documented in docs/themes.md. */
#ifndef KDECK_THEME_H
#define KDECK_THEME_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

/* Every theme element, once: _(ID, "name in files", 'grid letter', PARENT, "description").
 * An element a theme does not set takes its parent's style; parents come before their children.
 * The table in docs/themes.md is checked against this list by tests/unit/test_theme.c. */
#define THEME_ELEMS(_) \
    _(DEFAULT,              "default",              '.', DEFAULT,        "Everything not covered below; `default default` is the terminal's own colours") \
    _(HEADER,               "header",               'H', DEFAULT,        "Top bar: cluster, context, namespace, connection state") \
    _(HEADER_CONTEXT,       "header.context",       'C', HEADER,         "Context name in the top bar") \
    _(HEADER_NAMESPACE,     "header.namespace",     'N', HEADER,         "Namespace in the top bar") \
    _(HEADER_OK,            "header.ok",            'O', HEADER,         "Connection indicator while the API server answers") \
    _(HEADER_ERROR,         "header.error",         'X', HEADER,         "Connection indicator while the API server fails or is unreachable") \
    _(HEADER_WARN,          "header.warn",          'W', HEADER,         "Warning badge in the top bar, e.g. insecure TLS") \
    _(HEADER_READONLY,      "header.readonly",      'R', HEADER,         "READ-ONLY badge") \
    _(TITLE,                "title",                'T', DEFAULT,        "View title line, e.g. `Pods(app)[12]`") \
    _(TABLE_ROW,            "table.row",            'r', DEFAULT,        "Ordinary table row") \
    _(TABLE_HEADER,         "table.header",         'h', TABLE_ROW,      "Column headers") \
    _(TABLE_SORT,           "table.sort",           'o', TABLE_HEADER,   "Header of the column the table is sorted by") \
    _(TABLE_SELECTED,       "table.selected",       's', TABLE_ROW,      "Row under the cursor") \
    _(TABLE_MARKED,         "table.marked",         'm', TABLE_ROW,      "Rows marked for a bulk action") \
    _(TABLE_DIM,            "table.dim",            'd', TABLE_ROW,      "De-emphasised rows and cells (stale, absent, zero values)") \
    _(STATUS_OK,            "status.ok",            'g', TABLE_ROW,      "Healthy state: Running, Ready, Complete, Available") \
    _(STATUS_PENDING,       "status.pending",       'p', TABLE_ROW,      "State in progress: Pending, ContainerCreating, Terminating") \
    _(STATUS_ERROR,         "status.error",         'e', TABLE_ROW,      "Failed state: CrashLoopBackOff, Error, Failed, ImagePullBackOff") \
    _(STATUS_WARNING,       "status.warning",       'w', TABLE_ROW,      "Degraded state: NotReady, Warning events") \
    _(STATUS_COMPLETED,     "status.completed",     'c', TABLE_ROW,      "Finished and inert: Completed, Succeeded") \
    _(STATUSLINE,           "statusline",           'l', DEFAULT,        "Message line at the bottom of the screen") \
    _(STATUSLINE_INFO,      "statusline.info",      'i', STATUSLINE,     "Informational message in the status line") \
    _(STATUSLINE_WARN,      "statusline.warn",      'u', STATUSLINE,     "Warning in the status line") \
    _(STATUSLINE_ERROR,     "statusline.error",     'E', STATUSLINE,     "Error in the status line") \
    _(FOOTER,               "footer",               'f', DEFAULT,        "Key hints bar") \
    _(FOOTER_KEY,           "footer.key",           'k', FOOTER,         "Key names in the key hints bar") \
    _(PROMPT,               "prompt",               'P', DEFAULT,        "The `:` command and `/` search prompt") \
    _(PROMPT_COMPLETION,    "prompt.completion",    'Q', PROMPT,         "Completion candidates offered by the prompt") \
    _(DESCRIBE_KEY,         "describe.key",         'y', DEFAULT,        "Field names in describe and YAML views") \
    _(DESCRIBE_VALUE,       "describe.value",       'v', DEFAULT,        "Field values in describe and YAML views") \
    _(DESCRIBE_SECTION,     "describe.section",     'S', DEFAULT,        "Section headings in describe views (Containers, Events)") \
    _(SEARCH_MATCH,         "search.match",         'M', DEFAULT,        "Text matching the current search") \
    _(HELP_KEY,             "help.key",             'K', DEFAULT,        "Key names in the help screen") \
    _(HELP_SECTION,         "help.section",         'Y', DEFAULT,        "Section headings in the help screen") \
    _(BORDER,               "border",               'b', DEFAULT,        "Box lines and separators between panes") \
    _(DIALOG,               "dialog",               'q', DEFAULT,        "Confirmation and message boxes drawn over a view") \
    _(LOG_POD1,             "log.pod1",             '1', DEFAULT,        "Prefix of the 1st pod in a multi-pod log pane") \
    _(LOG_POD2,             "log.pod2",             '2', DEFAULT,        "Prefix of the 2nd pod in a multi-pod log pane") \
    _(LOG_POD3,             "log.pod3",             '3', DEFAULT,        "Prefix of the 3rd pod in a multi-pod log pane") \
    _(LOG_POD4,             "log.pod4",             '4', DEFAULT,        "Prefix of the 4th pod in a multi-pod log pane") \
    _(LOG_POD5,             "log.pod5",             '5', DEFAULT,        "Prefix of the 5th pod in a multi-pod log pane") \
    _(LOG_POD6,             "log.pod6",             '6', DEFAULT,        "Prefix of the 6th pod in a multi-pod log pane") \
    _(LOG_POD7,             "log.pod7",             '7', DEFAULT,        "Prefix of the 7th pod in a multi-pod log pane") \
    _(LOG_POD8,             "log.pod8",             '8', DEFAULT,        "Prefix of the 8th pod (and the 9th, 17th, ...) in a log pane") \
    _(LOG_TIMESTAMP,        "log.timestamp",        't', DEFAULT,        "Timestamps in log panes") \
    _(LOG_MARKER,           "log.marker",           '!', DEFAULT,        "Stream markers in log panes: disconnected, reconnecting, resumed") \
    _(DIFF_ADD,             "diff.add",             '+', DEFAULT,        "Added lines in a diff") \
    _(DIFF_DEL,             "diff.del",             '-', DEFAULT,        "Removed lines in a diff") \
    _(DIFF_CONTEXT,         "diff.context",         '=', DEFAULT,        "Unchanged lines in a diff") \
    _(DIFF_HUNK,            "diff.hunk",            '@', DIFF_CONTEXT,   "Hunk headers in a diff (@@ -1,4 +1,5 @@)") \
    _(FORM_LABEL,           "form.label",           'a', DEFAULT,        "Field labels in forms") \
    _(FORM_FIELD,           "form.field",           'j', DEFAULT,        "Input fields in forms") \
    _(FORM_FIELD_FOCUS,     "form.field.focus",     'J', FORM_FIELD,     "The input field with the focus") \
    _(FORM_BUTTON,          "form.button",          'n', DEFAULT,        "Buttons in forms") \
    _(FORM_BUTTON_FOCUS,    "form.button.focus",    'B', FORM_BUTTON,    "The button with the focus") \
    _(FORM_ERROR,           "form.error",           'z', DEFAULT,        "Validation errors in forms") \
    _(CHART_LINE,           "chart.line",           'L', DEFAULT,        "Plotted series in metrics charts") \
    _(CHART_AXIS,           "chart.axis",           'x', DEFAULT,        "Axes, ticks and labels of metrics charts") \
    _(CHART_OK,             "chart.ok",             'G', DEFAULT,        "Values under the warning threshold") \
    _(CHART_WARN,           "chart.warn",           'V', DEFAULT,        "Values over the warning threshold") \
    _(CHART_CRIT,           "chart.crit",           'Z', DEFAULT,        "Values over the critical threshold") \
    _(ROLLOUT_STEP_DONE,    "rollout.step.done",    'D', DEFAULT,        "Rollout steps that completed") \
    _(ROLLOUT_STEP_ACTIVE,  "rollout.step.active",  'A', DEFAULT,        "The rollout step in progress") \
    _(ROLLOUT_STEP_FAILED,  "rollout.step.failed",  'F', DEFAULT,        "A rollout step that failed") \
    _(ROLLOUT_STEP_PENDING, "rollout.step.pending", 'U', DEFAULT,        "Rollout steps not started yet")

typedef enum theme_elem {
#define THEME_ELEM_ENUM_(id, name, letter, parent, desc) THEME_##id,
    THEME_ELEMS(THEME_ELEM_ENUM_)
#undef THEME_ELEM_ENUM_
    THEME_ELEM_COUNT
} theme_elem_t;

/* Text attributes, as written in theme files. */
#define THEME_ATTRS(_) \
    _(BOLD, "bold") _(DIM, "dim") _(UNDERLINE, "underline") _(REVERSE, "reverse") \
    _(STANDOUT, "standout") _(ITALIC, "italic") _(BLINK, "blink")

enum theme_attr_index {
#define THEME_ATTR_INDEX_(id, name) THEME_ATTR_INDEX_##id,
    THEME_ATTRS(THEME_ATTR_INDEX_)
#undef THEME_ATTR_INDEX_
    THEME_ATTR_COUNT
};
enum theme_attr_bit {
#define THEME_ATTR_BIT_(id, name) THEME_ATTR_##id = 1u << THEME_ATTR_INDEX_##id,
    THEME_ATTRS(THEME_ATTR_BIT_)
#undef THEME_ATTR_BIT_
};

#define THEME_COLOR_DEFAULT (-1) /* the terminal's own foreground or background */
#define THEME_INCLUDE_MAX 8      /* include nesting limit */

/* One element's resolved style. */
typedef struct theme_style {
    short fg, bg;   /* THEME_COLOR_DEFAULT or an xterm-256 index 0..255 (#rrggbb already mapped) */
    unsigned attrs; /* THEME_ATTR_* bits used with colours */
    unsigned mono;  /* THEME_ATTR_* bits used on monochrome terminals and with NO_COLOR */
} theme_style_t;

typedef struct theme theme_t;

/* ---- elements ---- */
const char *theme_elem_name(theme_elem_t e);         /* "table.selected"; "?" when out of range */
char theme_elem_letter(theme_elem_t e);              /* the colour-grid letter; '?' when out of range */
const char *theme_elem_description(theme_elem_t e);
theme_elem_t theme_elem_parent(theme_elem_t e);      /* THEME_DEFAULT for DEFAULT itself */
theme_elem_t theme_elem_by_name(const char *name);   /* case-insensitive; THEME_ELEM_COUNT if unknown */
theme_elem_t theme_elem_by_letter(char letter);      /* THEME_ELEM_COUNT if unknown */

/* ---- loading (pure: no ncurses) ---- */

/* A theme by name ("light": $XDG_CONFIG_HOME/kdeck/themes/light.theme or ~/.config/kdeck/themes/,
 * then the built-in themes/light.theme) or by path (anything with a '/' or ending in ".theme").
 * NULL with "file:line: what is wrong" in err on failure. */
theme_t *theme_load(const char *name_or_path, char *err, size_t errlen);
/* Parses theme text; `filename` is used in error messages, for the theme's name and for relative
 * includes. NULL with the error in err on failure. */
theme_t *theme_parse(const char *text, const char *filename, char *err, size_t errlen);
void theme_free(theme_t *t);
const char *theme_name(const theme_t *t);
/* The resolved style of an element (inheritance applied); t may be NULL (all terminal defaults). */
const theme_style_t *theme_get(const theme_t *t, theme_elem_t e);
/* Whether the theme (or a file it includes) has a colour line for the element itself. */
bool theme_is_set(const theme_t *t, theme_elem_t e);

/* Available theme names, built-in and user, sorted, without duplicates; NULL-terminated.
 * Free with theme_list_free. NULL only when out of memory. */
char **theme_list(void);
void theme_list_free(char **names);
/* The user theme directory: $XDG_CONFIG_HOME/kdeck/themes or $HOME/.config/kdeck/themes. */
bool theme_user_dir(char *buf, size_t len);

/* ---- colour arithmetic ---- */
int theme_rgb_to_256(int r, int g, int b);            /* nearest xterm colour in 16..255 */
void theme_256_to_rgb(int c, int *r, int *g, int *b); /* the xterm palette */
/* Nearest of the 8 basic colours (COLOR_BLACK..COLOR_WHITE); *bright is set for colours that are
 * meant bright (8..15, light tints and greys), which 8-colour terminals render with A_BOLD.
 * THEME_COLOR_DEFAULT maps to itself. */
int theme_256_to_8(int c, bool *bright);

/* ---- ncurses (src/ui/theme_curses.c) ---- */
typedef enum theme_color_mode { THEME_MODE_MONO, THEME_MODE_8, THEME_MODE_256 } theme_color_mode_t;

/* After start_color(): initialises one colour pair per element (pair = element index + 1 when the
 * terminal has enough pairs) and remembers each element's attributes. colors >= 256: colours as
 * given; 8..255: nearest basic colour, bright as A_BOLD; !has_colors(), colors < 8 or no_color:
 * the monochrome attributes only, no colour pairs. Call again to switch themes. */
void theme_curses_apply(const theme_t *t, int colors, bool no_color);
theme_color_mode_t theme_curses_mode(void);
/* What views pass to wattrset/wattr_on: COLOR_PAIR(n) | attributes. A_NORMAL before apply. */
attr_t theme_attr(theme_elem_t e);
short theme_pair(theme_elem_t e);
/* The element a screen cell was drawn with, for colour-grid dumps. Exact in colour mode on
 * terminals with more pairs than elements; in monochrome mode elements with the same attributes
 * collide and the first one wins. */
theme_elem_t theme_elem_of_cell(attr_t attrs, short pair);
/* True when the environment variable NO_COLOR is set and not empty. */
bool theme_no_color_env(void);

#endif
