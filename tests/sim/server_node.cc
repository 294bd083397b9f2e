#include "sim/server_node.h"

#include <deque>
#include <utility>

#include "server/snapshot_image.h"
#include "sim/durable_disk.h"
#include "storage/file_names.h"
#include "storage/snapshot_file.h"

namespace raftkv::sim {

// The server's StateMachine interface over the key-value state machine, as
// raftkv::server::Server implements it (less the member directory).
class ServerNode::Replica : public server::StateMachine {
 public:
  explicit Replica(ServerNode& node) : node_(node) {}
  std::string apply(const raft::Entry& e) override {
    kv::StateMachine& machine = *node_.machine_;
    std::string reply = e.type == raft::EntryType::kConfChange ? (machine.apply(e.index, {}), "")
                                                               : machine.apply(e.index, e.data);
    node_.env_.applied(node_.id_, e, machine);
    node_.after_apply();
    return reply;
  }
  // The server's image format (server/snapshot_image.h), with no members.
  std::string restore(const raft::Snapshot& s) override {
    server::SnapshotImage img;
    if (std::string err = server::decode_snapshot_image(s.data, &img); !err.empty()) return err;
    kv::Status st = node_.machine_->restore(img.kv);
    if (!st) return st.message();
    if (node_.machine_->applied_index() != s.meta.index) return "image at the wrong index";
    node_.applied_since_snapshot_ = 0;
    node_.snapshots_installed_ += node_.up();  // not the one a boot starts from
    return "";
  }

 private:
  ServerNode& node_;
};

// A client connection as the server's ClientConnection keeps it: replies go out in the
// order the commands came in, whatever order they complete in.
class ServerNode::Connection : public server::ReplyTarget {
 public:
  Connection(uint64_t id, const Env& env) : id_(id), env_(env) { state.id = id; }
  uint64_t accept(uint64_t op) {
    replies_.push_back({op, std::nullopt});
    return next_seq_++;
  }
  void complete(uint64_t seq, std::string bytes) override {
    if (closed_ || seq < first_seq_ || seq - first_seq_ >= replies_.size()) return;
    auto& slot = replies_[seq - first_seq_];
    if (slot.second) return;
    slot.second = std::move(bytes);
    while (!replies_.empty() && replies_.front().second) {
      env_.reply(id_, replies_.front().first, std::move(*replies_.front().second));
      replies_.pop_front();
      ++first_seq_;
    }
  }
  void close() { closed_ = true; }
  kv::ClientState state;

 private:
  uint64_t id_;
  const Env& env_;
  std::deque<std::pair<uint64_t, std::optional<std::string>>> replies_;
  uint64_t first_seq_ = 0;
  uint64_t next_seq_ = 0;
  bool closed_ = false;
};

ServerNode::ServerNode(raft::NodeId id, const raft::ConfState& conf, EventQueue& queue, Rng rng,
                       ServerNodeConfig config, Env env)
    : id_(id), queue_(queue), rng_(rng), config_(config), env_(std::move(env)), runtime_(queue) {
  storage_.set_conf_state(conf);
  if (config_.durable_disk) {
    fs_ = std::make_unique<storage::FaultFileSystem>(rng_.next());
    if (config_.skip_fsync) no_sync_fs_ = make_no_sync_file_system(fs_.get());
    if (open_log()) {
      if (auto s = log_->set_conf_state(conf); !s.ok()) recovery_error_ = s.to_string();
    }
  }
  boot();
}

bool ServerNode::open_log() {
  storage::DurableStorageOptions o;
  o.dir = "log";
  o.segment_bytes = 4096;  // small: runs cross segment boundaries
  storage::FileSystem* fs = no_sync_fs_ ? no_sync_fs_.get() : fs_.get();
  if (auto s = storage::DurableStorage::open(fs, o, &log_); !s.ok()) {
    recovery_error_ = "n" + std::to_string(id_) + ": log recovery failed: " + s.to_string();
    return false;
  }
  log_sink_ = std::make_unique<server::DurableSink>(log_.get());
  return true;
}

ServerNode::~ServerNode() {
  runtime_.crash();  // nothing scheduled may run into a destroyed node
  service_.reset();
  driver_.reset();
}

void ServerNode::boot() {
  ++boots_;
  machine_ = std::make_unique<kv::StateMachine>();
  replica_ = std::make_unique<Replica>(*this);
  applied_since_snapshot_ = 0;
  snapshot_posted_ = false;
  // As the server at startup: the state machine starts from the last snapshot, and the
  // core from its index; the log after it is applied again.
  const raft::Snapshot snap = log().snapshot();
  if (!snap.empty()) {
    if (std::string err = replica_->restore(snap); !err.empty()) {
      recovery_error_ = "n" + std::to_string(id_) + ": snapshot at boot: " + err;
      replica_.reset();
      machine_.reset();
      return;
    }
  }
  server::RaftDriver::Options o;
  o.raft.id = id_;
  o.raft.election_tick = config_.election_tick;
  o.raft.heartbeat_tick = 1;
  o.raft.random_seed = rng_.next();
  o.raft.applied = snap.meta.index;  // the rest of the state is rebuilt from the log
  o.tick = config_.tick;
  o.request_timeout = config_.request_timeout;
  o.boot_nonce = rng_.next();
  server::LogSink& sink = log_sink_ ? static_cast<server::LogSink&>(*log_sink_) : sink_;
  raft::Storage* storage = &log();
  auto disk = std::make_unique<SimDiskQueue>(runtime_, queue_, sink, rng_.fork(), config_.disk,
                                             &stall_until_);
  driver_ =
      std::make_unique<server::RaftDriver>(runtime_, o, storage, std::move(disk), replica_.get(),
                                           [this](std::vector<raft::Message> msgs) {
                                             for (auto& m : msgs) env_.send(std::move(m));
                                           });
  server::ClientService::Hooks hooks;
  hooks.client_address = [](raft::NodeId leader) -> std::optional<std::string> {
    if (leader == raft::kNoNode) return std::nullopt;
    return "n" + std::to_string(leader) + ":0";
  };
  service_ = std::make_unique<server::ClientService>(runtime_, *driver_, *machine_, stats_,
                                                     std::move(hooks), config_.bugs);
  driver_->start();
}

void ServerNode::after_apply() {
  if (config_.snapshot_every == 0 || ++applied_since_snapshot_ < config_.snapshot_every) return;
  if (snapshot_posted_) return;
  snapshot_posted_ = true;  // after the apply loop, as the server's policy check runs
  runtime_.schedule(0, [this] { take_snapshot(); });
}

void ServerNode::take_snapshot() {
  snapshot_posted_ = false;
  if (!up() || driver_->failed()) return;
  const raft::Index index = driver_->applied_index();
  if (index <= log().snapshot().meta.index) return;
  raft::StorageResult<raft::Term> term = log().term(index);
  if (!term) return;  // applied before it was written (apply-early): next time
  applied_since_snapshot_ = 0;
  raft::Snapshot snap{raft::SnapshotMeta{index, *term, driver_->node().conf_at(index)},
                      server::encode_snapshot_image(machine_->serialize(), {})};
  driver_->run_on_disk([this, snap = std::move(snap)] { return compact_to(snap); },
                       [this](std::optional<std::string> err) { snapshots_taken_ += !err; });
}

std::optional<std::string> ServerNode::compact_to(const raft::Snapshot& snap) {
  if (!log_) {
    // Compacted already past it (a snapshot installed meanwhile): dropped.
    if (auto err = storage_.compact(snap.meta.index, snap.meta.conf, snap.data);
        err && *err != raft::StorageError::kCompacted) {
      return "compaction failed";
    }
    return std::nullopt;
  }
  storage::FileSystem* fs = no_sync_fs_ ? no_sync_fs_.get() : fs_.get();
  if (auto s = storage::write_snapshot_file(fs, "log", snap); !s.ok()) return s.to_string();
  return server::adopt_snapshot_file(
      log_.get(), fs, storage::join_path("log", storage::snapshot_file_name(snap.meta.index)),
      snap.meta);
}

void ServerNode::deliver(raft::Message m) {
  if (!up()) return;
  runtime_.schedule(0, [this, m = std::move(m)] { driver_->step(m); });
}

void ServerNode::request(uint64_t conn, uint64_t op, kv::Argv argv) {
  if (!up()) return;
  runtime_.schedule(0, [this, conn, op, argv = std::move(argv)]() mutable {
    auto& c = connections_[conn];
    if (!c) c = std::make_shared<Connection>(conn, env_);
    uint64_t seq = c->accept(op);
    service_->handle(std::move(argv), c->state, server::ReplySlot(c, seq));
  });
}

void ServerNode::crash() {
  if (!up()) return;
  runtime_.crash();
  for (auto& [id, c] : connections_) c->close();
  connections_.clear();
  // The process is gone: its pending requests get no answer (no stop(): a dead process
  // tells its clients nothing; they time out or see the connection drop).
  service_.reset();
  driver_.reset();
  replica_.reset();
  machine_.reset();
  stall_until_ = 0;
  if (fs_) {
    // The power fails: what was not synced is lost, or the last write torn.
    log_sink_.reset();
    log_.reset();
    static constexpr storage::CrashMode kModes[] = {storage::CrashMode::kLoseUnsynced,
                                                    storage::CrashMode::kTornLastWrite,
                                                    storage::CrashMode::kRandom};
    fs_->crash(kModes[rng_.uniform(0, 2)]);
  }
}

void ServerNode::restart() {
  if (up()) return;
  if (fs_ && !open_log()) return;  // stays down; the simulation reports recovery_error()
  boot();
}

}  // namespace raftkv::sim
