# Unit tests of tern::visibility, included from tests/unit/CMakeLists.txt.
tern_test(NAME visibility_query_test SRCS visibility_query_test.cc DEPS tern::visibility
  LABELS unit)
tern_test(NAME visibility_postgres_test SRCS visibility_postgres_test.cc DEPS tern::visibility
  LABELS unit)
