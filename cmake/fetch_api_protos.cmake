# Fetches the public Temporal API protos from the pinned npm package at configure time,
# checks the tarball against the registry's integrity hash and extracts only the proto tree.
# The protos are never committed or edited; the tarball is cached in TERN_NPM_CACHE.
set(TERN_API_PACKAGE "@temporalio/core-bridge@1.24.0")
set(TERN_API_TARBALL_NAME "temporalio-core-bridge-1.24.0.tgz")
set(TERN_API_INTEGRITY
    "sha512-6kzPB8RsHcPU6HDNUSDBFC0JG2UFrV3ThmPmJkeEafKh2DFrKARM8IzxgKeE5MzvdIXYmONFM0UmHg+TZ0/qrQ==")
set(TERN_API_SUBDIR "package/sdk-core/crates/protos/protos/api_upstream")

if(DEFINED ENV{TERN_NPM_CACHE})
  set(TERN_NPM_CACHE "$ENV{TERN_NPM_CACHE}")
else()
  set(TERN_NPM_CACHE "$ENV{HOME}/.cache/tern/npm")
endif()
set(_tarball "${TERN_NPM_CACHE}/${TERN_API_TARBALL_NAME}")
set(TERN_API_PROTO_ROOT "${CMAKE_BINARY_DIR}/api_protos/${TERN_API_SUBDIR}")

function(_tern_integrity file out)
  execute_process(
    COMMAND sh -c "openssl dgst -sha512 -binary '${file}' | openssl base64 -A"
    OUTPUT_VARIABLE digest RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not hash ${file}")
  endif()
  set(${out} "sha512-${digest}" PARENT_SCOPE)
endfunction()

if(EXISTS "${_tarball}")
  _tern_integrity("${_tarball}" _have)
  if(NOT _have STREQUAL TERN_API_INTEGRITY)
    file(REMOVE "${_tarball}")
  endif()
endif()
if(NOT EXISTS "${_tarball}")
  file(MAKE_DIRECTORY "${TERN_NPM_CACHE}")
  message(STATUS "Fetching ${TERN_API_PACKAGE} with npm pack")
  execute_process(
    COMMAND npm pack ${TERN_API_PACKAGE} --pack-destination "${TERN_NPM_CACHE}" --silent
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${_tarball}")
    message(FATAL_ERROR "npm pack ${TERN_API_PACKAGE} failed; the npm registry must be reachable")
  endif()
endif()
_tern_integrity("${_tarball}" _have)
if(NOT _have STREQUAL TERN_API_INTEGRITY)
  message(FATAL_ERROR "${_tarball}: integrity ${_have} does not match the pinned ${TERN_API_INTEGRITY}")
endif()

set(_stamp "${CMAKE_BINARY_DIR}/api_protos/.extracted-${TERN_API_TARBALL_NAME}")
if(NOT EXISTS "${_stamp}")
  file(REMOVE_RECURSE "${CMAKE_BINARY_DIR}/api_protos")
  file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/api_protos")
  execute_process(
    COMMAND tar -xzf "${_tarball}" -C "${CMAKE_BINARY_DIR}/api_protos" "${TERN_API_SUBDIR}"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not extract ${TERN_API_SUBDIR} from ${_tarball}")
  endif()
  file(TOUCH "${_stamp}")
endif()
