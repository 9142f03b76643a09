// Shared by the tern::visibility unit tests: the custom search attributes of the test namespace.
#pragma once

#include "visibility/search_attributes.h"

namespace tern::visibility {

// One custom attribute per type, plus names that need quoting.
inline const CustomSearchAttributes& TestCustomAttributes() {
  namespace enums = temporal::api::enums::v1;
  static const CustomSearchAttributes custom = {
      {"CustomKeyword", enums::INDEXED_VALUE_TYPE_KEYWORD},
      {"CustomText", enums::INDEXED_VALUE_TYPE_TEXT},
      {"CustomInt", enums::INDEXED_VALUE_TYPE_INT},
      {"CustomDouble", enums::INDEXED_VALUE_TYPE_DOUBLE},
      {"CustomBool", enums::INDEXED_VALUE_TYPE_BOOL},
      {"CustomDatetime", enums::INDEXED_VALUE_TYPE_DATETIME},
      {"CustomList", enums::INDEXED_VALUE_TYPE_KEYWORD_LIST},
      {"odd name", enums::INDEXED_VALUE_TYPE_KEYWORD},
      {"it's", enums::INDEXED_VALUE_TYPE_KEYWORD},
  };
  return custom;
}

}  // namespace tern::visibility
