/* The default key bindings (one table) and key-name conversion shared by scripts, help and docs. */
#include "kdeck/keymap.h"

#include <ncurses.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27

static const struct { const char *name, *desc; unsigned flags; } actions[] = {
#define X(id, name, flags, desc) { name, desc, flags },
    KDECK_ACTIONS(X)
#undef X
};

static const keybinding_t bindings[] = {
    { KEYCTX_GLOBAL, 'q',           ACT_QUIT },
    { KEYCTX_GLOBAL, '?',           ACT_HELP },
    { KEYCTX_GLOBAL, ':',           ACT_COMMAND },
    { KEYCTX_GLOBAL, KEY_UP,        ACT_UP },
    { KEYCTX_GLOBAL, 'k',           ACT_UP },
    { KEYCTX_GLOBAL, KEY_DOWN,      ACT_DOWN },
    { KEYCTX_GLOBAL, 'j',           ACT_DOWN },
    { KEYCTX_GLOBAL, KEY_PPAGE,     ACT_PAGE_UP },
    { KEYCTX_GLOBAL, CTRL('b'),     ACT_PAGE_UP },
    { KEYCTX_GLOBAL, KEY_NPAGE,     ACT_PAGE_DOWN },
    { KEYCTX_GLOBAL, CTRL('f'),     ACT_PAGE_DOWN },
    { KEYCTX_GLOBAL, ' ',           ACT_PAGE_DOWN },
    { KEYCTX_GLOBAL, KEY_HOME,      ACT_HOME },
    { KEYCTX_GLOBAL, 'g',           ACT_HOME },
    { KEYCTX_GLOBAL, KEY_END,       ACT_END },
    { KEYCTX_GLOBAL, 'G',           ACT_END },
    { KEYCTX_GLOBAL, KEY_LEFT,      ACT_LEFT },
    { KEYCTX_GLOBAL, KEY_RIGHT,     ACT_RIGHT },
    { KEYCTX_GLOBAL, KEY_ESC,       ACT_BACK },
    { KEYCTX_GLOBAL, KEY_BACKSPACE, ACT_BACK },
    { KEYCTX_GLOBAL, 127,           ACT_BACK },
    { KEYCTX_GLOBAL, CTRL('l'),     ACT_REDRAW },
    { KEYCTX_GLOBAL, CTRL('z'),     ACT_SUSPEND },
    { KEYCTX_TABLE,  '\n',          ACT_ENTER },
    { KEYCTX_TABLE,  KEY_ENTER,     ACT_ENTER },
    { KEYCTX_TABLE,  '/',           ACT_FILTER },
    { KEYCTX_TABLE,  'd',           ACT_DESCRIBE },
    { KEYCTX_TABLE,  'y',           ACT_YANK },
    { KEYCTX_TABLE,  '>',           ACT_SORT_NEXT },
    { KEYCTX_TABLE,  '<',           ACT_SORT_PREV },
    { KEYCTX_TABLE,  'o',           ACT_SORT_REVERSE },
    { KEYCTX_TABLE,  'A',           ACT_ALL_NS },
    { KEYCTX_TABLE,  'w',           ACT_WIDE },
    { KEYCTX_TABLE,  'l',           ACT_LOGS },
    { KEYCTX_TABLE,  's',           ACT_SHELL },
    { KEYCTX_TABLE,  'L',           ACT_LOGS_BESIDE },
    { KEYCTX_TABLE,  'm',           ACT_METRICS },
    { KEYCTX_TABLE,  'n',           ACT_NEW },
    { KEYCTX_TABLE,  'e',           ACT_EDIT },
    { KEYCTX_TABLE,  'r',           ACT_ROLLOUT },
    { KEYCTX_TABLE,  'H',           ACT_HISTORY },
    /* form bindings (KEYCTX_FORM); while a text field has the focus it takes printable keys */
    { KEYCTX_FORM,   '\t',          ACT_FIELD_NEXT },
    { KEYCTX_FORM,   KEY_BTAB,      ACT_FIELD_PREV },
    { KEYCTX_FORM,   '\n',          ACT_ENTER },
    { KEYCTX_FORM,   KEY_ENTER,     ACT_ENTER },
    { KEYCTX_FORM,   ' ',           ACT_ENTER },
    { KEYCTX_FORM,   CTRL('s'),     ACT_FORM_SAVE },
    { KEYCTX_FORM,   CTRL('o'),     ACT_FORM_OPEN },
    { KEYCTX_FORM,   CTRL('p'),     ACT_FORM_PREVIEW },
    { KEYCTX_FORM,   CTRL('a'),     ACT_FORM_APPLY },
    { KEYCTX_FORM,   CTRL('r'),     ACT_FORM_DISCARD },
    { KEYCTX_FORM,   '+',           ACT_ITEM_ADD },
    { KEYCTX_FORM,   '-',           ACT_ITEM_REMOVE },
    { KEYCTX_FORM,   KEY_DC,        ACT_ITEM_REMOVE },
    { KEYCTX_FORM,   'K',           ACT_ITEM_UP },
    { KEYCTX_FORM,   'J',           ACT_ITEM_DOWN },
    { KEYCTX_FORM,   KEY_SR,        ACT_ITEM_UP },
    { KEYCTX_FORM,   KEY_SF,        ACT_ITEM_DOWN },
    /* rollout view bindings */
    { KEYCTX_ROLLOUT, 'a',          ACT_ABORT },
    { KEYCTX_ROLLOUT, 'u',          ACT_UNDO },
    { KEYCTX_ROLLOUT, 'R',          ACT_RESUME },
    { KEYCTX_ROLLOUT, 'H',          ACT_HISTORY },
    { KEYCTX_ROLLOUT, 'l',          ACT_LOGS },
    { KEYCTX_METRICS, 't',          ACT_RANGE_NEXT },
    { KEYCTX_METRICS, '+',          ACT_RANGE_NEXT },
    { KEYCTX_METRICS, 'T',          ACT_RANGE_PREV },
    { KEYCTX_METRICS, '-',          ACT_RANGE_PREV },
    { KEYCTX_METRICS, 'r',          ACT_REFRESH },
    { KEYCTX_LOGS,   'p',           ACT_PAUSE },
    { KEYCTX_LOGS,   'f',           ACT_SPLIT },
    { KEYCTX_GLOBAL, '\t',          ACT_FOCUS },
    { KEYCTX_LOGS,   't',           ACT_TIMESTAMPS },
    { KEYCTX_LOGS,   'w',           ACT_WRAP },
    { KEYCTX_LOGS,   'c',           ACT_CLEAR },
    { KEYCTX_LOGS,   's',           ACT_SAVE },
    { KEYCTX_LOGS,   'S',           ACT_SINCE },
    { KEYCTX_LOGS,   'T',           ACT_TAIL },
    { KEYCTX_LOGS,   'P',           ACT_PREVIOUS },
    { KEYCTX_LOGS,   'C',           ACT_CONTAINER },
    { KEYCTX_LOGS,   '/',           ACT_FILTER },
    { KEYCTX_LOGS,   'n',           ACT_SEARCH_NEXT },
    { KEYCTX_LOGS,   'N',           ACT_SEARCH_PREV },
    { KEYCTX_LOGS,   'y',           ACT_YANK },
    { KEYCTX_TEXT,   '/',           ACT_FILTER },
    { KEYCTX_TEXT,   'n',           ACT_SEARCH_NEXT },
    { KEYCTX_TEXT,   'N',           ACT_SEARCH_PREV },
    { KEYCTX_TEXT,   'y',           ACT_YANK },
    { KEYCTX_TEXT,   'h',           ACT_LEFT },
    { KEYCTX_TEXT,   'l',           ACT_RIGHT },
};

const char *action_name(action_t a)
{
    return a < ACT_COUNT ? actions[a].name : "?";
}

const char *action_description(action_t a)
{
    return a < ACT_COUNT ? actions[a].desc : "?";
}

unsigned action_flags(action_t a)
{
    return a < ACT_COUNT ? actions[a].flags : 0;
}

static action_t lookup_in(keyctx_t ctx, int key)
{
    for (size_t i = 0; i < sizeof bindings / sizeof *bindings; i++)
        if (bindings[i].ctx == ctx && bindings[i].key == key)
            return bindings[i].action;
    return ACT_NONE;
}

action_t keymap_lookup(keyctx_t ctx, int key, bool read_only)
{
    action_t a = lookup_in(ctx, key);
    if (a == ACT_NONE && ctx != KEYCTX_GLOBAL)
        a = lookup_in(KEYCTX_GLOBAL, key);
    if (read_only && (action_flags(a) & ACT_MUTATES))
        return ACT_NONE;
    return a;
}

const keybinding_t *keymap_bindings(size_t *count)
{
    *count = sizeof bindings / sizeof *bindings;
    return bindings;
}

static const struct { int key; const char *name; } named_keys[] = {
    { KEY_UP, "Up" }, { KEY_DOWN, "Down" }, { KEY_LEFT, "Left" }, { KEY_RIGHT, "Right" },
    { KEY_PPAGE, "PgUp" }, { KEY_NPAGE, "PgDn" }, { KEY_HOME, "Home" }, { KEY_END, "End" },
    { '\n', "Enter" }, { KEY_ENTER, "KPEnter" }, { KEY_ESC, "Esc" }, { KEY_BACKSPACE, "BS" },
    { 127, "Del" }, { '\t', "Tab" }, { KEY_BTAB, "S-Tab" }, { ' ', "Space" }, { KEY_DC, "Delete" },
    { KEY_IC, "Insert" }, { KEY_RESIZE, "Resize" }, { KEY_SR, "S-Up" }, { KEY_SF, "S-Down" },
};

/* Accepted when parsing only: scripts can write "<lt>" where a bare "<" would read as a name. */
static const struct { int key; const char *name; } parse_only_keys[] = {
    { '<', "lt" }, { '>', "gt" }, { ':', "colon" }, { '/', "slash" },
};

void keymap_key_name(int key, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++)
        if (named_keys[i].key == key) {
            snprintf(buf, len, "<%s>", named_keys[i].name);
            return;
        }
    if (key >= KEY_F(1) && key <= KEY_F(12))
        snprintf(buf, len, "<F%d>", key - KEY_F(0));
    else if (key > 0 && key < 32)
        snprintf(buf, len, "<C-%c>", key + 'a' - 1);
    else if (key >= 32 && key < 127)
        snprintf(buf, len, "%c", key);
    else
        snprintf(buf, len, "<%d>", key);
}

int keymap_parse_key(const char *name)
{
    size_t n = strlen(name);
    if (n == 1)
        return (unsigned char)name[0];
    if (n < 3 || name[0] != '<' || name[n - 1] != '>')
        return -1;
    char inner[32];
    if (n - 2 >= sizeof inner)
        return -1;
    memcpy(inner, name + 1, n - 2);
    inner[n - 2] = '\0';
    for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++)
        if (!strcasecmp(inner, named_keys[i].name))
            return named_keys[i].key;
    for (size_t i = 0; i < sizeof parse_only_keys / sizeof *parse_only_keys; i++)
        if (!strcasecmp(inner, parse_only_keys[i].name))
            return parse_only_keys[i].key;
    if (!strcasecmp(inner, "CR") || !strcasecmp(inner, "Return"))
        return '\n';
    if ((inner[0] == 'C' || inner[0] == 'c') && inner[1] == '-' && inner[2] && !inner[3]) {
        char c = inner[2];
        if (c >= 'a' && c <= 'z') return c - 'a' + 1;
        if (c >= 'A' && c <= 'Z') return c - 'A' + 1;
    }
    if ((inner[0] == 'F' || inner[0] == 'f') && inner[1] >= '0' && inner[1] <= '9') {
        int f = 0;
        for (const char *p = inner + 1; *p; p++) {
            if (*p < '0' || *p > '9') return -1;
            f = f * 10 + (*p - '0');
        }
        if (f >= 1 && f <= 12) return KEY_F(f);
    }
    return -1;
}
