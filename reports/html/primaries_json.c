/* The page's primaries timeline from the scanned history's events (see primaries_json.h). */
#include "primaries_json.h"

#include <stdlib.h>

#include "primaries.h"

json_t *rp_primaries_json(const rp_history *h) {
    size_t n = 0;
    for (size_t i = 0; i < h->event_count; i++)
        n += fl_is_primaries_event(FL_PROCESS_NEMESIS, FL_INFO, h->events[i].f);
    if (n == 0) return json_null();
    fl_primaries_event *ev = malloc(n * sizeof *ev);
    if (!ev) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < h->event_count; i++) /* the scan keeps nemesis info events only */
        if (fl_is_primaries_event(FL_PROCESS_NEMESIS, FL_INFO, h->events[i].f))
            ev[k++] = (fl_primaries_event){h->events[i].time_ns, h->events[i].value};
    json_t *out = fl_primaries_timeline(ev, n, h->end_ns);
    free(ev);
    return out ? out : json_null();
}
