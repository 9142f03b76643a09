// Internal: schema/elasticsearch/visibility/index_template_v1.json, compiled in by
// embed_index_template.cmake so that `tern schema setup` works from any directory.
#pragma once

#include <string_view>

namespace tern::persistence::elasticsearch {

std::string_view IndexTemplateJson();

}  // namespace tern::persistence::elasticsearch
