// tern-frontend: the frontend service alone.
#include "services/server/process.h"

int main(int argc, char** argv) {
  return tern::server::RunProcess(tern::server::ParseProcessArgs(
      argc, argv, "tern-frontend", /*allow_services=*/false, {"frontend"}));
}
