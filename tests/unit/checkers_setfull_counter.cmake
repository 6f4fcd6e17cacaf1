# Unit tests of the set-full and counter checkers (checkers/set/set_full.h,
# checkers/counter/counter.h): hand-written histories and simulated stores.
fl_unit_test(test_set_full_checker)
fl_unit_test(test_counter_checker)
