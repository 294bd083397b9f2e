// WAIT numreplicas timeout (see client_service.h).
//
// In Redis, WAIT blocks until `numreplicas` replicas have acknowledged the connection's
// writes, or the timeout (ms; 0: forever) passes, and answers how many have. Here every
// acknowledged write is already on a majority; WAIT counts the followers (voters and
// learners) whose log matches the leader's up to the connection's last write, which a
// slow or partitioned follower may not yet. It runs in order behind the connection's
// earlier writes, and later commands wait behind it, as in Redis.
#include "kv/int_parse.h"
#include "kv/resp_writer.h"
#include "server/client_service.h"

namespace raftkv::server {

namespace {

// How often a blocked WAIT counts again (and how precisely its timeout is kept).
constexpr auto kWaitPoll = std::chrono::milliseconds(10);

}  // namespace

struct ClientService::Waiting {
  uint64_t client_id;
  Queued q;
  raft::Index index;
  int64_t wanted;
  std::optional<Runtime::Clock::time_point> deadline;
};

int64_t ClientService::replicas_holding(raft::Index index) const {
  const raft::Status st = driver_.status();
  int64_t n = 0;
  for (const auto& [id, progress] : st.progress) {
    if (id != st.id && progress.match >= index) ++n;
  }
  return n;
}

void ClientService::start_wait(uint64_t client_id, Queued&& q, bool block) {
  if (auto err = driver_.unavailable()) {
    ++stats_.redirects;
    return q.slot.complete(redirect_error(*err), q.argv);
  }
  const int64_t wanted = *kv::parse_int64(q.argv[1]);  // validated by classify
  const int64_t timeout_ms = *kv::parse_int64(q.argv[2]);
  auto it = connections_.find(client_id);
  const raft::Index index = it == connections_.end() ? 0 : it->second.last_write;
  const int64_t holding = replicas_holding(index);
  if (holding >= wanted || !block || it == connections_.end()) {
    return q.slot.complete(kv::encode_integer(holding), q.argv);
  }
  auto w = std::make_shared<Waiting>(Waiting{client_id, std::move(q), index, wanted, std::nullopt});
  if (timeout_ms > 0) w->deadline = rt_.now() + std::chrono::milliseconds(timeout_ms);
  hold_connection(client_id);  // its later commands wait behind it
  ++stats_.blocked_clients;
  waits_[client_id] = w;
  poll_wait(std::move(w));
}

void ClientService::poll_wait(std::shared_ptr<Waiting> w) {
  rt_.after(kWaitPoll, [this, alive = life_.watch(), w = std::move(w)]() mutable {
    if (alive.expired()) return;
    auto registered = waits_.find(w->client_id);
    if (registered == waits_.end() || registered->second != w) return;  // CLIENT UNBLOCK
    if (!connections_.contains(w->client_id)) {                         // gone: nobody to tell
      --stats_.blocked_clients;
      waits_.erase(registered);
      return;
    }
    std::string reply;
    if (auto err = driver_.unavailable()) {
      ++stats_.redirects;  // leadership lost: the connection's writes may be too
      reply = redirect_error(*err);
    } else if (const int64_t holding = replicas_holding(w->index);
               holding >= w->wanted || (w->deadline && rt_.now() >= *w->deadline)) {
      reply = kv::encode_integer(holding);
    } else {
      return poll_wait(std::move(w));
    }
    waits_.erase(registered);
    --stats_.blocked_clients;
    w->q.slot.complete(std::move(reply), w->q.argv);
    release_connection(w->client_id);
  });
}

bool ClientService::unblock_wait(uint64_t client_id, const std::string* error) {
  auto it = waits_.find(client_id);
  if (it == waits_.end()) return false;
  std::shared_ptr<Waiting> w = std::move(it->second);
  waits_.erase(it);  // its poll timer finds it gone and stops
  --stats_.blocked_clients;
  // Unblocked as by its timeout: the replicas that hold the connection's writes so far.
  w->q.slot.complete(error ? *error : kv::encode_integer(replicas_holding(w->index)), w->q.argv);
  release_connection(client_id);
  return true;
}

}  // namespace raftkv::server
