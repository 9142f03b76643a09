# cmake -DSCHEMA_DIR=<schema/postgresql/tern> -DOUTPUT=<file.cc> -P embed_migrations.cmake
# Writes a C++ file defining EmbeddedMigrations() (see migrations.h): one entry per vN/ folder,
# its .sql files concatenated in name order, as raw string literals.
file(GLOB version_dirs LIST_DIRECTORIES true RELATIVE ${SCHEMA_DIR} ${SCHEMA_DIR}/v*)
set(versions "")
foreach(dir IN LISTS version_dirs)
  if(IS_DIRECTORY ${SCHEMA_DIR}/${dir} AND dir MATCHES "^v([0-9]+)$")
    list(APPEND versions ${CMAKE_MATCH_1})
  endif()
endforeach()
list(SORT versions COMPARE NATURAL)
list(LENGTH versions count)
if(count EQUAL 0)
  message(FATAL_ERROR "no migrations (v1/, v2/, ...) under ${SCHEMA_DIR}")
endif()

set(delimiter "tern_sql")
set(entries "")
set(expected 1)
foreach(version IN LISTS versions)
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "${SCHEMA_DIR}: expected migration v${expected}, found v${version}")
  endif()
  file(GLOB sql_files RELATIVE ${SCHEMA_DIR} ${SCHEMA_DIR}/v${version}/*.sql)
  list(SORT sql_files)
  if(NOT sql_files)
    message(FATAL_ERROR "${SCHEMA_DIR}/v${version} holds no .sql file")
  endif()
  set(sql "")
  foreach(f IN LISTS sql_files)
    file(READ ${SCHEMA_DIR}/${f} text)
    string(FIND "${text}" ")${delimiter}\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "${f} contains the raw string delimiter )${delimiter}\"")
    endif()
    string(APPEND sql "-- ${f}\n${text}\n")
  endforeach()
  string(JOIN "," files ${sql_files})
  string(APPEND entries "    {${version}, \"${files}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
  math(EXPR expected "${expected} + 1")
endforeach()
list(GET versions -1 latest)

set(content "// Generated from ${SCHEMA_DIR} by embed_migrations.cmake. Do not edit.
#include \"persistence/postgres/migrations.h\"
#include \"persistence/postgres/schema.h\"

namespace tern::persistence::postgres {

static_assert(kSchemaVersion == ${latest},
              \"kSchemaVersion in schema.h must equal the newest migration (v${latest})\");

std::span<const Migration> EmbeddedMigrations() {
  static constexpr Migration kMigrations[] = {
${entries}  };
  return kMigrations;
}

}  // namespace tern::persistence::postgres
")
file(WRITE ${OUTPUT} "${content}")
