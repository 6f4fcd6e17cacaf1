# The store's reports (reports/store): JUnit XML, store/index.html, `faultline serve`.
# Included from tests/CMakeLists.txt. xmllint (libxml2-utils) validates the JUnit files
# against tests/junit/junit.xsd; without it those cases are skipped, with a warning here.
find_program(FL_XMLLINT xmllint)
if(NOT FL_XMLLINT)
  message(WARNING "xmllint not found (apt install libxml2-utils): test_junit skips its schema checks")
  set(FL_XMLLINT "")
endif()

fl_unit_test(test_junit)
target_link_libraries(test_junit PRIVATE fl_report_store)
target_compile_definitions(test_junit PRIVATE FL_XMLLINT="${FL_XMLLINT}"
                           FL_JUNIT_XSD="${CMAKE_CURRENT_SOURCE_DIR}/junit/junit.xsd")
set_tests_properties(test_junit PROPERTIES LABELS "unit;report")

fl_unit_test(test_store_paths)
target_link_libraries(test_store_paths PRIVATE fl_report_store)
set_tests_properties(test_store_paths PROPERTIES LABELS "unit;report")

# `faultline serve` over HTTP on a temporary store (curl; 77 = skipped without it).
add_test(NAME test_serve
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/report/test_serve.sh $<TARGET_FILE:faultline>)
set_tests_properties(test_serve PROPERTIES LABELS report TIMEOUT 120 SKIP_RETURN_CODE 77)
