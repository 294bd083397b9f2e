// ROLE, LASTSAVE, SAVE and SHUTDOWN: Redis's administration commands, answered with what
// a raftkv node has (see docs/operations.md).
#include <spdlog/spdlog.h>
#include <strings.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kv/local_commands.h"
#include "kv/resp_writer.h"
#include "server/server.h"

namespace raftkv::server {

namespace {

constexpr auto kSavePoll = std::chrono::milliseconds(10);

}  // namespace

// The leader is the master, with the followers it knows addresses of as its replicas
// (offsets: the commit index, and each follower's matched index); a follower is a replica
// of the leader it knows ("connect" while it knows none), at its applied index.
std::string Server::role_reply() const {
  const raft::Status st = driver_->status();
  std::string out;
  kv::RespWriter w(&out);
  if (st.role == raft::Role::kLeader) {
    std::vector<std::pair<std::string, raft::Index>> replicas;
    for (const auto& [id, progress] : st.progress) {
      if (id == st.id) continue;
      if (auto addr = members().client_address(id)) replicas.emplace_back(*addr, progress.match);
    }
    w.array_header(3);
    w.bulk("master");
    w.integer(static_cast<int64_t>(st.commit));
    w.array_header(replicas.size());
    for (const auto& [addr, match] : replicas) {
      const auto [host, port] = host_and_port(addr);
      w.array_header(3);
      w.bulk(host);
      w.bulk(std::to_string(port));
      w.bulk(std::to_string(match));
    }
    return out;
  }
  const auto leader =
      st.leader == raft::kNoNode ? std::nullopt : members().client_address(st.leader);
  const auto [host, port] =
      leader ? host_and_port(*leader) : std::pair<std::string, int64_t>{"", 0};
  w.array_header(5);
  w.bulk("slave");
  w.bulk(host);
  w.integer(port);
  w.bulk(leader ? "connected" : "connect");
  w.integer(static_cast<int64_t>(st.applied));
  return out;
}

// The last snapshot's time, as Redis's last RDB save (before any: when the node started).
int64_t Server::last_save_unix() const {
  if (snapshot_stats_.last_save_unix != 0) return snapshot_stats_.last_save_unix;
  return static_cast<int64_t>(std::time(nullptr)) -
         std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                          started_)
             .count();
}

// A snapshot now, answered once it is written and the log compacted to it.
void Server::save(ReplySlot slot) {
  if (taker_->busy()) {
    return slot.complete(kv::encode_error("ERR Background save already in progress"));
  }
  const uint64_t taken = snapshot_stats_.taken;
  const uint64_t failed = snapshot_stats_.failed;
  if (std::string err = start_snapshot(); !err.empty()) {
    return slot.complete(kv::encode_error("ERR " + err));
  }
  if (!taker_->busy()) return slot.complete(kv::encode_simple("OK"));  // nothing new to save
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [this, taken, failed, slot = std::move(slot), weak = std::weak_ptr(poll)] {
    if (snapshot_stats_.failed != failed) {
      return slot.complete(kv::encode_error("ERR the snapshot failed (see the node's log)"));
    }
    if (snapshot_stats_.taken != taken) return slot.complete(kv::encode_simple("OK"));
    if (auto next = weak.lock()) runtime_.after(kSavePoll, [next] { (*next)(); });
  };
  runtime_.after(kSavePoll, [poll] { (*poll)(); });
}

// SHUTDOWN stops this node as SIGTERM does (a leader hands over first). Redis sends no
// reply when it shuts down: the connection closes. Its options are accepted (the log is
// always durable, so SAVE and NOSAVE change nothing); ABORT finds nothing to abort.
void Server::shutdown_command(const kv::Argv& argv, ReplySlot& slot) {
  for (size_t i = 1; i < argv.size(); ++i) {
    if (strcasecmp(argv[i].c_str(), "abort") == 0) {
      return slot.complete(kv::encode_error("ERR Errors trying to abort SHUTDOWN. Check logs."));
    }
  }
  spdlog::info("SHUTDOWN from a client: shutting down");
  runtime_.post([this] { shutdown(); });
}

}  // namespace raftkv::server
