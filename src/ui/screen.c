/* ncurses lifecycle, glyph sets and safe text drawing. */
#include "kdeck/screen.h"
#include "kdeck/theme.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

static SCREEN *scr;
static FILE *scr_in, *scr_out;
static bool is_virtual, is_utf8;
static int tty_fd = -1;

static const glyphs_t utf8_glyphs = { "│", "─", "…", "↑", "↓", "●", "✗", "✓", "│" };
static const glyphs_t ascii_glyphs = { "|", "-", "~", "^", "v", "*", "x", "+", "|" };

bool screen_init(bool virtual_screen, char *err, size_t errlen)
{
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    is_utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
    is_virtual = virtual_screen;
    const char *term = getenv("TERM");
    if (virtual_screen) {
        scr_out = fopen("/dev/null", "w");
        scr_in = fopen("/dev/null", "r");
        if (!term || !*term)
            term = "xterm-256color";
    } else {
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
            snprintf(err, errlen, "kdeck needs a terminal (stdin and stdout must be a tty); "
                                  "for scripted use set KDECK_NO_DISPLAY=1");
            return false;
        }
        scr_out = stdout;
        scr_in = stdin;
        tty_fd = STDOUT_FILENO;
        if (!term || !*term)
            term = "vt100";
    }
    if (!scr_out || !scr_in) {
        snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
        return false;
    }
    scr = newterm(term, scr_out, scr_in);
    if (!scr) {
        /* Unknown TERM: fall back to a plain terminal rather than refusing to start. */
        scr = newterm("vt100", scr_out, scr_in);
        if (!scr) {
            snprintf(err, errlen, "cannot initialise the terminal (TERM=%s)", term);
            return false;
        }
    }
    set_term(scr);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);   /* a bare ESC blocks the loop for this long (LOOP.md) */
    typeahead(-1);
    curs_set(0);
    intrflush(stdscr, FALSE);
    if (!virtual_screen) { /* Ctrl-S/Ctrl-Q are keys (the form saves with Ctrl-S), not XOFF/XON */
        struct termios t;
        if (tcgetattr(STDIN_FILENO, &t) == 0) {
            t.c_iflag &= ~(tcflag_t)IXON;
            if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
                def_prog_mode();
        }
    }
    /* NO_COLOR means no colour at all: not even ncurses' white-on-black pair 0. */
    if (has_colors() && !theme_no_color_env()) {
        start_color();
        use_default_colors();
    }
    return true;
}

void screen_suspend(void)
{
    def_prog_mode();
    endwin();
}

void screen_resume(void)
{
    reset_prog_mode();
    clearok(curscr, TRUE);
    refresh();
}

void screen_end(void)
{
    if (!scr)
        return;
    endwin();
    delscreen(scr);
    scr = NULL;
    if (is_virtual) {
        fclose(scr_in);
        fclose(scr_out);
    }
}

bool screen_is_virtual(void) { return is_virtual; }
bool screen_utf8(void) { return is_utf8; }

const glyphs_t *screen_glyphs(void)
{
    return is_utf8 ? &utf8_glyphs : &ascii_glyphs;
}

void screen_resize(int rows, int cols)
{
    if (!is_virtual) {
        struct winsize ws;
        if (ioctl(tty_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
            rows = ws.ws_row;
            cols = ws.ws_col;
        }
    }
    if (rows > 0 && cols > 0)
        resizeterm(rows, cols);
}

/* Decodes one UTF-8 sequence; returns its length (1 for an invalid byte, with *wc = '?'). */
static int next_char(const char *s, wchar_t *wc)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = mbrtowc(wc, s, MB_CUR_MAX, &st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        *wc = L'?';
        return 1;
    }
    if ((unsigned)*wc < 32 || *wc == 127 || (*wc >= 0x80 && *wc < 0xa0))
        *wc = L'?'; /* never send control characters from the cluster to the terminal */
    return (int)n;
}

static int char_width(wchar_t wc)
{
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

int screen_text_width(const char *text)
{
    int w = 0;
    for (const char *p = text; *p;) {
        wchar_t wc;
        p += next_char(p, &wc);
        w += char_width(wc);
    }
    return w;
}

int screen_put(int y, int x, const char *text, int cols, bool ellipsis, bool pad)
{
    if (cols <= 0)
        return 0;
    int total = screen_text_width(text ? text : "");
    bool cut = total > cols;
    int room = cut && ellipsis ? cols - 1 : cols;
    int used = 0;
    move(y, x);
    for (const char *p = text ? text : ""; *p;) {
        wchar_t wc;
        int n = next_char(p, &wc);
        int w = char_width(wc);
        if (used + w > room)
            break;
        if (!is_utf8 && wc > 126)
            wc = L'?';
        wchar_t s[2] = { wc, 0 };
        addnwstr(s, 1);
        used += w;
        p += n;
    }
    if (cut && ellipsis && used < cols) {
        addstr(screen_glyphs()->ellipsis);
        used++;
    }
    if (pad)
        for (; used < cols; used++)
            addch(' ');
    return used;
}

/* One row as UTF-8 into buf. */
static void row_text(int y, char *buf, size_t len)
{
    size_t o = 0;
    int cols = COLS;
    for (int x = 0; x < cols && o + 8 < len; x++) {
        cchar_t cc;
        if (mvin_wch(y, x, &cc) == ERR)
            break;
        wchar_t wch[CCHARW_MAX + 1];
        attr_t attrs;
        short pair;
        if (getcchar(&cc, wch, &attrs, &pair, NULL) == ERR)
            continue;
        if (wch[0] == 0)
            continue; /* the second cell of a wide character */
        char mb[MB_LEN_MAX + 1];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t n = wcrtomb(mb, wch[0], &st);
        if (n == (size_t)-1) {
            mb[0] = '?';
            n = 1;
        }
        memcpy(buf + o, mb, n);
        o += n;
    }
    buf[o] = '\0';
}

char *screen_text(void)
{
    size_t rowmax = (size_t)COLS * 8 + 16;
    char *out = malloc((size_t)LINES * rowmax + 1);
    if (!out)
        return NULL;
    char *row = malloc(rowmax);
    size_t o = 0;
    for (int y = 0; y < LINES && row; y++) {
        row_text(y, row, rowmax);
        size_t n = strlen(row);
        memcpy(out + o, row, n);
        o += n;
        out[o++] = '\n';
    }
    out[o] = '\0';
    free(row);
    return out;
}

static FILE *open_dump(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return f;
}

bool screen_dump_text(const char *path, char *err, size_t errlen)
{
    FILE *f = open_dump(path, err, errlen);
    if (!f)
        return false;
    char *text = screen_text();
    if (text)
        fputs(text, f);
    free(text);
    return fclose(f) == 0;
}

bool screen_dump_colors(const char *path, char *err, size_t errlen)
{
    FILE *f = open_dump(path, err, errlen);
    if (!f)
        return false;
    for (int y = 0; y < LINES; y++) {
        for (int x = 0; x < COLS; x++) {
            cchar_t cc;
            wchar_t wch[CCHARW_MAX + 1];
            attr_t attrs = 0;
            short pair = 0;
            if (mvin_wch(y, x, &cc) != ERR)
                getcchar(&cc, wch, &attrs, &pair, NULL);
            fputc(theme_elem_letter(theme_elem_of_cell(attrs, pair)), f);
        }
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

void screen_write_raw(const char *buf, size_t len)
{
    if (is_virtual || tty_fd < 0)
        return;
    fflush(scr_out);
    while (len) {
        ssize_t n = write(tty_fd, buf, len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}
