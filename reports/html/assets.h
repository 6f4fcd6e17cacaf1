/* The page's template, style sheet and script (reports/html/assets/), compiled in by
 * embed_assets.cmake; the script's SHA-256 lets the page's Content-Security-Policy run
 * that script and nothing else. */
#ifndef FL_REPORT_ASSETS_H
#define FL_REPORT_ASSETS_H

#include <stddef.h>

extern const char fl_report_asset_html[];
extern const size_t fl_report_asset_html_bytes;
extern const char fl_report_asset_css[];
extern const size_t fl_report_asset_css_bytes;
extern const char fl_report_asset_js[];
extern const size_t fl_report_asset_js_bytes;
extern const char fl_report_asset_js_sha256[]; /* base64, as CSP writes hashes */

#endif
