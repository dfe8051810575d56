# `logcanary policy check` on the policy fixtures (tests/data/policies): exit codes and JSON.
add_test(NAME integration.policy_cli
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/policy_cli.py
          $<TARGET_FILE:logcanary> ${CMAKE_SOURCE_DIR})
set_tests_properties(integration.policy_cli PROPERTIES LABELS unit TIMEOUT 120)
