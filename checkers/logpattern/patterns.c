/* The log-pattern checker's pattern set (see patterns.h). Patterns are compiled
 * without PCRE2_UTF: logs are bytes, and in UTF mode an invalid sequence makes a match
 * fail with an error instead of just not matching. JIT is used when available. */
#include "patterns.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_names[] = {
    "panic", "assertion", "asan", "ubsan", "tsan", "segfault",
};
static const char *const default_regexes[] = {
    "\\bpanic(ked)?\\b",
    "Assertion .* failed|assertion failed",
    "ERROR: AddressSanitizer|ERROR: LeakSanitizer",
    "runtime error:",
    "WARNING: ThreadSanitizer",
    "Segmentation fault|SIGSEGV",
};
#define DEFAULT_COUNT (sizeof default_names / sizeof *default_names)
_Static_assert(sizeof default_regexes / sizeof *default_regexes == DEFAULT_COUNT,
               "every default pattern has a name and a regex");

const char *fl_log_pattern_default(size_t i, const char **regex) {
    if (i >= DEFAULT_COUNT) return NULL;
    *regex = default_regexes[i];
    return default_names[i];
}

static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* Compile regex into *code; -1 with err naming the pattern, the offset and pcre2's
 * message. */
static int compile(const char *name, const char *regex, pcre2_code **code, char *err,
                   size_t err_bytes) {
    int error_code;
    PCRE2_SIZE offset;
    *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, 0, &error_code, &offset,
                          NULL);
    if (!*code) {
        PCRE2_UCHAR message[256];
        if (pcre2_get_error_message(error_code, message, sizeof message) < 0)
            snprintf((char *)message, sizeof message, "pcre2 error %d", error_code);
        snprintf(err, err_bytes, "pattern %s: bad regex /%s/ at offset %zu: %s", name, regex,
                 (size_t)offset, (const char *)message);
        return -1;
    }
    (void)pcre2_jit_compile(*code, PCRE2_JIT_COMPLETE); /* interpreted when JIT is absent */
    return 0;
}

/* The index of the pattern named name (len bytes) among the first count, or -1. */
static long find(const lp_patterns *s, size_t count, const char *name, size_t len) {
    for (size_t i = 0; i < count; i++)
        if (strlen(s->list[i].name) == len && memcmp(s->list[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

/* Set slot i to name = regex (replacing what was there). */
static int set_pattern(lp_patterns *s, size_t i, const char *name, size_t name_len,
                       const char *regex, char *err, size_t err_bytes) {
    char *copy = strndup(name, name_len);
    if (!copy) return snprintf(err, err_bytes, "out of memory"), -1;
    pcre2_code *code;
    if (compile(copy, regex, &code, err, err_bytes) != 0) {
        free(copy);
        return -1;
    }
    free(s->list[i].name);
    pcre2_code_free(s->list[i].code);
    s->list[i] = (lp_pattern){.name = copy, .code = code};
    return 0;
}

/* Add one user "NAME=REGEX", or replace the default of that name. */
static int add_user(lp_patterns *s, const char *spec, char *err, size_t err_bytes) {
    const char *eq = strchr(spec, '=');
    size_t len = eq ? (size_t)(eq - spec) : 0;
    bool good_name = eq && len > 0 && len <= FL_LOG_PATTERN_NAME_MAX;
    for (size_t k = 0; good_name && k < len; k++) good_name = name_char(spec[k]);
    if (!good_name) {
        snprintf(err, err_bytes,
                 "pattern \"%.100s\": want NAME=REGEX, NAME of 1 to %d letters, digits, "
                 "'_', '-' or '.'", spec, FL_LOG_PATTERN_NAME_MAX);
        return -1;
    }
    if (eq[1] == '\0') {
        snprintf(err, err_bytes, "pattern %.*s: empty regex (it would match every line)",
                 (int)len, spec);
        return -1;
    }
    long at = find(s, s->count, spec, len);
    if (at >= 0 && s->list[at].user) {
        snprintf(err, err_bytes, "pattern %.*s given twice", (int)len, spec);
        return -1;
    }
    size_t slot = at >= 0 ? (size_t)at : s->count++;
    if (set_pattern(s, slot, spec, len, eq + 1, err, err_bytes) != 0) return -1;
    s->list[slot].user = true;
    return 0;
}

int lp_patterns_build(lp_patterns *s, const fl_log_pattern_options *o, char *err,
                      size_t err_bytes) {
    memset(s, 0, sizeof *s);
    size_t user = o ? o->pattern_count : 0;
    bool defaults = !o || !o->replace_defaults;
    if (!defaults && user == 0) {
        snprintf(err, err_bytes, "no log patterns: the defaults are replaced and none given");
        return -1;
    }
    s->list = calloc(DEFAULT_COUNT + user, sizeof *s->list);
    s->match_data = pcre2_match_data_create(1, NULL);
    if (!s->list || !s->match_data) {
        snprintf(err, err_bytes, "out of memory");
        goto fail;
    }
    for (size_t i = 0; defaults && i < DEFAULT_COUNT; i++, s->count++)
        if (set_pattern(s, i, default_names[i], strlen(default_names[i]), default_regexes[i],
                        err, err_bytes) != 0)
            goto fail;
    for (size_t i = 0; i < user; i++)
        if (add_user(s, o->patterns[i], err, err_bytes) != 0) goto fail;
    return 0;
fail:
    lp_patterns_free(s);
    return -1;
}

void lp_patterns_free(lp_patterns *s) {
    for (size_t i = 0; i < s->count; i++) {
        free(s->list[i].name);
        pcre2_code_free(s->list[i].code);
    }
    free(s->list);
    pcre2_match_data_free(s->match_data);
    memset(s, 0, sizeof *s);
}

int lp_pattern_match(lp_patterns *s, size_t i, const char *line, size_t len) {
    int rc = pcre2_match(s->list[i].code, (PCRE2_SPTR)line, len, 0, 0, s->match_data, NULL);
    if (rc >= 0) return 1; /* 0: matched, ovector too small for the groups: still a match */
    return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}
