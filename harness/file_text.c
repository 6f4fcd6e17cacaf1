/* Reading a whole file (see file_text.h). */
#include "file_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *fl_file_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t cap = 0, used = 0, n;
    int saved = 0;
    do {
        if (cap - used < 8192) {
            char *grown = realloc(text, cap = cap * 2 + 8192);
            if (!grown) {
                saved = ENOMEM;
                break;
            }
            text = grown;
        }
        n = fread(text + used, 1, cap - used - 1, f);
        used += n;
    } while (n > 0);
    if (!saved && ferror(f)) saved = EIO;
    fclose(f);
    if (saved) {
        free(text);
        errno = saved;
        return NULL;
    }
    text[used] = '\0';
    if (len) *len = used;
    return text;
}
