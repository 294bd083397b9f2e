#include "sim/server_node.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <charconv>
#include <deque>
#include <utility>

#include "kv/resp_writer.h"
#include "server/snapshot_image.h"
#include "sim/durable_disk.h"
#include "storage/file_names.h"
#include "storage/snapshot_file.h"

namespace raftkv::sim {

net::PeerAddress sim_peer_address(raft::NodeId id) {
  return net::PeerAddress{"10.0.0." + std::to_string(id), 7000};
}

std::string sim_client_address(raft::NodeId id) {
  return "10.0.0." + std::to_string(id) + ":6379";
}

raft::NodeId sim_node_at(std::string_view address) {
  constexpr std::string_view kPrefix = "10.0.0.", kSuffix = ":6379";
  if (!address.starts_with(kPrefix) || !address.ends_with(kSuffix)) return raft::kNoNode;
  const std::string_view digits =
      address.substr(kPrefix.size(), address.size() - kPrefix.size() - kSuffix.size());
  raft::NodeId id = raft::kNoNode;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  return ec == std::errc() && end == digits.data() + digits.size() ? id : raft::kNoNode;
}

namespace {

// The membership service logs each configuration; thousands of simulated runs stay quiet.
std::shared_ptr<spdlog::logger> quiet_logger() {
  static const auto logger =
      std::make_shared<spdlog::logger>("sim", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

}  // namespace

// The server's StateMachine interface over the key-value state machine and the membership
// service, as raftkv::server::Server implements it.
class ServerNode::Replica : public server::StateMachine {
 public:
  explicit Replica(ServerNode& node) : node_(node) {}
  std::string apply(const raft::Entry& e) override {
    kv::StateMachine& machine = *node_.machine_;
    std::string reply = node_.membership_->apply(e) ? (machine.apply(e.index, {}), "")
                                                    : machine.apply(e.index, e.data);
    node_.env_.applied(node_.id_, e, machine);
    node_.after_apply();
    return reply;
  }
  // The server's image format (server/snapshot_image.h): the key space and the members.
  std::string restore(const raft::Snapshot& s) override {
    server::SnapshotImage img;
    if (std::string err = server::decode_snapshot_image(s.data, &img); !err.empty()) return err;
    server::MemberDirectory members;
    for (const auto& [id, value] : img.members) {
      if (!members.set_encoded(id, value)) return "malformed member " + std::to_string(id);
    }
    kv::Status st = node_.machine_->restore(img.kv);
    if (!st) return st.message();
    if (node_.machine_->applied_index() != s.meta.index) return "image at the wrong index";
    node_.membership_->restore(std::move(members), s.meta.conf);
    node_.applied_since_snapshot_ = 0;
    node_.snapshots_installed_ += node_.up();  // not the one a boot starts from
    return "";
  }
  void on_conf_entry_appended(const raft::Entry& e) override {
    node_.membership_->on_conf_entry_appended(e);
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
  server::MembershipService::Options mo;
  mo.id = id_;
  mo.listen_peer = sim_peer_address(id_);
  mo.advertise_client = sim_client_address(id_);
  mo.promote_max_lag = config_.promote_max_lag;
  mo.logger = quiet_logger();
  links_.assign({});  // a new process: its transport dials nobody yet
  handshakes_.clear();
  membership_ =
      std::make_unique<server::MembershipService>(std::move(mo), links_, config_.membership_bugs);
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
      membership_.reset();
      return;
    }
  }
  // As Server::open: the peers it was given and those the directory knows, which the
  // transport starts with.
  membership_->add_known_peers(config_.initial_peers);
  links_.assign(membership_->peers());
  server::RaftDriver::Options o;
  o.raft.id = id_;
  o.raft.election_tick = config_.election_tick;
  o.raft.heartbeat_tick = 1;
  o.raft.random_seed = rng_.next();
  o.raft.vote_only_when_configured = true;  // as the server
  o.raft.applied = snap.meta.index;         // the rest of the state is rebuilt from the log
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
                                             for (auto& m : msgs) {
                                               // The transport has no route to a peer
                                               // it does not dial: the message is lost.
                                               if (links_.dials(m.to)) env_.send(std::move(m));
                                             }
                                           });
  server::ClientService::Hooks hooks;
  hooks.client_address = [this](raft::NodeId id) {
    return membership_->directory().client_address(id);
  };
  hooks.server_command = [this](const kv::Argv& argv, const kv::CommandSpec& spec,
                                server::ReplySlot& slot) { server_command(argv, spec, slot); };
  service_ = std::make_unique<server::ClientService>(runtime_, *driver_, *machine_, stats_,
                                                     std::move(hooks), config_.bugs);
  membership_->attach(*driver_, *service_);
  membership_->connect_to_members(driver_->status().conf);  // drop members removed before
  driver_->start();
  role_tick();
}

void ServerNode::server_command(const kv::Argv& argv, const kv::CommandSpec& spec,
                                server::ReplySlot& slot) {
  // RAFT BACKUP writes a file of the server's: not simulated.
  if (spec.id != kv::CommandId::kRaft || strcasecmp(argv[1].c_str(), "BACKUP") == 0) {
    slot.complete(kv::encode_error("ERR unsupported command"));
    return;
  }
  membership_->handle_raft_command(argv, slot);
}

void ServerNode::role_tick() {
  // As the server's role timer: once a tick, the links follow the configuration and a
  // leader records missing client addresses.
  membership_->tick(driver_->status());
  runtime_.after(config_.tick, [this] { role_tick(); });
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
  raft::Snapshot snap{
      raft::SnapshotMeta{index, *term, driver_->node().conf_at(index)},
      server::encode_snapshot_image(machine_->serialize(), membership_->directory().encoded())};
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
  runtime_.schedule(0, [this, m = std::move(m)] {
    // The first message of a peer stands for its connection's handshake, which tells the
    // client and peer addresses it advertises.
    if (handshakes_.insert(m.from).second) {
      membership_->learned_client(m.from, sim_client_address(m.from));
      membership_->learned_peer(m.from, sim_peer_address(m.from));
    }
    membership_->heard_from(m);
    driver_->step(m);
  });
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
  membership_.reset();
  links_.assign({});
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

void ServerNode::rejoin(std::map<raft::NodeId, net::PeerAddress> peers) {
  crash();
  config_.initial_peers = std::move(peers);
  storage_ = raft::MemoryStorage();
  recovery_error_.clear();
  if (fs_) {
    fs_ = std::make_unique<storage::FaultFileSystem>(rng_.next());
    no_sync_fs_ = config_.skip_fsync ? make_no_sync_file_system(fs_.get()) : nullptr;
    if (!open_log()) return;
  }
  boot();
}

void ServerNode::restart() {
  if (up()) return;
  if (fs_ && !open_log()) return;  // stays down; the simulation reports recovery_error()
  boot();
}

}  // namespace raftkv::sim
