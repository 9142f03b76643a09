# Unit tests of tern::matching (included from tests/unit/CMakeLists.txt).
tern_test(NAME matching_engine_test SRCS matching_engine_test.cc DEPS tern::matching LABELS unit)
tern_test(NAME matching_service_test SRCS matching_service_test.cc DEPS tern::matching LABELS unit)
tern_test(NAME matching_query_test SRCS matching_query_test.cc DEPS tern::matching LABELS unit)
tern_test(NAME matching_backlog_unit_test SRCS matching_backlog_unit_test.cc DEPS tern::matching
  LABELS unit)
tern_test(NAME matching_query_dispatcher_test SRCS matching_query_dispatcher_test.cc
  DEPS tern::matching LABELS unit)
tern_test(NAME matching_rate_window_test SRCS matching_rate_window_test.cc DEPS tern::matching
  LABELS unit)
