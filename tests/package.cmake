# Packaging: the manual page documents everything the binary has (no root needed), and the .deb
# installs, verifies, upgrades, removes and purges cleanly on this machine (root; skips
# otherwise). The .deb test builds its own Release tree and holds the dpkg lock.
add_test(NAME package.manpage
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/package/test_package.sh manpage)
set_tests_properties(package.manpage PROPERTIES LABELS package TIMEOUT 60
  ENVIRONMENT "LC_SOURCE_DIR=${CMAKE_SOURCE_DIR};LC_BINARY=$<TARGET_FILE:logcanary>")

add_test(NAME package.deb
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/package/test_package.sh deb)
set_tests_properties(package.deb PROPERTIES LABELS package TIMEOUT 900 SKIP_RETURN_CODE 77
  RESOURCE_LOCK dpkg
  ENVIRONMENT "LC_SOURCE_DIR=${CMAKE_SOURCE_DIR};LC_PACKAGE_OUT=${CMAKE_CURRENT_BINARY_DIR}/package")
