# The session checker's tests: hand-written histories with exact expected details, and
# a property test over a simulated replicated store (honest and breaking modes).
fl_unit_test(test_session_checker)
fl_unit_test(test_session_property)
