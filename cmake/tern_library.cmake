# tern_library(NAME name SRCS ... DEPS ...): one folder = one library = one target tern::name.
# Our own code builds with warnings as errors.
set(TERN_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers)

function(tern_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(tern_${ARG_NAME} STATIC ${ARG_SRCS})
  add_library(tern::${ARG_NAME} ALIAS tern_${ARG_NAME})
  target_include_directories(tern_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(tern_${ARG_NAME} PRIVATE ${TERN_WARNINGS})
  target_link_libraries(tern_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# INSTALL: shipped in the container image (`cmake --install <build> --strip --prefix DIR` puts
# it in DIR/bin).
function(tern_executable)
  cmake_parse_arguments(ARG "INSTALL" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_compile_options(${ARG_NAME} PRIVATE ${TERN_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  if(ARG_INSTALL)
    install(TARGETS ${ARG_NAME} RUNTIME DESTINATION bin)
  endif()
endfunction()

# LAUNCHER: a command (and its arguments) that ctest runs with the test binary's path appended,
# e.g. a script that starts a dependency around the test.
function(tern_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS;LAUNCHER" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_compile_options(${ARG_NAME} PRIVATE ${TERN_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_LAUNCHER} $<TARGET_FILE:${ARG_NAME}>)
  if(ARG_LABELS)
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()
