# The command line: --version, --help, usage errors exit 2, config validate.
add_test(NAME unit.cli_usage
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli_usage.sh $<TARGET_FILE:logcanary>
          ${CMAKE_SOURCE_DIR})
set_tests_properties(unit.cli_usage PROPERTIES LABELS unit TIMEOUT 60)
