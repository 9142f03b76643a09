// tern-matching: the matching service alone.
#include "services/server/process.h"

int main(int argc, char** argv) {
  return tern::server::RunProcess(tern::server::ParseProcessArgs(
      argc, argv, "tern-matching", /*allow_services=*/false, {"matching"}));
}
