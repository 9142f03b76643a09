// Internal: renderings of normalized values (query.h's Value) shared by the translators and
// DebugString.
#pragma once

#include <string>

#include "nlohmann/json.hpp"
#include "visibility/query.h"

namespace tern::visibility {

// As a text SQL parameter: strings as they are, integers in decimal, Datetime as
// FormatDatetimeMicros, doubles in the shortest form that reads back exactly, true/false.
std::string ValueToText(const ResolvedAttribute& attribute, const Value& value);

// As stored in a JSON document (search_attributes, Elasticsearch): like ValueToText but typed,
// and ExecutionStatus as its name ("Running").
nlohmann::json ValueToJson(const ResolvedAttribute& attribute, const Value& value);

}  // namespace tern::visibility
