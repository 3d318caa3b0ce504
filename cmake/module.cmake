# iotwins_module(NAME SOURCES ... DEPS ...): one static library per module, includes rooted
# at src/ so headers are included as "core/result.h".
function(iotwins_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(iotwins_${name} STATIC ${M_SOURCES})
  target_include_directories(iotwins_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(iotwins_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()

# iotwins_test(NAME SOURCES ... DEPS ...): one GoogleTest binary per module, registered with
# ctest; tests run with the source dir in IOTWINS_SOURCE_DIR and the binary dir in
# IOTWINS_BINARY_DIR so they can find fixtures and build/bin/iotwins.
function(iotwins_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    IOTWINS_SOURCE_DIR="${CMAKE_SOURCE_DIR}" IOTWINS_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
endfunction()
