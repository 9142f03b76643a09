# Run after protoc: the packages temporal.api.namespace.v1 and temporal.api.export.v1 generate
# C++ namespaces named after keywords. Rename them in the generated C++ only (the embedded
# descriptors keep the real package names, so the wire format and type URLs are unchanged).
file(GLOB_RECURSE _files "${GEN_DIR}/*.pb.h" "${GEN_DIR}/*.pb.cc")
foreach(f IN LISTS _files)
  file(READ "${f}" text)
  set(orig "${text}")
  foreach(kw namespace export)
    string(REPLACE "namespace ${kw} {" "namespace ${kw}_ {" text "${text}")
    string(REPLACE "::${kw}::" "::${kw}_::" text "${text}")
  endforeach()
  if(NOT text STREQUAL orig)
    file(WRITE "${f}" "${text}")
  endif()
endforeach()
