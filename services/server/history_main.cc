// tern-history: the history service alone.
#include "services/server/process.h"

int main(int argc, char** argv) {
  return tern::server::RunProcess(tern::server::ParseProcessArgs(
      argc, argv, "tern-history", /*allow_services=*/false, {"history"}));
}
