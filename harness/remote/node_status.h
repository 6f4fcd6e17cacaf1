/* `faultline cluster status`: each node reachable or not, by logging in over SSH. */
#ifndef FL_NODE_STATUS_H
#define FL_NODE_STATUS_H

int fl_node_status(const char *nodes_file);

#endif
