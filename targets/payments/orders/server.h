/* fl-orders' server: a thread per client connection (a saga step blocks on payments for
 * seconds, so each client gets its own thread and its own connection to payments), a
 * resumer thread that runs pending steps every --resume-ms, and the accept loop on the
 * main thread until SIGTERM/SIGINT. JSON lines, one request at a time per connection:
 *   order      key O, value {"account":A,"amount":M}
 *   cancel     key O
 *   read-order key O
 *   settle     value {"wait_ms":W}: waits (≤ W, ≤ 60 s) until no step is pending; ok
 *              {"pending":n} — the harness's final ledger read waits for it
 *   ping, status */
#ifndef OR_SERVER_H
#define OR_SERVER_H

#include "options.h"

/* Serves until a signal: 0, or 1 when it cannot start (err logged). */
int or_serve(const or_options *o);

#endif
