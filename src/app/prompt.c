/* The bottom-line prompt: ':' commands with Tab completion, '/' live filter, and one-line
 * questions with a prefilled answer (app_prompt_input: "roll out web: image ..."). */
#include "app_int.h"
#include "kdeck/kinds.h"

#include <ncurses.h>
#include <string.h>

#define KEY_ESCAPE 27

void app_prompt_open(app_t *app, prompt_mode_t mode)
{
    view_t *v = app_top_view(app);
    if (mode == PROMPT_FILTER && (!v || !v->ops->filter)) {
        app_error(app, "this view cannot be filtered");
        return;
    }
    app->prompt = mode;
    app->completions[0] = '\0';
    if (mode == PROMPT_COMMAND) /* warm the namespace list so ":ns <Tab>" can complete */
        app_informer(app, KIND_NAMESPACE, NULL);
    if (mode == PROMPT_FILTER && v) {
        snprintf(app->prompt_saved_filter, sizeof app->prompt_saved_filter, "%s", v->filter);
        snprintf(app->prompt_buf, sizeof app->prompt_buf, "%s", v->filter);
    } else {
        app->prompt_buf[0] = '\0';
    }
    app->prompt_len = strlen(app->prompt_buf);
    app->urgent = true;
    app_dirty(app);
}

void app_prompt_input(app_t *app, const char *label, const char *initial, prompt_input_cb done,
                      void *ud, void (*free_ud)(void *ud))
{
    if (app->prompt == PROMPT_INPUT && app->prompt_free_ud) /* a question left open: drop it */
        app->prompt_free_ud(app->prompt_ud);
    app->prompt = PROMPT_INPUT;
    app->completions[0] = '\0';
    snprintf(app->prompt_label, sizeof app->prompt_label, "%s", label);
    snprintf(app->prompt_buf, sizeof app->prompt_buf, "%s", initial ? initial : "");
    app->prompt_len = strlen(app->prompt_buf);
    app->prompt_done = done;
    app->prompt_ud = ud;
    app->prompt_free_ud = free_ud;
    app->urgent = true;
    app_dirty(app);
}

/* Ends a PROMPT_INPUT question: the callback, then its data is freed. */
static void finish_input(app_t *app, const char *text)
{
    prompt_input_cb done = app->prompt_done;
    void *ud = app->prompt_ud;
    void (*free_ud)(void *) = app->prompt_free_ud;
    app->prompt_done = NULL;
    app->prompt_ud = NULL;
    app->prompt_free_ud = NULL;
    if (done)
        done(app, text, ud);
    if (free_ud)
        free_ud(ud);
}

static void apply_filter(app_t *app, const char *text)
{
    view_t *v = app_top_view(app);
    if (!v || !v->ops->filter)
        return;
    snprintf(v->filter, sizeof v->filter, "%s", text);
    v->ops->filter(v, text);
}

/* Words the command line knows, for completion; "ns " and "ctx " complete names. */
static const char *const commands[] = {
    "quit", "help", "ns", "namespace", "ctx", "context", "all", "theme", "sort", "wide",
    "save-display", "save-colors", "describe", "rollout", "apply",
};

static void add_candidate(char *list, size_t len, const char *word, const char *prefix,
                          char *common, size_t clen, int *count)
{
    size_t pl = strlen(prefix);
    if (strncmp(word, prefix, pl))
        return;
    if (*count == 0) {
        snprintf(common, clen, "%s", word);
    } else {
        size_t i = 0;
        while (common[i] && common[i] == word[i])
            i++;
        common[i] = '\0';
    }
    (*count)++;
    size_t used = strlen(list);
    if (used + strlen(word) + 2 < len)
        snprintf(list + used, len - used, "%s%s", used ? " " : "", word);
}

static void complete(app_t *app)
{
    char *buf = app->prompt_buf;
    char *space = strrchr(buf, ' ');
    const char *prefix = space ? space + 1 : buf;
    char list[512] = "", common[256] = "";
    int count = 0;
    if (!space) {
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            add_candidate(list, sizeof list, commands[i], prefix, common, sizeof common, &count);
        for (int k = 0; k < KIND__COUNT; k++) {
            const kind_info_t *ki = kind_get((kind_id_t)k);
            for (const char *const *a = ki->aliases; a && *a; a++)
                add_candidate(list, sizeof list, *a, prefix, common, sizeof common, &count);
        }
    } else if (!strncmp(buf, "ns ", 3) || !strncmp(buf, "namespace ", 10)) {
        informer_t *inf = app_informer(app, KIND_NAMESPACE, NULL);
        const kobj_t *objs[512];
        size_t n = inf ? informer_snapshot(inf, objs, 512) : 0;
        if (inf && !informer_status(inf)->synced) {
            snprintf(app->completions, sizeof app->completions, "(loading namespaces...)");
            return;
        }
        for (size_t i = 0; i < n; i++)
            add_candidate(list, sizeof list, objs[i]->name, prefix, common, sizeof common, &count);
    } else if (!strncmp(buf, "ctx ", 4) || !strncmp(buf, "context ", 8)) {
        const kubeconfig_t *kc = app_kubeconfig(app);
        for (size_t i = 0; kc && i < kubeconfig_context_count(kc); i++)
            add_candidate(list, sizeof list, kubeconfig_context_at(kc, i)->name, prefix, common,
                          sizeof common, &count);
    }
    if (count == 0) {
        snprintf(app->completions, sizeof app->completions, "(no completion)");
        return;
    }
    size_t base = (size_t)(prefix - buf);
    snprintf(buf + base, sizeof app->prompt_buf - base, "%s%s", common, count == 1 ? " " : "");
    app->prompt_len = strlen(buf);
    snprintf(app->completions, sizeof app->completions, "%s", count > 1 ? list : "");
}

static void close_prompt(app_t *app)
{
    app->prompt = PROMPT_NONE;
    app->completions[0] = '\0';
    app->urgent = true;
    app_dirty(app);
}

bool app_prompt_key(app_t *app, int key)
{
    if (app->prompt == PROMPT_NONE)
        return false;
    prompt_mode_t mode = app->prompt;
    app->urgent = true;
    app_dirty(app);
    switch (key) {
    case KEY_ESCAPE:
        if (mode == PROMPT_FILTER)
            apply_filter(app, "");
        close_prompt(app);
        if (mode == PROMPT_INPUT)
            finish_input(app, NULL);
        return true;
    case '\n':
    case '\r':
    case KEY_ENTER: {
        char line[256];
        snprintf(line, sizeof line, "%s", app->prompt_buf);
        close_prompt(app);
        if (mode == PROMPT_COMMAND)
            app_command(app, line);
        else if (mode == PROMPT_INPUT)
            finish_input(app, line);
        else
            apply_filter(app, line);
        return true;
    }
    case KEY_BACKSPACE:
    case 127:
    case 8:
        if (app->prompt_len == 0) {
            if (mode == PROMPT_INPUT) /* an empty answer stays open: Esc cancels */
                return true;
            if (mode == PROMPT_FILTER)
                apply_filter(app, "");
            close_prompt(app);
            return true;
        }
        /* Remove one UTF-8 character, not one byte. */
        do
            app->prompt_len--;
        while (app->prompt_len && ((unsigned char)app->prompt_buf[app->prompt_len] & 0xC0) == 0x80);
        app->prompt_buf[app->prompt_len] = '\0';
        break;
    case 21: /* Ctrl-U */
        app->prompt_len = 0;
        app->prompt_buf[0] = '\0';
        break;
    case '\t':
        if (mode == PROMPT_COMMAND)
            complete(app);
        return true;
    default:
        if (key >= 32 && key < 256 && key != 127 && app->prompt_len + 1 < sizeof app->prompt_buf) {
            app->prompt_buf[app->prompt_len++] = (char)key;
            app->prompt_buf[app->prompt_len] = '\0';
        } else {
            return true;
        }
    }
    app->completions[0] = '\0';
    if (mode == PROMPT_FILTER)
        apply_filter(app, app->prompt_buf);
    return true;
}
