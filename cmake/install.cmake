# `cmake --install` of the Raft core as a package: the library, its public headers
# (include/raftkv/raft and the generated version.h) and a CMake config, so that an
# installed tree gives find_package(raftkv) and the target raftkv::raft.
include(CMakePackageConfigHelpers)

set(RAFTKV_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/raftkv)

install(TARGETS raftkv_raft EXPORT raftkvTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT raftkv_dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT raftkv_dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/raftkv
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT raftkv_dev)
install(FILES ${PROJECT_BINARY_DIR}/include/raftkv/raft/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/raftkv/raft COMPONENT raftkv_dev)
install(EXPORT raftkvTargets NAMESPACE raftkv:: FILE raftkvTargets.cmake
        DESTINATION ${RAFTKV_CMAKE_DIR} COMPONENT raftkv_dev)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/raftkvConfig.cmake.in
  ${PROJECT_BINARY_DIR}/raftkvConfig.cmake INSTALL_DESTINATION ${RAFTKV_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/raftkvConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/raftkvConfig.cmake
              ${PROJECT_BINARY_DIR}/raftkvConfigVersion.cmake
        DESTINATION ${RAFTKV_CMAKE_DIR} COMPONENT raftkv_dev)
