# Read by cpack before it packages anything (CPACK_PROJECT_CONFIG_FILE): refuse builds that
# must not ship.
if(CPACK_LC_SANITIZE)
  message(FATAL_ERROR "logcanary: this build uses the sanitizers (LC_SANITIZE=ON), whose runtime "
                      "the package would then need: configure a separate build with "
                      "-DLC_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release to package")
endif()
if(NOT CPACK_LC_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "logcanary: packages are built with CMAKE_INSTALL_PREFIX=/usr (this build: "
                      "${CPACK_LC_INSTALL_PREFIX}); their maintainer scripts use /etc/logcanary "
                      "and /var/lib/logcanary")
endif()
