/* What `faultline serve` sends for files and directories: content types and directory
 * listings (see serve.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "serve.h"
#include "store_paths.h"
#include "xml_text.h"

#define LISTING_ENTRIES_MAX 10000 /* a node folder holds a few logs; this is plenty */

const char *fl_serve_content_type(const char *name) {
    static const struct { const char *ext, *type; } types[] = {
        {"html", "text/html; charset=utf-8"},   {"htm", "text/html; charset=utf-8"},
        {"json", "application/json"},           {"jsonl", "text/plain; charset=utf-8"},
        {"xml", "application/xml"},             {"log", "text/plain; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},   {"edn", "text/plain; charset=utf-8"},
        {"png", "image/png"},
    };
    const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot + 1, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

typedef struct entry {
    char *name;
    bool is_dir, is_link;
    long long size;
} entry;

static int directories_first(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->is_dir != y->is_dir) return x->is_dir ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The visible entries of dir, sorted; *count of them. NULL if dir cannot be read. */
static entry *read_entries(const char *dir, size_t *count, size_t *left_out) {
    DIR *d = opendir(dir);
    if (!d) return NULL;
    entry *list = calloc(LISTING_ENTRIES_MAX, sizeof *list);
    struct dirent *e;
    *count = *left_out = 0;
    while (list && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* what the path check would refuse anyway */
        if (*count == LISTING_ENTRIES_MAX) {
            (*left_out)++;
            continue;
        }
        struct stat st, lst;
        bool ok = fstatat(dirfd(d), e->d_name, &st, 0) == 0;
        bool link = fstatat(dirfd(d), e->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode);
        entry *x = &list[*count];
        x->name = strdup(e->d_name);
        if (!x->name) continue;
        x->is_dir = ok && S_ISDIR(st.st_mode);
        x->is_link = link;
        x->size = ok ? (long long)st.st_size : -1;
        (*count)++;
    }
    closedir(d);
    if (list) qsort(list, *count, sizeof *list, directories_first);
    return list;
}

static void print_entry(FILE *out, const entry *x) {
    char href[3 * 256 + 8];
    fl_url_encode(x->name, false, href, sizeof href - 1);
    if (x->is_dir) strcat(href, "/");
    fprintf(out, "<tr><td><a href=\"./%s\">", href);
    fl_xml_puts(out, x->name, false);
    fputs(x->is_dir ? "/" : "", out);
    fputs("</a>", out);
    if (x->is_link) fputs(" <span class=\"muted\">(link)</span>", out);
    fputs("</td><td>", out);
    if (!x->is_dir && x->size >= 0) fprintf(out, "%lld", x->size);
    fputs("</td></tr>\n", out);
}

char *fl_serve_listing(const char *dir, const char *request_path, size_t *size) {
    size_t count, left_out;
    entry *list = read_entries(dir, &count, &left_out);
    if (!list) return NULL;
    char *page = NULL, shown[4096];
    long n = fl_percent_decode(request_path, strlen(request_path), shown, sizeof shown);
    FILE *out = open_memstream(&page, size);
    if (out) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", out);
        fl_xml_escape(out, n >= 0 ? shown : request_path, n >= 0 ? (size_t)n : strlen(request_path), false);
        fputs("</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em}"
              "td{padding:.1em 1em .1em 0}.muted{color:#57606a}</style></head><body>\n<h1>", out);
        fl_xml_escape(out, n >= 0 ? shown : request_path, n >= 0 ? (size_t)n : strlen(request_path), false);
        fputs("</h1>\n<table>\n<tr><td><a href=\"../\">../</a></td><td></td></tr>\n", out);
        for (size_t i = 0; i < count; i++) print_entry(out, &list[i]);
        fputs("</table>\n", out);
        if (left_out) fprintf(out, "<p class=\"muted\">%zu more entries not listed</p>\n", left_out);
        fputs("<p class=\"muted\"><a href=\"/\">all runs</a></p>\n</body></html>\n", out);
        if (fclose(out) != 0) {
            free(page);
            page = NULL;
        }
    }
    for (size_t i = 0; i < count; i++) free(list[i].name);
    free(list);
    return page;
}
