# The C sources are clang-format'ed (.clang-format at the top).
add_test(NAME unit.clang_format
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/check_format.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(unit.clang_format PROPERTIES LABELS unit TIMEOUT 120)
