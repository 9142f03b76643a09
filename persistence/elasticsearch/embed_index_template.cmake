# cmake -DINPUT=<index_template_v1.json> -DOUTPUT=<file.cc> -P embed_index_template.cmake
# Writes a C++ file defining IndexTemplateJson() (see index_template.h) as a raw string literal.
file(READ ${INPUT} text)
set(delimiter "tern_json")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by embed_index_template.cmake. Do not edit.
#include \"persistence/elasticsearch/index_template.h\"

namespace tern::persistence::elasticsearch {

std::string_view IndexTemplateJson() {
  static constexpr char kTemplate[] = R\"${delimiter}(${text})${delimiter}\";
  return kTemplate;
}

}  // namespace tern::persistence::elasticsearch
")
