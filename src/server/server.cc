#include "server/server.h"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>
#include <utility>

#include "net/peer_transport.h"
#include "proto/codec.h"
#include "server/data_dir.h"
#include "server/durable_sink.h"
#include "server/heap_stats.h"
#include "server/listener.h"
#include "server/log_context.h"
#include "server/memory_limit.h"
#include "storage/durable_storage.h"
#include "storage/posix_file_system.h"

namespace raftkv::server {

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      runtime_(io_, options_.clock_offset_ms),
      signals_(io_, SIGINT, SIGTERM),
      role_timer_(io_),
      clients_timer_(io_),
      fs_(std::make_unique<storage::PosixFileSystem>()) {}

Server::~Server() = default;

std::string Server::open() {
  options_.maxclients = reserve_file_descriptors(options_.maxclients);
  {
    std::random_device rd;
    for (int i = 0; i < 40; ++i) run_id_ += "0123456789abcdef"[rd() % 16];
  }
  memory_limit_ = std::make_shared<MemoryLimit>(options_.maxmemory, heap_used_bytes);
  RuntimeConfig::Hooks config_hooks;
  config_hooks.on_change = [this](const RuntimeSettings& s) { apply_settings(s); };
  config_hooks.reserve_clients = reserve_file_descriptors;
  config_hooks.reset_stats = [this] { stats_.reset_info_stats(); };
  config_ = std::make_unique<RuntimeConfig>(RuntimeSettings::from(options_), options_.config_file,
                                            std::move(config_hooks));
  apply_settings(config_->settings());
  MembershipService::Options mopts;
  mopts.id = options_.id;
  mopts.listen_peer = options_.listen_peer;
  mopts.advertise_client = options_.advertise_client.to_string();
  mopts.promote_max_lag = options_.promote_max_lag;
  membership_ = std::make_unique<MembershipService>(std::move(mopts), *this);
  if (auto err = claim_data_dir(fs_.get(), options_.data_dir, options_.cluster_id, options_.id);
      !err.empty()) {
    return err;
  }
  storage::DurableStorageOptions so;
  so.dir = storage_dir();
  so.keep_snapshot_data = false;
  so.repair = options_.repair_log;
  so.segment_bytes =
      options_.wal_segment_bytes;  // the image stays on disk; read when it must be sent
  storage::RecoveryReport report;
  if (auto s = storage::DurableStorage::open(fs_.get(), so, &storage_, &report); !s.ok()) {
    return "cannot open the log in " + so.dir + ": " + s.to_string();
  }
  for (const auto& action : report.actions) spdlog::warn("recovery: {}", action);

  raft::InitialState init = storage_->initial_state();
  g_log_term.store(init.hard_state.term, std::memory_order_relaxed);
  if (init.conf.voters.empty() && options_.join) {
    spdlog::info("joining cluster '{}': waiting to be added (RAFT ADD-LEARNER {} ...)",
                 options_.cluster_id, options_.id);
  } else if (init.conf.voters.empty()) {
    // A brand-new node of a new cluster: the configuration comes from --initial-cluster.
    raft::ConfState conf;
    for (const auto& [id, _] : options_.initial_cluster) conf.voters.push_back(id);
    if (auto s = storage_->set_conf_state(conf); !s.ok()) {
      return "cannot initialise the log: " + s.to_string();
    }
    spdlog::info("new cluster '{}' with {} members", options_.cluster_id, conf.voters.size());
  } else {
    spdlog::info("recovered log: first index {}, last index {}, term {}, commit {}",
                 storage_->first_index(), storage_->last_index(), init.hard_state.term,
                 init.hard_state.commit);
  }

  // The newest snapshot, then only the log after it. A snapshot that cannot be loaded stops
  // the node: starting empty would silently lose the state (the storage already refused a
  // damaged file when it opened).
  if (std::string err = restore_at_startup(); !err.empty()) {
    return "cannot load the snapshot in " + so.dir + ": " + err +
           "; refusing to start with an empty state (move the data directory away to have "
           "this node rebuilt from the leader's snapshot)";
  }
  const raft::Index snapshot_index = storage_->snapshot().meta.index;
  applied_index_ = snapshot_index;
  if (init.hard_state.commit > snapshot_index) begin_replay(snapshot_index, init.hard_state.commit);
  // Anything protobuf initialises lazily is set up now, before a snapshot child may fork
  // while another thread holds a lock inside it.
  (void)proto::encode(raft::Snapshot{});
  taker_ =
      std::make_unique<SnapshotTaker>(io_, std::chrono::milliseconds(options_.snapshot_timeout_ms));
  backup_taker_ =
      std::make_unique<SnapshotTaker>(io_, std::chrono::milliseconds(options_.snapshot_timeout_ms));
  loader_ = std::make_unique<BackgroundWorker>();
  sender_ = std::make_unique<SnapshotSender>(
      SnapshotSender::Options{},
      [this](raft::Message m) {
        m.from = options_.id;
        transport_->send(std::move(m));
      },
      [this](raft::NodeId peer) { load_snapshot_for(peer); }, std::random_device{}() << 20);
  receiver_ = std::make_unique<SnapshotReceiver>(
      options_.id, /*max_bytes=*/16ull << 30,
      [this](raft::Message m) { transport_->send(std::move(m)); });

  RaftDriver::Options dopts;
  dopts.raft.applied = snapshot_index;
  dopts.raft.id = options_.id;
  dopts.raft.election_tick = options_.election_ticks;
  dopts.raft.heartbeat_tick = options_.heartbeat_ticks;
  dopts.raft.random_seed = std::random_device{}();
  dopts.raft.max_size_per_msg = 1 << 20;
  dopts.raft.max_committed_size_per_ready = 1 << 20;  // see RaftDriver::kMaxApplyBytesPerTurn
  dopts.raft.max_inflight_msgs = 256;
  // A node may rejoin under a removed member's id after its data was wiped (docs/
  // operations.md); membership changes promote only caught-up learners.
  dopts.raft.vote_only_when_configured = true;
  dopts.tick = std::chrono::milliseconds(options_.tick_ms);
  dopts.request_timeout = std::chrono::milliseconds(options_.request_timeout_ms);
  dopts.boot_nonce = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  driver_ = std::make_unique<RaftDriver>(
      runtime_, dopts, storage_.get(),
      std::make_unique<DiskWriter>(std::make_unique<DurableSink>(storage_.get())), this,
      [this](std::vector<raft::Message> msgs) { send_to_peers(std::move(msgs)); });

  ClientService::Hooks hooks;
  hooks.client_address = [this](raft::NodeId id) { return members().client_address(id); };
  hooks.server_command = [this](const kv::Argv& argv, const kv::CommandSpec& spec,
                                ReplySlot& slot) { handle_server_command(argv, spec, slot); };
  hooks.client_list = [this] { return client_list(); };
  hooks.client_info = [this](uint64_t id) { return client_info(id); };
  password_ = std::make_unique<PasswordCheck>(options_.requirepass);
  hooks.password = password_.get();
  // Always installed: CONFIG SET maxmemory may turn the limit on later.
  hooks.out_of_memory = [this, limit = memory_limit_] {
    if (!limit->enabled()) return false;  // no clock read on every write without a limit
    using std::chrono::duration_cast, std::chrono::milliseconds;
    return limit->over(duration_cast<milliseconds>(runtime_.now().time_since_epoch()).count());
  };
  hooks.client_kill = [this](const kv::Argv& argv, const ReplySlot& slot) {
    return client_kill(argv, slot);
  };
  hooks.close_client = [](const ReplySlot& slot) {
    if (auto conn = std::dynamic_pointer_cast<ClientConnection>(slot.target())) {
      spdlog::info("client {} ({}) closed: its ACL user was deleted", conn->state().id,
                   conn->peer());
      conn->close();
    }
  };
  hooks.pubsub = [this](const kv::Argv& argv, const kv::CommandSpec& spec, kv::ClientState& client,
                        ReplySlot& slot) { pubsub_.command(argv, spec, client, slot); };
  hooks.reset = [this](kv::ClientState& client, ReplySlot&) {
    std::erase_if(monitors_, [&](const Monitor& m) { return m.client_id == client.id; });
    pubsub_.drop(client);
  };
  machine_.set_publish_sink(&pubsub_);  // applied PUBLISH entries reach this node's subscribers
  service_ =
      std::make_unique<ClientService>(runtime_, *driver_, machine_, stats_, std::move(hooks));
  membership_->attach(*driver_, *service_);

  net::TransportOptions topts;
  topts.cluster_id = options_.cluster_id;
  topts.listen_address = options_.listen_peer;
  topts.logger = spdlog::default_logger();
  topts.advertised_client_address = options_.advertise_client.to_string();
  // Where peers dial us back: the address the member directory records for us, unless it
  // names no one host (a wildcard listen, or a port the kernel picks).
  const net::PeerAddress& own = options_.listen_peer;
  if (own.port != 0 && own.host != "0.0.0.0" && own.host != "::") {
    topts.advertised_peer_address = own.to_string();
  }
  if (auto err = peer_security(&topts); !err.empty()) return err;
  // Peers: the command line's, then any the replicated directory knows (members added
  // later, from a snapshot); the log replayed after start adds the rest.
  membership_->add_known_peers(options_.initial_cluster);
  transport_ = std::make_unique<net::PeerTransport>(
      io_, options_.id, membership_->peers(),
      [this](raft::Message m) { on_peer_message(std::move(m)); }, topts);
  transport_->set_peer_info_handler([this](raft::NodeId id, const std::string& client) {
    membership_->learned_client(id, client);
  });
  transport_->set_peer_address_handler([this](raft::NodeId id, const net::PeerAddress& peer) {
    membership_->learned_peer(id, peer);
  });
  transport_->set_unreachable_handler([this](raft::NodeId id) { driver_->report_unreachable(id); });
  if (auto ec = transport_->start()) {
    return "cannot listen for peers on " + options_.listen_peer.to_string() + ": " + ec.message();
  }
  membership_->connect_to_members(driver_->status().conf);  // drop members removed before a restart

  if (std::string err = open_client_ports(); !err.empty()) return err;
  return open_metrics();
}

int Server::run() {
  started_ = std::chrono::steady_clock::now();
  signals_.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    shutdown();
  });
  driver_->start();
  if (plain_clients_.acceptor.is_open()) accept(plain_clients_);
  if (tls_clients_.acceptor.is_open()) accept(tls_clients_);
  watch_role();
  clients_cron();
  spdlog::info("serving Redis clients on {}{} (advertised as {}), peers on {}",
               options_.listen_client.port != 0 ? options_.listen_client.to_string()
                                                : std::string("no plaintext port"),
               options_.tls_port != 0 ? ", TLS on port " + std::to_string(options_.tls_port) : "",
               options_.advertise_client.to_string(), options_.listen_peer.to_string());
  pthread_setname_np(pthread_self(), "raftkv-io");  // the event loop, in top -H and perf
  io_.run();
  spdlog::info("stopped");
  return 0;
}

void Server::shutdown() {
  // A leader first hands over, so the cluster does not wait out an election timeout.
  if (!shutting_down_ && driver_->is_leader()) {
    if (raft::NodeId to = best_transfer_target();
        to != raft::kNoNode && !driver_->transfer_leadership(to)) {
      shutting_down_ = true;
      spdlog::info("handing leadership to node {} before stopping", to);
      auto timer = std::make_shared<asio::steady_timer>(io_);
      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(2 * options_.tick_ms * options_.election_ticks);
      auto poll = std::make_shared<std::function<void()>>();
      *poll = [this, timer, deadline, poll] {
        if (!driver_->is_leader() || std::chrono::steady_clock::now() >= deadline) {
          // Break the self-reference, but keep this closure (and the `this` it holds) alive
          // until it returns: clearing *poll alone destroyed it before shutdown() ran.
          const std::function<void()> running = std::exchange(*poll, nullptr);
          shutdown();
          return;
        }
        timer->expires_after(std::chrono::milliseconds(options_.tick_ms));
        timer->async_wait([poll](const asio::error_code& ec) {
          if (!ec && *poll) (*poll)();
        });
      };
      (*poll)();
      return;
    }
  }
  shutting_down_ = true;
  asio::error_code ec;
  for (ClientListener* l : {&plain_clients_, &tls_clients_}) {
    l->acceptor.close(ec);
    l->retry_timer.cancel();
  }
  if (metrics_http_) metrics_http_->close();
  role_timer_.cancel();
  clients_timer_.cancel();
  driver_->stop();
  for (auto& weak : connections_) {
    if (auto c = weak.lock()) c->close();
  }
  transport_.reset();
  io_.stop();
}

std::string Server::peer_security(net::TransportOptions* topts) const {
  topts->cluster_secrets = options_.cluster_secrets;
  if (options_.peer_tls.cert_file.empty()) return "";
  if (auto err = net::make_tls_server_context(options_.peer_tls, net::ClientCertPolicy::kRequire,
                                              &topts->tls_server);
      !err.empty()) {
    return "peer TLS: " + err;
  }
  if (auto err = net::make_tls_client_context(options_.peer_tls, &topts->tls_client);
      !err.empty()) {
    return "peer TLS: " + err;
  }
  return "";
}

std::string Server::open_client_ports() {
  if (options_.listen_client.port != 0) {
    if (auto err = open_listener(plain_clients_.acceptor, options_.listen_client, "clients");
        !err.empty()) {
      return err;
    }
  }
  if (options_.tls_port == 0) return "";
  if (auto err =
          net::make_tls_server_context(options_.tls, options_.tls_auth_clients, &tls_clients_.tls);
      !err.empty()) {
    return "client TLS: " + err;
  }
  return open_listener(tls_clients_.acceptor, {options_.listen_client.host, options_.tls_port},
                       "TLS clients");
}

void Server::accept(ClientListener& listener) {
  listener.acceptor.async_accept(
      [this, &listener](const asio::error_code& ec, asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of file descriptors, say: accepting again at once would spin on the same error.
          spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
          listener.retry_timer.expires_after(std::chrono::milliseconds(100));
          listener.retry_timer.async_wait([this, &listener](const asio::error_code& e) {
            if (!e) accept(listener);
          });
          return;
        }
        if (admit(socket)) {
          auto conn = std::make_shared<ClientConnection>(std::move(socket), this, next_client_id_++,
                                                         client_limits_, listener.tls.get());
          conn->set_config(config_.get());
          std::erase_if(connections_, [](const auto& w) { return w.expired(); });
          connections_.push_back(conn);
          conn->start();
        }
        accept(listener);
      });
}

void Server::apply_settings(const RuntimeSettings& s) {
  options_.maxclients = s.maxclients;
  options_.timeout_seconds = s.timeout_seconds;
  options_.maxmemory = s.maxmemory;
  options_.protected_mode = s.protected_mode;
  options_.snapshot_entries = s.snapshot_entries;
  options_.snapshot_bytes = s.snapshot_bytes;
  options_.snapshot_growth_percent = s.snapshot_growth_percent;
  memory_limit_->set_max(s.maxmemory);
  stats_.slowlog.set_settings(s.slowlog);
  client_limits_.parser.max_bulk_len = s.proto_max_bulk_len;
  client_limits_.parser.max_buffered_bytes = s.client_query_buffer_limit;
  client_limits_.output = s.output;
  client_limits_.pubsub = s.pubsub;
  for (const auto& weak : connections_) {
    if (auto c = weak.lock()) c->set_limits(client_limits_);
  }
}

bool Server::admit(asio::ip::tcp::socket& socket) {
  std::string_view refusal;
  asio::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return false;  // already gone
  if (stats_.connected_clients >= options_.maxclients) {
    refusal = kMaxClientsError;
  } else if (options_.protected_mode && options_.requirepass.empty() &&
             !protected_mode_allows(peer.address())) {
    refusal = kProtectedModeError;
  } else {
    return true;
  }
  // Best effort, as Redis: one non-blocking write into a fresh socket, then close.
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(refusal.data(), refusal.size()), ec);
  ++stats_.rejected_connections;
  spdlog::debug("refused client {}: {}", peer.address().to_string(),
                refusal == kMaxClientsError ? "maxclients reached" : "protected mode");
  socket.close(ec);
  return false;
}

void Server::clients_cron() {
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::seconds idle(options_.timeout_seconds);
  for (const auto& weak : connections_) {
    // A monitor or subscriber that only listens is not idle (Redis exempts them too).
    auto c = weak.lock();
    const bool listens = c && (c->state().subscriptions != 0 || is_monitor(c->state().id));
    if (c) c->check_timeouts(now, listens ? std::chrono::seconds(0) : idle);
  }
  clients_timer_.expires_after(std::chrono::seconds(1));
  clients_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) clients_cron();
  });
}

void Server::on_connect(const ClientConnection& conn) {
  ++stats_.connected_clients;
  ++stats_.total_connections;
  clients_[conn.state().id] = &conn;
}

void Server::on_disconnect(const ClientConnection& conn) {
  --stats_.connected_clients;
  clients_.erase(conn.state().id);
  std::erase_if(monitors_, [&](const Monitor& m) { return m.client_id == conn.state().id; });
  pubsub_.on_disconnect(conn.state().id);
  if (service_) service_->on_disconnect(conn.state().id);
}

std::string Server::apply(const raft::Entry& entry) {
  if (options_.key_load_delay_us > 0 && replay_.active && entry.index <= replay_.to) {
    std::this_thread::sleep_for(std::chrono::microseconds(options_.key_load_delay_us));
  }
  applied_index_ = entry.index;
  ++entries_since_snapshot_;
  bytes_since_snapshot_ += entry.data.size();
  if (membership_->apply(entry)) {
    machine_.apply(entry.index, {});  // keeps the state machine's applied index in step
    return {};
  }
  return machine_.apply(entry.index, entry.data);
}

void Server::prefetch(std::span<const raft::Entry> entries) {
  std::string_view commands[StateMachine::kPrefetchBatch];
  size_t n = 0;
  for (const raft::Entry& e : entries) {
    if (n == StateMachine::kPrefetchBatch) break;
    if (e.type == raft::EntryType::kNormal && !e.data.empty()) commands[n++] = e.data;
  }
  machine_.prefetch(std::span<const std::string_view>(commands, n));
}

void Server::on_conf_entry_appended(const raft::Entry& entry) {
  membership_->on_conf_entry_appended(entry);
}

void Server::set_peer(raft::NodeId id, const net::PeerAddress& address) {
  if (transport_) transport_->set_peer(id, address);  // before start, open() passes them all
}

void Server::remove_peer(raft::NodeId id) {
  if (transport_) transport_->remove_peer(id);
}

raft::NodeId Server::best_transfer_target() const {
  const raft::Status st = driver_->status();
  raft::NodeId best = raft::kNoNode;
  raft::Index best_match = 0;
  for (const auto& [id, pr] : st.progress) {
    if (id == options_.id || !st.is_voter(id)) continue;
    if (best == raft::kNoNode || pr.match > best_match) {
      best = id;
      best_match = pr.match;
    }
  }
  return best;
}

void Server::watch_role() {
  role_timer_.expires_after(std::chrono::milliseconds(options_.tick_ms));
  role_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    on_role_change();
    snapshot_tick();
    expiry_tick();
    watch_role();
  });
}

void Server::expiry_tick() {
  // Writes purge due keys as they apply; this covers a cluster that takes no writes. One
  // tick at a time, each purging up to kExpiredKeysPurgedPerTick keys on every replica.
  if (expiry_tick_pending_ || !driver_->is_leader()) return;
  if (!machine_.has_expired_keys(now_ms())) return;
  expiry_tick_pending_ = true;
  driver_->propose(
      kv::encode_log_command(kv::expiry_tick_command(now_ms())),
      [this](std::optional<RequestError>, const std::string&) { expiry_tick_pending_ = false; });
}

void Server::on_role_change() {
  raft::Status st = driver_->status();
  g_log_term.store(st.term, std::memory_order_relaxed);
  note_leader(st.leader);
  if (st.role != last_role_ || st.term != last_term_) {
    if (st.role != last_role_) {
      spdlog::info("term {}: {} -> {} (leader {})", st.term, raft::to_string(last_role_),
                   raft::to_string(st.role), st.leader);
    }
    last_role_ = st.role;
    last_term_ = st.term;
  }
  membership_->tick(st);  // links follow the configuration; a leader records client addresses
}

}  // namespace raftkv::server
