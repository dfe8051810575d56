# `logcanary preflight` end to end: radosgw (S3) + the control-plane fixture (KMS, STS, Config).
add_test(NAME integration.preflight
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/preflight.py)
set_tests_properties(integration.preflight PROPERTIES FIXTURES_REQUIRED radosgw
  LABELS integration TIMEOUT 600
  ENVIRONMENT "${LC_TEST_ENV}")
