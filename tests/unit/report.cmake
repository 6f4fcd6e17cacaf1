# The HTML report (reports/html): escaping and sanitising (cmocka), and two browser
# tests in headless Chromium (tests/report/): the fixture run's page (ops, fault bands,
# the anomaly's ops, no script errors) and a history full of script injections. The
# browser tests exit 77 (skipped) only when no Chromium is installed.
fl_unit_test(test_report_escape)
target_link_libraries(test_report_escape PRIVATE fl_report_html)

add_test(NAME test_report_browser
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/report/test_report_browser.sh
                 $<TARGET_FILE:faultline>)
add_test(NAME test_report_xss
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/report/test_report_xss.sh
                 $<TARGET_FILE:faultline>)
set_tests_properties(test_report_browser test_report_xss PROPERTIES
                     LABELS report SKIP_RETURN_CODE 77 TIMEOUT 300)
