# `bench_session [ops] [keys]`: the session checker on a generated list-append history
# (10^6 ops by default); prints seconds and peak RSS. Run by hand, never as a test.
add_executable(bench_session bench_session.c)
target_link_libraries(bench_session PRIVATE fl_checkers fl_testsupport fl_history)
