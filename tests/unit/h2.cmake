# Unit tests of tern::h2 (h2/), included from tests/unit/CMakeLists.txt: the framing helpers as
# tables, and the server driven by real gRPC C++ clients over loopback (plaintext, TLS, mTLS).
tern_test(NAME h2_server_test SRCS h2_server_test.cc
  DEPS tern::h2 tern::api_proto OpenSSL::SSL OpenSSL::Crypto ZLIB::ZLIB LABELS unit)
