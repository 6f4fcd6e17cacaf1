# The controller's side of every target (adapters, which may use harness/ headers), the
# generic daemon they share (targets/support) and the registry listing them; linked into
# the faultline binary.
add_library(fl_targets STATIC
  ${CMAKE_CURRENT_LIST_DIR}/registry.c
  ${CMAKE_CURRENT_LIST_DIR}/support/service.c
  ${CMAKE_CURRENT_LIST_DIR}/support/daemon.c
  ${CMAKE_CURRENT_LIST_DIR}/quorumkv/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/raftkv/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/raftkv/raft_status.c
  ${CMAKE_CURRENT_LIST_DIR}/lockd/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/payments/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/postgres/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/etcd/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/etcd/gateway.c
  ${CMAKE_CURRENT_LIST_DIR}/etcd/reply.c
  ${CMAKE_CURRENT_LIST_DIR}/postgres/list_text.c
  ${CMAKE_CURRENT_LIST_DIR}/redis/adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/redis/client.c
  ${CMAKE_CURRENT_LIST_DIR}/redis/probe.c
  ${CMAKE_CURRENT_LIST_DIR}/redis/sentinel.c
  ${CMAKE_CURRENT_LIST_DIR}/file/target_file.c
  ${CMAKE_CURRENT_LIST_DIR}/file/file_adapter.c
  ${CMAKE_CURRENT_LIST_DIR}/file/client_process.c)
target_include_directories(fl_targets PUBLIC ${CMAKE_CURRENT_LIST_DIR}/support ${CMAKE_CURRENT_LIST_DIR}/raftkv
                           ${CMAKE_CURRENT_LIST_DIR}/file)
target_link_libraries(fl_targets PUBLIC fl_harness fl_workloads PkgConfig::LIBPQ PkgConfig::LIBCURL PkgConfig::HIREDIS PkgConfig::LIBCRYPTO)
