/* The terminal: ncurses set up on the real tty or on a virtual screen (KDECK_NO_DISPLAY=1, for
 * scripted tests), the glyphs the locale can show, clipped UTF-8 drawing, and screen dumps. */
#ifndef KDECK_SCREEN_H
#define KDECK_SCREEN_H

#include <ncurses.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct glyphs {
    const char *vline, *hline, *ellipsis, *up, *down, *bullet, *cross, *check, *sep;
} glyphs_t;

/* Starts ncurses. virtual_screen: draw to /dev/null with LINES/COLUMNS from the environment.
 * Returns false with a message in err. */
bool screen_init(bool virtual_screen, char *err, size_t errlen);
/* Leaves curses mode (endwin); screen_resume() comes back (after a shell, Ctrl-Z). */
void screen_suspend(void);
void screen_resume(void);
/* endwin + delscreen. */
void screen_end(void);
bool screen_is_virtual(void);
bool screen_utf8(void);
const glyphs_t *screen_glyphs(void);
/* After SIGWINCH: ask the tty for its size and resize curses. Virtual screens take rows/cols. */
void screen_resize(int rows, int cols);

/* Draws UTF-8 text at (y, x) in at most `cols` columns, replacing control characters and invalid
 * UTF-8 with '?', cutting with an ellipsis when `ellipsis` is set. Pads with spaces to `cols` when
 * `pad`. Returns the columns used. */
int screen_put(int y, int x, const char *text, int cols, bool ellipsis, bool pad);
/* Display width of UTF-8 text (control characters count 1, as drawn). */
int screen_text_width(const char *text);

/* The screen as text, one line per row (trailing spaces kept), to path. */
bool screen_dump_text(const char *path, char *err, size_t errlen);
/* A grid of theme element letters, one per cell. */
bool screen_dump_colors(const char *path, char *err, size_t errlen);
/* The screen's text in one buffer (rows joined by '\n'); for :wait-for. Caller frees. */
char *screen_text(void);

/* Writes raw bytes to the terminal (OSC 52); no-op on a virtual screen. */
void screen_write_raw(const char *buf, size_t len);

#endif
