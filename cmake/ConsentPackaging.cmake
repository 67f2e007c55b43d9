# `cmake --install` and the Debian package (CPack DEB) of consentd and
# consentctl (docs/deployment.md). The package installs:
#   /usr/bin/consentd, /usr/bin/consentctl
#   /lib/systemd/system/consentd.service (deploy/systemd)
#   /etc/consentd/consentd.conf, a conffile (deploy/consentd)
#   /usr/share/doc/consentd/: the deployment guides and the nginx front
# and its postinst creates the system user consentd and /var/lib/consentd.
# The unit and configuration go to absolute paths, as Debian lays them out;
# a `cmake --install --prefix=…` without DESTDIR writes them to /lib and /etc.
# `scripts/package.sh` packages the release build; tests/server/package.test.js
# packages whatever build it runs in (the ASan build under the test command).
include(GNUInstallDirs)

install(TARGETS consentd consentctl RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT consentd)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/systemd/consentd.service"
        DESTINATION /lib/systemd/system COMPONENT consentd)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/consentd/consentd.conf"
        DESTINATION /etc/consentd COMPONENT consentd)
install(FILES "${PROJECT_SOURCE_DIR}/docs/deployment.md" "${PROJECT_SOURCE_DIR}/docs/deployment-nginx.md"
              "${PROJECT_SOURCE_DIR}/docs/http_edge.md" "${PROJECT_SOURCE_DIR}/docs/openapi.json"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/consentd" COMPONENT consentd)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/nginx/consentd.conf"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/consentd/examples" RENAME nginx-consentd.conf COMPONENT consentd)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "consentd")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "Consent SDK")
set(CPACK_PACKAGE_CONTACT "Consent SDK maintainers <maintainers@consent-sdk.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "consent receipts server (consentd) and operator CLI (consentctl)")
set(CPACK_PACKAGE_DESCRIPTION "consentd stores signed, tamper-evident consent receipts in an append-only \
Merkle log and answers backends' consent checks over HTTP; consentctl manages sites, notices, keys and backups.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_COMPONENTS_ALL consentd)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Shared libraries by dpkg-shlibdeps (libsodium, SQLite, the C++ runtime; the
# sanitizer runtimes too for an ASan build); adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/deploy/debian/conffiles"
    "${PROJECT_SOURCE_DIR}/deploy/debian/postinst"
    "${PROJECT_SOURCE_DIR}/deploy/debian/prerm"
    "${PROJECT_SOURCE_DIR}/deploy/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)  # as Debian ships binaries; the build tree keeps the unstripped ones
include(CPack)
