# Real S3 server for integration tests: a throwaway Ceph radosgw (tests/servers/radosgw.sh).
# A test that needs it declares FIXTURES_REQUIRED radosgw and reads ${LC_RADOSGW_ENV}
# (KEY=value lines: LC_S3_ENDPOINT, LC_S3_PORT, LC_S3_VHOST_DOMAIN, LC_S3_REGION,
# LC_S3_ACCESS_KEY, LC_S3_SECRET_KEY, LC_S3_OTHER_ACCESS_KEY, LC_S3_OTHER_SECRET_KEY,
# LC_S3_OWNER_UID, LC_S3_OTHER_UID, LC_KMS_KEY_1, LC_KMS_KEY_2, pids; see servers/radosgw.sh).
# Fragments are included in alphabetical order: one that sorts before this file cannot see
# LC_RADOSGW_ENV on a first configure and should use LC_TEST_ENV (tests/CMakeLists.txt), which
# holds it, or ${CMAKE_BINARY_DIR}/radosgw/env.
set(LC_RADOSGW_DIR ${CMAKE_BINARY_DIR}/radosgw)
set(LC_RADOSGW_ENV ${LC_RADOSGW_DIR}/env CACHE INTERNAL "env file of the radosgw test fixture")
set(LC_RADOSGW_SH ${CMAKE_CURRENT_SOURCE_DIR}/servers/radosgw.sh)

add_test(NAME radosgw.start COMMAND ${LC_RADOSGW_SH} start ${LC_RADOSGW_DIR})
set_tests_properties(radosgw.start PROPERTIES FIXTURES_SETUP radosgw LABELS integration
  TIMEOUT 120)
add_test(NAME radosgw.stop COMMAND ${LC_RADOSGW_SH} stop ${LC_RADOSGW_DIR})
set_tests_properties(radosgw.stop PROPERTIES FIXTURES_CLEANUP radosgw LABELS integration
  TIMEOUT 60)

add_test(NAME integration.rgw_smoke
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/rgw_smoke.sh ${LC_RADOSGW_ENV})
set_tests_properties(integration.rgw_smoke PROPERTIES FIXTURES_REQUIRED radosgw
  LABELS integration TIMEOUT 180 ENVIRONMENT "LC_RADOSGW_ENV=${LC_RADOSGW_ENV}")
