#include "server/recovery_cli.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "kv/state_machine.h"
#include "net/peer_address.h"
#include "raft/conf_change.h"
#include "server/cli_parse.h"
#include "server/data_dir.h"
#include "server/member_directory.h"
#include "server/options.h"
#include "server/resp_call.h"
#include "server/snapshot_image.h"
#include "storage/checksum.h"
#include "storage/durable_storage.h"
#include "storage/posix_file_system.h"
#include "storage/snapshot_file.h"

namespace raftkv::server {

namespace {

// A backup's snapshot, checked through to the key-value image: empty, or what is wrong.
std::string check_backup(std::string_view data, const std::string& name, raft::Snapshot* snap,
                         SnapshotImage* img) {
  if (auto s = storage::decode_snapshot_file(data, name, snap); !s.ok()) return s.to_string();
  if (auto err = decode_snapshot_image(snap->data, img); !err.empty()) return name + ": " + err;
  kv::StateMachine machine;
  if (kv::Status s = machine.restore(img->kv); !s) return name + ": " + s.message();
  if (machine.applied_index() != snap->meta.index) return name + ": image and index differ";
  return "";
}

int save(const std::string& file, const std::string& server_text, int timeout_ms) {
  auto server = net::parse_peer_address(server_text);
  if (!server || server->port == 0) {
    std::cerr << "raftkv snapshot save: --server '" << server_text << "' is not HOST:PORT\n";
    return 2;
  }
  std::string error;
  auto reply =
      resp_call_leader(*server, {"RAFT", "BACKUP"}, std::chrono::milliseconds(timeout_ms), &error);
  if (!reply || (!reply->empty() && (*reply)[0] == '-')) {
    std::cerr << "raftkv snapshot save: " << (reply ? reply->substr(1) : error) << "\n";
    return 1;
  }
  raft::Snapshot snap;
  SnapshotImage img;
  if (auto err = check_backup(*reply, "the snapshot received", &snap, &img); !err.empty()) {
    std::cerr << "raftkv snapshot save: " << err << "\n";
    return 1;
  }
  std::filesystem::path path(file);
  const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
  storage::PosixFileSystem fs;
  if (auto s = storage::write_file_atomically(&fs, dir, path.filename().string(), *reply);
      !s.ok()) {
    std::cerr << "raftkv snapshot save: cannot write " << file << ": " << s.to_string() << "\n";
    return 1;
  }
  std::cout << fmt::format("saved snapshot at index {} (term {}, {} bytes) to {}\n",
                           snap.meta.index, snap.meta.term, reply->size(), file);
  return 0;
}

struct RestoreArgs {
  std::string file, data_dir, initial_cluster, cluster_id;
  raft::NodeId id = raft::kNoNode;
};

// The new cluster's members: every peer address, client addresses unknown until each
// node announces its own (a leader records them; see member_directory.h).
void reseat(raft::Snapshot* snap, const SnapshotImage& img,
            const std::map<raft::NodeId, net::PeerAddress>& members) {
  MemberDirectory directory;
  raft::ConfState conf;
  for (const auto& [id, addr] : members) {
    directory.set_peer(id, addr.to_string());
    conf.voters.push_back(id);
  }
  snap->data = encode_snapshot_image(img.kv, directory.encoded());
  snap->meta.conf = conf;
}

int restore(RestoreArgs a) {
  std::map<raft::NodeId, net::PeerAddress> members;
  if (auto err = parse_cluster(a.initial_cluster, &members); !err.empty() || !members.count(a.id)) {
    std::cerr << "raftkv snapshot restore: --initial-cluster: "
              << (err.empty() ? "does not name --id " + std::to_string(a.id) : err) << "\n";
    return 2;
  }
  std::error_code ec;
  if (std::filesystem::exists(a.data_dir, ec) && !std::filesystem::is_empty(a.data_dir, ec)) {
    std::cerr << "raftkv snapshot restore: " << a.data_dir << " is not empty; refusing to restore"
              << " into it\n";
    return 1;
  }
  storage::PosixFileSystem fs;
  std::string data;
  raft::Snapshot snap;
  SnapshotImage img;
  if (auto s = storage::read_file(&fs, a.file, &data); !s.ok()) {
    std::cerr << "raftkv snapshot restore: cannot read " << a.file << ": " << s.to_string() << "\n";
    return 1;
  }
  if (auto err = check_backup(data, a.file, &snap, &img); !err.empty()) {
    std::cerr << "raftkv snapshot restore: " << err << "\n";
    return 1;
  }
  // Every member restores the same file with the same --initial-cluster: a cluster id
  // derived from both is the same on each and differs from any other restore.
  if (a.cluster_id.empty()) {
    a.cluster_id = fmt::format("restored-{:08x}", storage::checksum32(data + a.initial_cluster));
  }
  reseat(&snap, img, members);
  if (auto err = claim_data_dir(&fs, a.data_dir, a.cluster_id, a.id); !err.empty()) {
    std::cerr << "raftkv snapshot restore: " << err << "\n";
    return 1;
  }
  std::unique_ptr<storage::DurableStorage> log;
  storage::DurableStorageOptions so;
  so.dir = raft_log_dir(a.data_dir);
  storage::Status s = storage::DurableStorage::open(&fs, so, &log);
  if (s.ok())
    s = log->save(raft::HardState{snap.meta.term, raft::kNoNode, snap.meta.index}, {}, snap);
  if (!s.ok()) {
    std::cerr << "raftkv snapshot restore: cannot write the log in " << so.dir << ": "
              << s.to_string() << "\n";
    return 1;
  }
  std::cout << fmt::format(
      "restored the snapshot at index {} into {} as node {} of cluster '{}'; start it with\n"
      "  raftkv serve --id {} --data-dir {} --cluster-id {} --initial-cluster {} ...\n",
      snap.meta.index, a.data_dir, a.id, a.cluster_id, a.id, a.data_dir, a.cluster_id,
      a.initial_cluster);
  return 0;
}

// Appends a configuration entry that leaves this node the only voter, and marks the whole
// log committed: on start the node applies everything it has, including entries that were
// never committed (as etcd's --force-new-cluster), and elects itself.
int force_new_cluster(const std::string& data_dir) {
  storage::PosixFileSystem fs;
  std::string cluster_id;
  raft::NodeId id = raft::kNoNode;
  if (auto err = read_data_dir_identity(&fs, data_dir, &cluster_id, &id); !err.empty()) {
    std::cerr << "raftkv recover: " << err << "\n";
    return 1;
  }
  std::unique_ptr<storage::DurableStorage> log;
  storage::DurableStorageOptions so;
  so.dir = raft_log_dir(data_dir);
  so.keep_snapshot_data = false;
  storage::RecoveryReport report;
  if (auto s = storage::DurableStorage::open(&fs, so, &log, &report); !s.ok()) {
    std::cerr << "raftkv recover: cannot open the log in " << so.dir << ": " << s.to_string()
              << "\n";
    return 1;
  }
  for (const auto& action : report.actions) std::cout << "recovery: " << action << "\n";
  if (log->last_index() == 0) {
    std::cerr << "raftkv recover: " << data_dir << " holds no log: nothing to recover\n";
    return 1;
  }
  raft::HardState hs = log->hard_state();
  raft::Entry e;
  e.index = log->last_index() + 1;
  e.term = hs.term;  // no entry has a higher one
  e.type = raft::EntryType::kConfChange;
  e.data = raft::encode_conf_change(raft::ConfChange{
      raft::ConfState{{id}, {}, {}}, MemberDirectory::encode_context({{id, MemberAddresses{}}})});
  hs.commit = e.index;
  const raft::Index index = e.index;
  if (auto s = log->save(hs, {std::move(e)}, std::nullopt); !s.ok()) {
    std::cerr << "raftkv recover: cannot write the log: " << s.to_string() << "\n";
    return 1;
  }
  std::cout << fmt::format(
      "node {} of cluster '{}' is now its only member (configuration entry at index {}; every "
      "entry it had is committed).\nStart it as before; then add members back with empty "
      "data directories: raftkv serve --join ..., raftkv member add-learner, raftkv member "
      "promote.\nNever restart the lost members with their old data.\n",
      id, cluster_id, index);
  return 0;
}

}  // namespace

int run_snapshot_command(int argc, const char* const* argv) {
  CLI::App app{"raftkv snapshot: back up a live cluster, or seed a new one from a backup",
               "raftkv snapshot"};
  app.require_subcommand(1);
  std::string file, server_text = "127.0.0.1:6379";
  int timeout_ms = 600000;
  auto* save_cmd = app.add_subcommand("save", "save a consistent snapshot of a live cluster");
  save_cmd->add_option("file", file, "where to write it")->required();
  save_cmd->add_option("-s,--server", server_text, "any member's client address")
      ->capture_default_str();
  save_cmd->add_option("--timeout-ms", timeout_ms, "give up after this long")
      ->capture_default_str();
  ClientCredentials credentials;
  add_client_credential_options(*save_cmd, &credentials);
  RestoreArgs r;
  auto* restore_cmd = app.add_subcommand("restore", "seed one member of a new cluster");
  restore_cmd->add_option("file", r.file, "a file from 'raftkv snapshot save'")->required();
  restore_cmd->add_option("--data-dir", r.data_dir, "the new member's (empty) data directory")
      ->required();
  restore_cmd->add_option("--id", r.id, "the new member's id")->required();
  restore_cmd
      ->add_option("--initial-cluster", r.initial_cluster,
                   "the new cluster's members, id=host:port of each peer address")
      ->required();
  restore_cmd->add_option("--cluster-id", r.cluster_id,
                          "the new cluster's id (default: derived from the file and members)");
  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv snapshot")) return *exit_code;
  set_client_credentials(credentials);
  if (save_cmd->parsed()) return save(file, server_text, timeout_ms);
  return restore(r);
}

int run_recover_command(int argc, const char* const* argv) {
  CLI::App app{
      "raftkv recover: make a stopped member the only member of its cluster, when a majority "
      "is lost for good (UNSAFE: acknowledged writes it lacks are lost; see "
      "docs/operations.md)",
      "raftkv recover"};
  std::string data_dir;
  bool force = false;
  app.add_option("--data-dir", data_dir, "the stopped survivor's data directory")->required();
  app.add_flag("--force-new-cluster", force, "required: says that you mean it");
  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv recover")) return *exit_code;
  if (!force) {
    std::cerr << "raftkv recover: --force-new-cluster is required (read docs/operations.md, "
                 "\"Backup and recovery\", first)\n";
    return 2;
  }
  return force_new_cluster(data_dir);
}

}  // namespace raftkv::server
