/* Rebuilding `faultline test …` from a run's test.json (see command.h). */
#include "command.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_BYTES 8192

void rp_shell_quote(const char *s, char *out, size_t bytes) {
    size_t o = strlen(out);
    bool plain = *s != '\0' && *s != '='; /* zsh expands a leading = (=cmd) */
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p))
            plain = false;
    if (o + 1 < bytes && o > 0) out[o++] = ' ';
    if (!plain && o + 1 < bytes) out[o++] = '\'';
    for (const char *p = s; *p && o + 5 < bytes; p++) {
        if (*p == '\'' && !plain) {
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else {
            out[o++] = *p;
        }
    }
    if (!plain && o + 1 < bytes) out[o++] = '\'';
    out[o < bytes ? o : bytes - 1] = '\0';
}

static void add_word(char *out, const char *word) { rp_shell_quote(word, out, COMMAND_BYTES); }

/* --name VALUE for a setting of config, when set (strings as they are, numbers as
 * the shortest text that reads back the same). */
static void add_setting(char *out, const json_t *config, const char *name) {
    const json_t *v = json_object_get(config, name);
    char flag[64], text[64];
    if (!v || json_is_null(v)) return;
    snprintf(flag, sizeof flag, "--%s", name);
    if (json_is_string(v)) {
        add_word(out, flag);
        add_word(out, json_string_value(v));
        return;
    }
    if (json_is_integer(v)) {
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
            snprintf(text, sizeof text, "%lld", (long long)d); /* 60 for 60.0 */
        } else {
            for (int digits = 1; digits <= 17; digits++) { /* 0.5 for 0.5, not 0.5000… */
                snprintf(text, sizeof text, "%.*g", digits, d);
                if (strtod(text, NULL) == d) break;
            }
        }
    } else {
        return;
    }
    add_word(out, flag);
    add_word(out, text);
}

static char *from_argv(const json_t *argv, const json_t *seed) {
    char *out = calloc(1, COMMAND_BYTES);
    if (!out) return NULL;
    bool has_seed = false;
    size_t i;
    json_t *word;
    json_array_foreach(argv, i, word) {
        if (!json_is_string(word)) continue;
        const char *w = json_string_value(word);
        if (!strcmp(w, "--seed") || !strncmp(w, "--seed=", 7)) has_seed = true;
        add_word(out, w);
    }
    if (!has_seed && json_is_string(seed)) {
        add_word(out, "--seed");
        add_word(out, json_string_value(seed));
    }
    return out;
}

char *rp_reproduce_command(const json_t *test) {
    const json_t *config = json_object_get(test, "config");
    const json_t *argv = json_object_get(test, "argv");
    const json_t *seed = json_object_get(config, "seed");
    if (!seed) seed = json_object_get(test, "seed");
    if (json_is_array(argv) && json_array_size(argv) > 0) return from_argv(argv, seed);
    if (!json_is_object(config)) return NULL;
    char *out = calloc(1, COMMAND_BYTES);
    if (!out) return NULL;
    add_word(out, "faultline");
    add_word(out, "test");
    add_setting(out, config, "target");
    add_setting(out, config, "bug");
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(config, "target-opt"), name, v) {
        char opt[1024];
        /* "" is an option left unset (the target decides from other settings): no flag
         * gives that back, and none is needed. */
        if (!json_is_string(v) || !json_string_value(v)[0]) continue;
        snprintf(opt, sizeof opt, "%s=%s", name, json_string_value(v));
        add_word(out, "--target-opt");
        add_word(out, opt);
    }
    static const char *const settings[] = {
        "workload", "nemesis", "nemesis-interval", "nemesis-delay", "at-once", "nodes-file", "concurrency",
        "rate", "time-limit", "ops-per-key", "threads-per-key", "op-timeout",
        "recovery-time", "check-time-limit", "seed", NULL};
    for (size_t i = 0; settings[i]; i++) add_setting(out, config, settings[i]);
    /* No faults stays no faults where the target's defaults would bring some. */
    if (json_is_null(json_object_get(config, "nemesis"))) {
        add_word(out, "--nemesis");
        add_word(out, "none");
    }
    return out;
}
