# Unit tests of tern::visibility (parser, PostgreSQL and Elasticsearch translations), included
# from tests/unit/CMakeLists.txt.
tern_test(NAME visibility_query_test SRCS visibility_query_test.cc DEPS tern::visibility
  LABELS unit)
tern_test(NAME visibility_postgres_test SRCS visibility_postgres_test.cc DEPS tern::visibility
  LABELS unit)
tern_test(NAME visibility_payloads_test SRCS visibility_payloads_test.cc DEPS tern::visibility
  LABELS unit)
tern_test(NAME visibility_elasticsearch_test SRCS visibility_elasticsearch_test.cc
  DEPS tern::visibility LABELS unit)
# The Elasticsearch test reads schema/elasticsearch/visibility/index_template_v1.json.
target_compile_definitions(visibility_elasticsearch_test PRIVATE
  TERN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
