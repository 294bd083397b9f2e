// One raftkv node: the Raft driver, the peer transport, the durable log, the key-value
// state machine and the Redis-protocol listener, all on one event loop (plus the disk
// thread inside DiskWriter).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "kv/state_machine.h"
#include "net/peer_address.h"
#include "net/transport_options.h"
#include "server/background_worker.h"
#include "server/client_connection.h"
#include "server/client_service.h"
#include "server/data_dir.h"
#include "server/member_directory.h"
#include "server/membership_service.h"
#include "server/memory_limit.h"
#include "server/metrics_http.h"
#include "server/options.h"
#include "server/password_check.h"
#include "server/pubsub_hub.h"
#include "server/raft_driver.h"
#include "server/runtime.h"
#include "server/runtime_config.h"
#include "server/server_stats.h"
#include "server/snapshot_receiver.h"
#include "server/snapshot_sender.h"
#include "server/snapshot_taker.h"

namespace raftkv::net {
class PeerTransport;
}
namespace raftkv::storage {
class DurableStorage;
class FileSystem;
}  // namespace raftkv::storage

namespace raftkv::server {

struct NodeSample;

class Server : public CommandHandler, public StateMachine, public PeerLinks {
 public:
  explicit Server(ServerOptions options);
  ~Server() override;

  // Opens the data directory and recovers; returns an error message on failure.
  std::string open();
  // Serves until SIGINT/SIGTERM; returns the process exit code.
  int run();

  void handle(kv::Argv argv, kv::ClientState& client, ReplySlot slot) override;
  void on_connect(const ClientConnection& conn) override;
  void on_disconnect(const ClientConnection& conn) override;
  // CLIENT LIST: one line per connected client, in Redis's format.
  std::string client_list() const;
  // CLIENT INFO: the line of client `id` (empty if it is gone).
  std::string client_info(uint64_t id) const;
  // CLIENT KILL (server_introspection.cc): its RESP reply.
  std::string client_kill(const kv::Argv& argv, const ReplySlot& slot);
  // StateMachine, for the driver: applies a committed entry.
  std::string apply(const raft::Entry& entry) override;
  void prefetch(std::span<const raft::Entry> entries) override;
  std::string restore(const raft::Snapshot& snapshot) override;
  void on_conf_entry_appended(const raft::Entry& entry) override;
  // PeerLinks, for the membership service: whom the transport dials.
  void set_peer(raft::NodeId id, const net::PeerAddress& address) override;
  void remove_peer(raft::NodeId id) override;

 private:
  // A client port: plaintext, or TLS when `tls` is set.
  struct ClientListener {
    explicit ClientListener(asio::io_context& io) : acceptor(io), retry_timer(io) {}
    asio::ip::tcp::acceptor acceptor;
    asio::steady_timer retry_timer;  // one per port: a retry must not cancel the other's
    std::shared_ptr<asio::ssl::context> tls;
  };
  // Opens the plaintext and TLS client ports that are configured; empty, or why not.
  std::string open_client_ports();
  void accept(ClientListener& listener);
  // Fills in how peers authenticate (secrets, mutual TLS); empty, or why not.
  std::string peer_security(net::TransportOptions* topts) const;
  std::string client_line(const ClientConnection& conn) const;
  // Refuses a new connection beyond maxclients or, in protected mode, from a non-loopback
  // address (Redis's reply, then closed); true if it may be served.
  bool admit(asio::ip::tcp::socket& socket);
  // CONFIG SET: the new settings in effect at once, on every connection too.
  void apply_settings(const RuntimeSettings& s);
  // Once a second: idle timeout and the soft output limit of every connection.
  void clients_cron();
  void shutdown();
  void on_role_change();
  raft::NodeId best_transfer_target() const;
  // RAFT: BACKUP here (server_backup.cc), the rest in the membership service.
  void handle_raft_command(const kv::Argv& argv, ReplySlot& slot);
  const MemberDirectory& members() const { return membership_->directory(); }
  void watch_role();
  // `key_slot`: the hash slot of the command's first key (0 without keys), which -MOVED
  // must name for cluster clients to update the right slot.
  std::string redirect_error(RequestError e, uint16_t key_slot = 0) const;
  std::string request_error(RequestError e, uint16_t key_slot = 0) const;
  void handle_server_command(const kv::Argv& argv, const kv::CommandSpec& spec, ReplySlot& slot);
  // MONITOR (server_introspection.cc). monitor_command() feeds every monitor a command as
  // it arrives; true if it answered the command itself (a monitor may not read or write).
  void start_monitor(ReplySlot& slot);
  bool is_monitor(uint64_t client_id) const;
  bool monitor_command(const kv::Argv& argv, uint64_t client_id, ReplySlot& slot);
  // INFO (server_info.cc): the sections named, Redis's default ones if none.
  std::string info(std::span<const std::string> sections) const;
  std::string info_server() const;
  std::string info_clients() const;
  std::string info_memory() const;
  std::string info_persistence() const;
  std::string info_stats() const;
  std::string info_replication() const;
  std::string info_raft() const;
  std::string info_keyspace() const;
  mutable uint64_t peak_memory_ = 0;  // used_memory_peak: the most INFO has seen
  std::string run_id_;                // INFO's run_id: 40 random hex characters per process
  std::string cluster_reply(const kv::Argv& argv) const;
  // ROLE, LASTSAVE, SAVE and SHUTDOWN, with Redis's replies (server_admin.cc).
  std::string role_reply() const;
  int64_t last_save_unix() const;
  void save(ReplySlot slot);
  void shutdown_command(const kv::Argv& argv, ReplySlot& slot);
  // Metrics (server_metrics.cc): /metrics, /health and /ready on --listen-metrics.
  std::string open_metrics();
  NodeSample metrics_sample() const;
  // Counts a change to a new known leader (stats_.leader_changes). Called every tick and
  // before each scrape, so that a scrape never shows a leader the count has not seen.
  void note_leader(raft::NodeId leader);
  uint64_t now_ms() const;
  std::string storage_dir() const { return raft_log_dir(options_.data_dir); }

  // Snapshots (server_snapshots.cc).
  struct SnapshotStats {
    uint64_t taken = 0;
    uint64_t failed = 0;
    uint64_t installed = 0;  // from the leader
    raft::Index last_index = 0;
    uint64_t last_fork_usec = 0;
    uint64_t last_duration_ms = 0;
    uint64_t last_compact_ms = 0;
    std::string last_status = "none";
    int64_t last_save_unix = 0;  // INFO's rdb_last_save_time (0: none yet; then start time)
  };
  std::string restore_at_startup();
  std::string restore_image(const raft::Snapshot& snapshot);
  // Starts a snapshot at the applied index; empty, or why not.
  std::string start_snapshot();
  void maybe_snapshot();
  void on_snapshot_written(raft::SnapshotMeta meta, std::chrono::steady_clock::time_point t0,
                           bool ok, const std::string& error);
  void send_to_peers(std::vector<raft::Message> msgs);
  void on_peer_message(raft::Message m);
  void snapshot_tick();
  // On the leader: proposes an expiry tick while keys are past their deadline (kv docs).
  void expiry_tick();
  void load_snapshot_for(raft::NodeId peer);
  std::string snapshot_info() const;
  // Progress of the log replay at start-up and of snapshot transfers (server_progress.cc).
  void begin_replay(raft::Index from, raft::Index to);
  uint64_t replay_eta_seconds() const;
  void report_progress();
  std::string progress_info() const;
  // RAFT BACKUP (server_backup.cc): once a ReadIndex confirms this leader, a forked child
  // writes the state as of then to a snapshot file, which becomes the reply.
  void backup(ReplySlot slot);
  void take_backup(ReplySlot slot);
  void send_backup(ReplySlot slot, const std::string& path);

  ServerOptions options_;
  asio::io_context io_;
  AsioRuntime runtime_;
  asio::signal_set signals_;
  ClientListener plain_clients_{io_};
  ClientListener tls_clients_{io_};
  asio::steady_timer role_timer_;
  asio::steady_timer clients_timer_;
  ConnectionLimits client_limits_;
  // CONFIG GET/SET/RESETSTAT/REWRITE; its settings are copied into options_ and
  // client_limits_ (apply_settings) where the server reads them.
  std::unique_ptr<RuntimeConfig> config_;
  std::shared_ptr<MemoryLimit> memory_limit_;  // maxmemory
  std::unique_ptr<storage::FileSystem> fs_;
  std::unique_ptr<storage::DurableStorage> storage_;
  std::unique_ptr<net::PeerTransport> transport_;
  // Reads snapshot files to send them, frees compacted log entries. Declared before
  // driver_ so that it outlives the disk thread, whose compaction jobs post to it.
  std::unique_ptr<BackgroundWorker> loader_;
  std::unique_ptr<RaftDriver> driver_;
  kv::StateMachine machine_;
  std::unique_ptr<PasswordCheck> password_;  // requirepass
  std::unique_ptr<ClientService> service_;
  // The member directory, the peers dialled, RAFT's membership commands (built in open(),
  // before the snapshot is restored).
  std::unique_ptr<MembershipService> membership_;
  ServerStats stats_;
  std::map<uint64_t, const ClientConnection*> clients_;  // connected, by client id
  raft::Index applied_index_ = 0;
  uint64_t entries_since_snapshot_ = 0;
  uint64_t bytes_since_snapshot_ = 0;
  uint64_t last_image_bytes_ = 0;  // size of the newest snapshot image (policy: growth)
  SnapshotStats snapshot_stats_;
  // The committed log after the snapshot, applied after a restart.
  struct Replay {
    raft::Index from = 0;  // the snapshot's index
    raft::Index to = 0;    // the commit index known at start
    std::chrono::steady_clock::time_point started;
    int64_t start_unix = 0;
    bool active = false;
  };
  Replay replay_;
  std::chrono::steady_clock::time_point last_progress_log_{};
  std::unique_ptr<SnapshotTaker> taker_;
  std::unique_ptr<SnapshotTaker> backup_taker_;  // RAFT BACKUP, beside the log's snapshots
  std::unique_ptr<SnapshotSender> sender_;
  std::unique_ptr<SnapshotReceiver> receiver_;
  std::unique_ptr<HttpEndpoint> metrics_http_;
  std::vector<std::weak_ptr<ClientConnection>> connections_;
  struct Monitor {
    uint64_t client_id;
    std::weak_ptr<ClientConnection> conn;
  };
  std::vector<Monitor> monitors_;  // MONITOR clients; empty: the feed costs one test
  PubSubHub pubsub_;               // this node's subscribers; PUBLISH entries reach them
  raft::Role last_role_ = raft::Role::kFollower;
  raft::Term last_term_ = 0;
  raft::NodeId last_leader_ = raft::kNoNode;  // for stats_.leader_changes
  bool expiry_tick_pending_ = false;
  bool shutting_down_ = false;
  uint64_t next_client_id_ = 1;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace raftkv::server
