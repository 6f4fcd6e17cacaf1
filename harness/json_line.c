/* A small scanner over a JSON text that already parsed (see json_line.h): it only
 * tracks strings, nesting and lines, which is all a position needs. */
#include "json_line.h"

#include <stdbool.h>
#include <string.h>

/* Past the string starting at s (on its opening quote); JSON strings hold no raw newline. */
static const char *skip_string(const char *s) {
    for (s++; *s && *s != '"'; s++)
        if (*s == '\\' && s[1]) s++;
    return *s ? s + 1 : s;
}

static const char *skip_space(const char *s, int *line) {
    for (; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
        if (*s == '\n') (*line)++;
    return s;
}

int fl_json_line_of(const char *text, const char *key, long index) {
    int line = 1, depth = 0;
    size_t klen = strlen(key);
    for (const char *s = text; *s;) {
        if (*s == '\n') line++;
        if (*s == '"') {
            const char *end = skip_string(s);
            bool is_key = depth == 1 && (size_t)(end - s) == klen + 2 && !strncmp(s + 1, key, klen);
            s = end;
            if (!is_key) continue;
            s = skip_space(s, &line);
            if (*s != ':') continue;
            s = skip_space(s + 1, &line);
            if (index < 0) return line;
            if (*s != '[') return 0;
            /* the index-th element: after '[' or a ',' at the array's own depth */
            long at = 0;
            int inner = 0;
            s = skip_space(s + 1, &line);
            if (at == index && *s != ']') return line;
            while (*s) {
                if (*s == '"') { s = skip_string(s); continue; }
                if (*s == '\n') line++;
                if (*s == '[' || *s == '{') inner++;
                else if (*s == ']' || *s == '}') { if (inner-- == 0) return 0; }
                else if (*s == ',' && inner == 0 && ++at == index) {
                    s = skip_space(s + 1, &line);
                    return line;
                }
                s++;
            }
            return 0;
        }
        if (*s == '{' || *s == '[') depth++;
        else if (*s == '}' || *s == ']') depth--;
        s++;
    }
    return 0;
}
