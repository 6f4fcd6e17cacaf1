/* libFuzzer target: any bytes as an agent request line. The parser must never crash,
 * and whatever it says must become one reply line that is valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fl_agent_request r;
    char err[FL_AGENT_ERR_BYTES];
    int rc = fl_agent_parse((const char *)data, size, &r, err, sizeof err);
    char *reply = rc == 0 ? fl_agent_reply_ok(r.id, NULL, 0) : fl_agent_reply_error(r.id, err, 0);
    if (!reply) abort();
    size_t n = strlen(reply);
    json_t *j = json_loadb(reply, n, 0, NULL);
    if (!j || reply[n - 1] != '\n' || memchr(reply, '\n', n - 1)) abort();
    json_decref(j);
    free(reply);
    return 0;
}
