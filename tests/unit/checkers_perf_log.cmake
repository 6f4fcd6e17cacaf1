# Unit tests of the stats / perf checker (checkers/perf) and the log-pattern checker
# (checkers/logpattern); included by tests/CMakeLists.txt.
fl_unit_test(test_perf_checker)
fl_unit_test(test_log_pattern)
