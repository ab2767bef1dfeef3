include(GNUInstallDirs)

# Helpers that give every Triad target the same warnings, standard and
# sanitizer settings, so that no folder has to repeat them.

add_library(triad_build_options INTERFACE)
add_library(triad::build_options ALIAS triad_build_options)
target_compile_options(triad_build_options INTERFACE -Wall -Wextra -Werror)
if(TRIAD_SANITIZE)
  # GCC warns -Wmaybe-uninitialized falsely inside kj::Maybe and
  # kj::_::ExceptionOr once ASan's instrumentation changes its inlining (every
  # Cap'n Proto server method trips it); the normal build keeps the warning.
  target_compile_options(triad_build_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
    -Wno-maybe-uninitialized)
  target_link_options(triad_build_options INTERFACE -fsanitize=address,undefined)
endif()

# triad_add_library(<name> [STATIC] SOURCES ... DEPS ...)
# Defines triad_<name> with the alias triad::<name>.
function(triad_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(triad_${name} STATIC ${ARG_SOURCES})
  add_library(triad::${name} ALIAS triad_${name})
  target_include_directories(triad_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(triad_${name} PUBLIC triad::build_options ${ARG_DEPS}
    PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# triad_add_executable(<name> [NO_INSTALL] SOURCES ... DEPS ...)
# A program `cmake --install` puts in bin/ (and so the RPM ships), unless it
# is NO_INSTALL: test daemons and benchmarks stay in the build tree.
function(triad_add_executable name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE triad::build_options ${ARG_DEPS})
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemons)
  endif()
endfunction()

# triad_add_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT seconds])
# One GoogleTest executable registered with CTest. Every test has its own
# time limit so that a hang fails the run instead of stalling CI.
function(triad_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT TRIAD_BUILD_TESTS)
    return()
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE triad::build_options ${ARG_DEPS} GTest::gtest
    GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
    ENVIRONMENT "TRIAD_BINARY_DIR=${PROJECT_BINARY_DIR};TRIAD_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
