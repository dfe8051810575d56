# `logcanary run` (the daemon) end to end against radosgw with seeded deliveries: notify socket,
# watchdog, /metrics and /healthz, SIGHUP reloads, SIGTERM while checks are in flight.
add_test(NAME integration.run_daemon
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/run_daemon.py)
set_tests_properties(integration.run_daemon PROPERTIES FIXTURES_REQUIRED radosgw
  LABELS integration TIMEOUT 300
  ENVIRONMENT "${LC_TEST_ENV}")
