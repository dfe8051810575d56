# Control-plane fixture server (tests/servers/cpfixture.py) and its self-test with real clients
# (botocore, urllib, /usr/bin/aws). C tests start the fixture with lc_testsrv_start():
#   argv = { LC_PYTHON, "<LC_TEST_SERVERS>/cpfixture.py", "--scenario", "<file>", "--log", "<file>" }
set(LC_CPFIXTURE ${CMAKE_CURRENT_SOURCE_DIR}/servers/cpfixture.py)
set(LC_CPFIXTURE_SCENARIOS ${CMAKE_CURRENT_SOURCE_DIR}/servers/scenarios)

add_test(NAME fixture.botocore_clients
  COMMAND ${LC_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/servers/test_cpfixture.py)
set_tests_properties(fixture.botocore_clients PROPERTIES LABELS unit TIMEOUT 180)
