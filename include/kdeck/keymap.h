/* Actions and key bindings are data: one X-macro list of actions, one table of bindings. The help
 * view, the footer and docs/keys.md are generated from them, and read-only mode filters them. */
#ifndef KDECK_KEYMAP_H
#define KDECK_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

/* X(id, name, flags, description). flags: ACT_MUTATES = changes the cluster (absent in read-only). */
#define KDECK_ACTIONS(X) \
    X(NONE,        "none",         0, "do nothing") \
    X(QUIT,        "quit",         0, "quit kdeck") \
    X(HELP,        "help",         0, "show the keys of this view") \
    X(UP,          "up",           0, "move up") \
    X(DOWN,        "down",         0, "move down") \
    X(PAGE_UP,     "page-up",      0, "move one page up") \
    X(PAGE_DOWN,   "page-down",    0, "move one page down") \
    X(HOME,        "first",        0, "go to the first line") \
    X(END,         "last",         0, "go to the last line") \
    X(LEFT,        "left",         0, "scroll left") \
    X(RIGHT,       "right",        0, "scroll right") \
    X(ENTER,       "open",         0, "open: drill down into the selection") \
    X(BACK,        "back",         0, "go back to the previous view") \
    X(COMMAND,     "command",      0, "command line (:pods, :deploy, :ns NAME, :ctx NAME, :q)") \
    X(FILTER,      "filter",       0, "filter rows (text, !text, -l key=value)") \
    X(SEARCH_NEXT, "search-next",  0, "next search match") \
    X(SEARCH_PREV, "search-prev",  0, "previous search match") \
    X(SORT_NEXT,   "sort-next",    0, "sort by the next column") \
    X(SORT_PREV,   "sort-prev",    0, "sort by the previous column") \
    X(SORT_REVERSE,"sort-reverse", 0, "reverse the sort order") \
    X(DESCRIBE,    "describe",     0, "describe the selected object") \
    X(YANK,        "yank",         0, "copy the name (or the text) to the clipboard (OSC 52)") \
    X(ALL_NS,      "all-namespaces", 0, "toggle all namespaces / the current one") \
    X(WIDE,        "wide",         0, "toggle the wide columns") \
    X(REDRAW,      "redraw",       0, "redraw the screen") \
    X(SUSPEND,     "suspend",      0, "suspend kdeck (fg to return)") \
    X(LOGS,        "logs",         0, "follow the logs of the pod, or of every pod of the workload") \
    X(PAUSE,       "pause",        0, "pause / resume following (scrolling up pauses too)") \
    X(TIMESTAMPS,  "timestamps",   0, "show / hide timestamps") \
    X(WRAP,        "wrap",         0, "wrap / cut long lines") \
    X(CLEAR,       "clear",        0, "clear the pane") \
    X(SAVE,        "save",         0, "save the pane to a file") \
    X(SINCE,       "since",        0, "since: all, 1m, 5m, 1h (restarts the streams)") \
    X(TAIL,        "tail",         0, "tail size: 100, 1000, all (restarts the streams)") \
    X(PREVIOUS,    "previous",     0, "the previous (crashed) container instead of the running one") \
    X(CONTAINER,   "container",    0, "cycle the container shown: all, then each (init containers too)") \
    X(SHELL,       "shell",        ACT_MUTATES, "open a shell in a container of the pod") \
    X(SPLIT,       "split",        0, "log pane full screen / under the table") \
    X(LOGS_BESIDE, "logs-beside",  0, "split screen: open another log pane beside the others") \
    X(FOCUS,       "focus",        0, "split screen: move the keyboard between the table and the pane") \
    X(METRICS,     "metrics",      0, "metrics panels of the app (deployment, service, pod); :metrics for all") \
    X(RANGE_NEXT,  "range-longer", 0, "metrics: a longer time range (5m, 15m, 1h, 6h, 24h)") \
    X(RANGE_PREV,  "range-shorter", 0, "metrics: a shorter time range") \
    X(REFRESH,     "refresh",      0, "metrics: query Prometheus again now") \
    X(NEW,         "new",          ACT_MUTATES, "new deployment: open the descriptor form") \
    X(EDIT,        "edit",         ACT_MUTATES, "edit the deployment in the descriptor form") \
    X(ROLLOUT,     "rollout",      0, "blue/green rollout of the deployment (its rollout view when one runs)") \
    X(HISTORY,     "history",      0, "rollout history of the app") \
    X(ABORT,       "abort",        ACT_MUTATES, "rollout: abort and revert to the old version") \
    X(UNDO,        "undo",         ACT_MUTATES, "rollout: roll back to the previous version") \
    X(RESUME,      "resume",       ACT_MUTATES, "rollout: take over a rollout whose driver is gone and complete it") \
    X(FIELD_NEXT,  "next-field",   0, "form: next field (then the buttons)") \
    X(FIELD_PREV,  "prev-field",   0, "form: previous field") \
    X(FORM_SAVE,   "save-file",    0, "form: save the descriptor to a file (asks for the path)") \
    X(FORM_OPEN,   "open-file",    0, "form: open a descriptor file (asks for the path)") \
    X(FORM_PREVIEW,"preview",      0, "form: preview the exact objects and the diff against the live ones") \
    X(FORM_APPLY,  "apply",        ACT_MUTATES, "form: apply (through the preview; refused while a field is invalid)") \
    X(FORM_DISCARD,"discard-draft", 0, "form: discard the draft, start again from the live app") \
    X(ITEM_ADD,    "add-item",     0, "form: add an item (container, port, env var, arg, label)") \
    X(ITEM_REMOVE, "remove-item",  0, "form: remove the item") \
    X(ITEM_UP,     "item-up",      0, "form: move the item up") \
    X(ITEM_DOWN,   "item-down",    0, "form: move the item down")

typedef enum {
#define X(id, name, flags, desc) ACT_##id,
    KDECK_ACTIONS(X)
#undef X
    ACT_COUNT
} action_t;

enum { ACT_MUTATES = 1 };

/* Where a binding applies. A view asks its own context first, then KEYCTX_GLOBAL. */
typedef enum { KEYCTX_GLOBAL, KEYCTX_TABLE, KEYCTX_TEXT, KEYCTX_HELP, KEYCTX_LOGS, KEYCTX_METRICS,
               KEYCTX_FORM, KEYCTX_ROLLOUT, KEYCTX_COUNT } keyctx_t;

typedef struct keybinding {
    keyctx_t ctx;
    int key;          /* ncurses key code or character */
    action_t action;
} keybinding_t;

const char *action_name(action_t a);
const char *action_description(action_t a);
unsigned action_flags(action_t a);

/* The action bound to `key` in `ctx` (falling back to global); ACT_NONE when unbound or, in a
 * read-only session, when the action mutates. */
action_t keymap_lookup(keyctx_t ctx, int key, bool read_only);

/* Iterates the bindings of a context (without the global ones), for help and footers. */
const keybinding_t *keymap_bindings(size_t *count);

/* Key names as scripts, help and docs write them: "j", "<Down>", "<C-d>", "<Enter>", "<Esc>". */
void keymap_key_name(int key, char *buf, size_t len);
/* Parses a key name; returns the key or -1. */
int keymap_parse_key(const char *name);

#endif
