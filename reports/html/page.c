/* The page from its template (see page.h). */
#include "page.h"

#include <string.h>

#include "assets.h"
#include "escape.h"

static int write_marker(FILE *out, const char *name, size_t len, const rp_block *blocks,
                        size_t count) {
    if (len == 3 && !memcmp(name, "CSS", 3))
        return fwrite(fl_report_asset_css, 1, fl_report_asset_css_bytes, out) ==
               fl_report_asset_css_bytes ? 0 : -1;
    if (len == 2 && !memcmp(name, "JS", 2))
        return fwrite(fl_report_asset_js, 1, fl_report_asset_js_bytes, out) ==
               fl_report_asset_js_bytes ? 0 : -1;
    if (len == 11 && !memcmp(name, "SCRIPT_HASH", 11))
        return fputs(fl_report_asset_js_sha256, out) >= 0 ? 0 : -1;
    if (len == 4 && !memcmp(name, "DATA", 4)) {
        for (size_t i = 0; i < count; i++)
            if (fl_json_write_script_element(out, blocks[i].id, blocks[i].value) != 0) return -1;
        return 0;
    }
    return fprintf(out, "@@%.*s@@", (int)len, name) < 0 ? -1 : 0; /* not ours: as it is */
}

int rp_page_write(FILE *out, const rp_block *blocks, size_t count) {
    const char *t = fl_report_asset_html, *end = t + fl_report_asset_html_bytes;
    while (t < end) {
        const char *open = strstr(t, "@@");
        const char *close = open ? strstr(open + 2, "@@") : NULL;
        if (!open || !close) {
            fwrite(t, 1, (size_t)(end - t), out);
            break;
        }
        fwrite(t, 1, (size_t)(open - t), out);
        if (write_marker(out, open + 2, (size_t)(close - open - 2), blocks, count) != 0) return -1;
        t = close + 2;
    }
    return ferror(out) ? -1 : 0;
}
