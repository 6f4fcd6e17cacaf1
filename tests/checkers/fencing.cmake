# The fencing checker's tests (checkers/fencing/fencing.h): hand-written lock histories
# with exact explanations, and `faultline check --checker fencing` on the two example
# histories beside them (exit 0 on valid.jsonl, 1 on stale.jsonl).
add_executable(test_fencing_checker checkers/test_fencing_checker.c)
target_link_libraries(test_fencing_checker PRIVATE fl_check_fencing fl_checker_registry
                      fl_checkers fl_historytesting fl_testsupport fl_history PkgConfig::CMOCKA)
add_test(NAME test_fencing_checker COMMAND test_fencing_checker)
set_tests_properties(test_fencing_checker PROPERTIES LABELS unit TIMEOUT 300)
add_test(NAME test_fencing_cli
         COMMAND bash -c "\"$0\" check --checker fencing \"$1\"; a=$?; \"$0\" check --checker fencing \"$2\"; b=$?; echo \"exit codes: valid $a, stale $b\"; [ $a -eq 0 ] && [ $b -eq 1 ]"
                 $<TARGET_FILE:faultline> ${CMAKE_CURRENT_SOURCE_DIR}/checkers/fencing/valid.jsonl
                 ${CMAKE_CURRENT_SOURCE_DIR}/checkers/fencing/stale.jsonl)
set_tests_properties(test_fencing_cli PROPERTIES LABELS cli TIMEOUT 60)
