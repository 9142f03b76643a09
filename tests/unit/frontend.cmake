# Unit tests of tern::frontend (services/frontend), included from tests/unit/CMakeLists.txt.
tern_test(NAME frontend_test
  SRCS frontend_validation_test.cc frontend_routing_test.cc frontend_namespace_test.cc
       frontend_service_test.cc frontend_operator_test.cc frontend_access_test.cc
  DEPS tern::frontend tern::membership
  LABELS unit)
