/* The subcommands of `faultline`; each takes its own argv (argv[0] is its name). */
#ifndef FL_COMMANDS_H
#define FL_COMMANDS_H

int fl_cmd_check(int argc, char **argv);
int fl_cmd_convert(int argc, char **argv);
int fl_cmd_cluster(int argc, char **argv);
int fl_cmd_exec(int argc, char **argv);
int fl_cmd_nemesis(int argc, char **argv);
int fl_cmd_test(int argc, char **argv);
int fl_cmd_suite(int argc, char **argv);
int fl_cmd_targets(int argc, char **argv);
int fl_cmd_report(int argc, char **argv);
int fl_cmd_serve(int argc, char **argv);
int fl_cmd_zoo(int argc, char **argv);

#endif
