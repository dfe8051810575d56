# Installation layout and packages: `cmake --install` and `cpack` (a .deb; an .rpm as well when
# rpmbuild is installed). Included from the top-level CMakeLists.txt.
#
#   /usr/bin/logcanary
#   /etc/logcanary/logcanary.json           the flow-log bucket example, 0640 root:logcanary, conffile
#   /etc/logcanary/logcanary.env            EnvironmentFile= for the units, 0640 root:logcanary, conffile
#   /var/lib/logcanary                      state, 0750 logcanary:logcanary
#   /usr/share/doc/logcanary/examples/      the example configurations
#   /usr/share/man/man1/logcanary.1.gz
#   /usr/lib/systemd/system/                logcanary.service, logcanary.timer, logcanary-daemon.service
#   /usr/lib/sysusers.d/logcanary.conf      the system user
#   /usr/lib/tmpfiles.d/logcanary.conf      the state directory
#
# The default prefix is /usr, the layout of the package; a build installed elsewhere
# (-DCMAKE_INSTALL_PREFIX=/usr/local) puts the configuration under <prefix>/etc and the state
# under <prefix>/var, and its units point there.

if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install path prefix" FORCE)
endif()
include(GNUInstallDirs)

# Relative to the prefix: /usr/lib/systemd/system, which systemd reads on Debian 12 (merged
# /usr) as on RPM distributions.
set(LC_SYSTEMD_UNITDIR lib/systemd/system CACHE STRING "Where the systemd units go")
set(LC_SYSUSERSDIR lib/sysusers.d CACHE STRING "Where sysusers.d files go")
set(LC_TMPFILESDIR lib/tmpfiles.d CACHE STRING "Where tmpfiles.d files go")
set(LC_PACKAGE_MAINTAINER "logcanary maintainers <logcanary@localhost>"
    CACHE STRING "Maintainer field of the packages")

set(lc_pkg ${CMAKE_CURRENT_LIST_DIR})
set(lc_bindir ${CMAKE_INSTALL_FULL_BINDIR})
set(lc_confdir ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logcanary)
set(lc_statedir ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/logcanary)
set(lc_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/logcanary)
set(lc_gen ${CMAKE_BINARY_DIR}/packaging)

# Units, sysusers and tmpfiles files: the sources carry the package's paths; other prefixes get
# theirs substituted.
foreach(f systemd/logcanary.service systemd/logcanary.timer systemd/logcanary-daemon.service
          systemd/logcanary.sysusers systemd/logcanary.tmpfiles)
  file(READ ${lc_pkg}/${f} text)
  string(REPLACE "/usr/bin/logcanary" "${lc_bindir}/logcanary" text "${text}")
  string(REPLACE "/etc/logcanary" "${lc_confdir}" text "${text}")
  string(REPLACE "/var/lib/logcanary" "${lc_statedir}" text "${text}")
  file(CONFIGURE OUTPUT ${lc_gen}/${f} CONTENT "${text}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${lc_pkg}/${f})
endforeach()
install(FILES ${lc_gen}/systemd/logcanary.service ${lc_gen}/systemd/logcanary.timer
              ${lc_gen}/systemd/logcanary-daemon.service
        DESTINATION ${LC_SYSTEMD_UNITDIR})
install(FILES ${lc_gen}/systemd/logcanary.sysusers DESTINATION ${LC_SYSUSERSDIR}
        RENAME logcanary.conf)
install(FILES ${lc_gen}/systemd/logcanary.tmpfiles DESTINATION ${LC_TMPFILESDIR}
        RENAME logcanary.conf)

# Configuration: the flow-log bucket example as the starting point, and the environment file.
# Mode 0640: it names buckets, roles and external ids; the postinst gives the group to logcanary.
install(DIRECTORY DESTINATION ${lc_confdir}
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
install(FILES ${CMAKE_SOURCE_DIR}/config/examples/flowlogs-bucket.json DESTINATION ${lc_confdir}
        RENAME logcanary.json PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${lc_pkg}/logcanary.env.example DESTINATION ${lc_confdir}
        RENAME logcanary.env PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY DESTINATION ${lc_statedir}
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)

# Documentation: README, the configuration and alerts references (their links point to each
# other and into examples/), the examples.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${lc_docdir})
install(FILES ${CMAKE_SOURCE_DIR}/config/README.md DESTINATION ${lc_docdir}
        RENAME configuration.md)
if(EXISTS ${CMAKE_SOURCE_DIR}/config/alerts.md)
  install(FILES ${CMAKE_SOURCE_DIR}/config/alerts.md DESTINATION ${lc_docdir})
endif()
install(FILES ${CMAKE_SOURCE_DIR}/config/examples/flowlogs-bucket.json
              ${CMAKE_SOURCE_DIR}/config/examples/control-tower-log-archive.json
              ${lc_pkg}/logcanary.env.example
        DESTINATION ${lc_docdir}/examples)

# The manual page, compressed as Debian policy wants it.
find_program(LC_GZIP gzip)
if(LC_GZIP)
  add_custom_command(OUTPUT ${lc_gen}/logcanary.1.gz
    COMMAND ${LC_GZIP} -9nc ${lc_pkg}/logcanary.1 > ${lc_gen}/logcanary.1.gz
    DEPENDS ${lc_pkg}/logcanary.1 VERBATIM)
  add_custom_target(lc_manpage ALL DEPENDS ${lc_gen}/logcanary.1.gz)
  install(FILES ${lc_gen}/logcanary.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${lc_pkg}/logcanary.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# ---- CPack ---------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME logcanary)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${LC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VENDOR logcanary)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "prove that AWS logs arrive in their SSE-KMS S3 buckets")
set(CPACK_PACKAGE_DESCRIPTION
  "logcanary checks, per S3 bucket and per log source (VPC Flow Logs, AWS
Config, CloudTrail, including organization and Control Tower layouts),
that recent delivery objects exist, are readable with the bucket's
SSE-KMS key and hold real, recent content, and, when they do not, why.
Ships systemd units for a 15-minute timer and for a long-running daemon;
none is enabled on installation.")
set(CPACK_GENERATOR DEB)
find_program(LC_RPMBUILD rpmbuild)
if(LC_RPMBUILD)
  list(APPEND CPACK_GENERATOR RPM)
endif()
# Install into the staging directory with DESTDIR, so that /etc and /var land in the package
# and never on the build machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_PROJECT_CONFIG_FILE ${lc_pkg}/cpack-project.cmake)
# Read back by cpack-project.cmake.
set(CPACK_LC_SANITIZE ${LC_SANITIZE})
set(CPACK_LC_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

# .deb: runtime libraries from dpkg-shlibdeps; the user comes from sysusers.d.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "systemd | systemd-standalone-sysusers | systemd-sysusers, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "awscli")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${lc_pkg}/debian/conffiles ${lc_pkg}/debian/postinst ${lc_pkg}/debian/prerm
    ${lc_pkg}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# .rpm: dependencies from rpmbuild's own scan; the configuration is %config(noreplace).
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_GROUP "Applications/System")
set(CPACK_RPM_PACKAGE_REQUIRES "ca-certificates")
set(CPACK_RPM_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_USER_FILELIST
    "%config(noreplace) %attr(0640,root,logcanary) /etc/logcanary/logcanary.json"
    "%config(noreplace) %attr(0640,root,logcanary) /etc/logcanary/logcanary.env"
    "%dir %attr(0750,root,logcanary) /etc/logcanary/"
    "%dir %attr(0750,logcanary,logcanary) /var/lib/logcanary/")
# The directories of the system, and ours, which the list above gives their owners.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc /var /var/lib /usr/lib/systemd /usr/lib/systemd/system /usr/lib/sysusers.d
    /usr/lib/tmpfiles.d /usr/share/man /usr/share/man/man1 /usr/share/doc /etc/logcanary
    /var/lib/logcanary)
set(CPACK_RPM_PRE_INSTALL_SCRIPT_FILE ${lc_pkg}/rpm/pre)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${lc_pkg}/rpm/post)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${lc_pkg}/rpm/preun)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${lc_pkg}/rpm/postun)

include(CPack)
