# `logcanary check` end to end against radosgw with seeded deliveries.
add_test(NAME integration.check_scenarios
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/check_scenarios.py)
set_tests_properties(integration.check_scenarios PROPERTIES FIXTURES_REQUIRED radosgw
  LABELS integration TIMEOUT 600
  ENVIRONMENT "${LC_TEST_ENV}")

# Expected streams: Organizations and Control Tower discovery (control-plane fixture) against
# radosgw.
add_test(NAME integration.discovery_scenarios
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/discovery_scenarios.py)
set_tests_properties(integration.discovery_scenarios PROPERTIES FIXTURES_REQUIRED radosgw
  LABELS integration TIMEOUT 600
  ENVIRONMENT "${LC_TEST_ENV}")
