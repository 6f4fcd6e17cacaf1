/* `faultline cluster status`: log in to every node and time a command (see .h). */
#include "node_status.h"

#include <stdio.h>

#include "control.h"
#include "exit_codes.h"

int fl_node_status(const char *nodes_file) {
    fl_nodes nodes;
    char err[FL_NODES_ERR_BYTES];
    int rc = fl_nodes_read(nodes_file, &nodes, err);
    if (rc != 0) return fprintf(stderr, "faultline cluster status: %s\n", err), rc;
    fl_control ctl;
    fl_node_result results[FL_NODES_MAX];
    int status = FL_EXIT_VALID;
    if (fl_control_open(&ctl, &nodes, false, FL_CONNECT_TIMEOUT_MS, err, sizeof err) < 0) {
        fprintf(stderr, "faultline cluster status: %s\n", err);
        status = FL_EXIT_HARNESS;
    } else {
        fl_control_exec_all(&ctl, "true", 5000, results);
        for (size_t i = 0; i < nodes.count; i++) {
            const fl_node *n = &nodes.nodes[i];
            fl_node_result *r = &results[i];
            if (r->rc == 0 && r->r.exit_status == 0) {
                printf("%-4s %s:%d  reachable  login %.1f ms, command round trip %.1f ms\n",
                       n->name, n->host, n->port, ctl.connect_ms[i], r->ms);
            } else {
                printf("%-4s %s:%d  UNREACHABLE  %s\n", n->name, n->host, n->port,
                       r->rc ? r->error : "`true` failed");
                status = FL_EXIT_HARNESS;
            }
            if (r->rc == 0) fl_exec_result_free(&r->r);
        }
    }
    fl_control_close(&ctl);
    fl_nodes_free(&nodes);
    return status;
}
