/* POSIX shell quoting (see shell_quote.h): one word per argument, whatever it holds. */
#include "shell_quote.h"

#include <stdlib.h>
#include <string.h>

char *fl_shell_quote(const char *arg) {
    size_t n = 0, quotes = 0;
    if (!arg)
        arg = "";
    for (const char *p = arg; *p; p++, n++)
        quotes += *p == '\'';
    /* Inside single quotes nothing is special but ' itself, which becomes '\'' : close the
     * quote, an escaped quote, open again. */
    char *q = malloc(n + 3 * quotes + 3), *w = q;
    if (!q)
        return NULL;
    *w++ = '\'';
    for (const char *p = arg; *p; p++) {
        if (*p == '\'') {
            memcpy(w, "'\\''", 4);
            w += 4;
        } else {
            *w++ = *p;
        }
    }
    *w++ = '\'';
    *w = '\0';
    return q;
}

char *fl_shell_join(const char *const *argv, size_t argc) {
    size_t len = 1, used = 0;
    char **quoted = calloc(argc ? argc : 1, sizeof *quoted), *line = NULL;
    if (!quoted)
        return NULL;
    for (size_t i = 0; i < argc; i++) {
        if (!(quoted[i] = fl_shell_quote(argv[i])))
            goto err;
        len += strlen(quoted[i]) + 1;
    }
    if (!(line = malloc(len)))
        goto err;
    line[0] = '\0';
    for (size_t i = 0; i < argc; i++) {
        size_t k = strlen(quoted[i]);
        if (i)
            line[used++] = ' ';
        memcpy(line + used, quoted[i], k + 1);
        used += k;
    }
err:
    for (size_t i = 0; i < argc; i++)
        free(quoted[i]);
    free(quoted);
    return line;
}
