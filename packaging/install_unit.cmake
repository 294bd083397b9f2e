# Run by `cmake --install` (see CMakeLists.txt): writes the systemd unit with the paths of
# this installation. CMAKE_INSTALL_PREFIX is the prefix of this install run here.
function(raftkv_absolute out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND dir STREQUAL "etc")
    set(${out} "/etc" PARENT_SCOPE)  # as GNUInstallDirs places sysconfdir for /usr
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

raftkv_absolute(bindir "${RAFTKV_BINDIR}")
raftkv_absolute(sysconfdir "${RAFTKV_SYSCONFDIR}")
raftkv_absolute(RAFTKV_DOCDIR "${RAFTKV_DOCDIR}")
set(RAFTKV_BINARY "${bindir}/raftkv")
set(RAFTKV_CONFIG "${sysconfdir}/raftkv/raftkv.toml")
configure_file("${RAFTKV_UNIT_TEMPLATE}" "${RAFTKV_UNIT_OUT}" @ONLY)
