# Integration tests of tern::matching against PostgreSQL (included from CMakeLists.txt here).
tern_test(NAME matching_backlog_test SRCS matching_backlog_test.cc
  DEPS tern::matching tern::postgres_fixture tern::persistence_postgres LABELS integration)
set_tests_properties(matching_backlog_test PROPERTIES TIMEOUT 300)
