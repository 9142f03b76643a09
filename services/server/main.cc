// tern-server: any subset of the four services in one process.
#include "services/server/process.h"

int main(int argc, char** argv) {
  return tern::server::RunProcess(
      tern::server::ParseProcessArgs(argc, argv, "tern-server", /*allow_services=*/true, {}));
}
