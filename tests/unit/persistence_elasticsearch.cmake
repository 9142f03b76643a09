# Unit tests of tern::persistence_elasticsearch (a fake HttpClient, and the libcurl client against
# a loopback socket), included from tests/unit/CMakeLists.txt.
tern_test(NAME persistence_elasticsearch_test SRCS persistence_elasticsearch_test.cc
  DEPS tern::persistence_elasticsearch LABELS unit)
# The test compares SetupIndex's template with schema/elasticsearch/visibility/.
target_compile_definitions(persistence_elasticsearch_test PRIVATE
  TERN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
