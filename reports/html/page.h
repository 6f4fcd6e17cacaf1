/* Writing the page: the template with its markers replaced by the style sheet, the
 * script, the script's hash and the data elements. */
#ifndef FL_REPORT_PAGE_H
#define FL_REPORT_PAGE_H

#include <stdio.h>

#include <jansson.h>

/* One data element: <script type="application/json" id="ID"> holding value. */
typedef struct rp_block {
    const char *id;
    const json_t *value;
} rp_block;

/* Markers in assets/report.html: @@CSS@@, @@JS@@, @@SCRIPT_HASH@@ and @@DATA@@. 0, or
 * -1 on a write error. */
int rp_page_write(FILE *out, const rp_block *blocks, size_t count);

#endif
