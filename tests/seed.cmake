# Delivery seeder self-test: tests/seed/test_seed.py runs tests/seed/seed_deliveries.py against
# the radosgw fixture and checks key layouts, content, SSE-KMS, damage options and --bulk.
add_test(NAME integration.seed_layouts
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/seed/test_seed.py)
set_tests_properties(integration.seed_layouts PROPERTIES FIXTURES_REQUIRED radosgw
  LABELS integration TIMEOUT 300
  ENVIRONMENT "${LC_TEST_ENV}")
