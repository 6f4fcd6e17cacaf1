/* The target interface's callbacks for a target file (target_file.h): the generic daemon
 * of targets/support driven by the file's command lines, and its client program
 * (client_process.h). */
#ifndef FL_FILE_ADAPTER_H
#define FL_FILE_ADAPTER_H

#include "target_file.h"

/* Fill tf->target from tf (name, ops, bugs, defaults, pidfile, callbacks). */
void fl_file_adapter_fill(fl_target_file *tf);

#endif
