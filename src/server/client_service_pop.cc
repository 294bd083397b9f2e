// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP on the leader
// (see client_service.h). Waiters are woken by the writes this node applies (each write's
// reply runs wake_pops), not by polling: with nobody waiting, a write pays one compare.
// A tick every kPopTick answers timeouts and redirects after a leadership change, and
// every kKeyCheckTicks ticks it also looks for elements, for writes that reached this
// node's state without a reply here (entries of an earlier leader it committed).
#include <unordered_map>

#include "kv/resp_writer.h"
#include "server/client_service.h"

namespace raftkv::server {

namespace {

constexpr auto kPopTick = std::chrono::milliseconds(10);
constexpr uint64_t kKeyCheckTicks = 10;
// Longer timeouts (about 30 years) wait forever: no deadline arithmetic overflows.
constexpr uint64_t kMaxTimeoutMs = uint64_t{1} << 40;

bool is_nil(const std::string& reply) {
  return reply == "*-1\r\n" || reply == "$-1\r\n";
}

}  // namespace

bool ClientService::block_pop(uint64_t client_id, Queued& q, const std::string& reply) {
  return is_nil(reply) && enqueue_pop(client_id, q);
}

bool ClientService::wait_behind_others(uint64_t client_id, Queued& q) {
  if (pop_waiters_.empty() || !kv::is_blocking_pop(q.c.spec->id)) return false;
  const auto block = kv::pop_block(*q.c.spec, q.argv);
  if (!block) return false;
  const auto shares_a_key = [&](const PopWaiter& w) {
    for (size_t i : w.block.keys) {
      for (size_t j : block->keys) {
        if (w.block.zset == block->zset && w.q.argv[i] == q.argv[j]) return true;
      }
    }
    return false;
  };
  bool behind = false;
  for (const auto& [seq, w] : pop_waiters_) behind = behind || shares_a_key(*w);
  if (!behind) return false;
  hold_connection(client_id);
  if (enqueue_pop(client_id, q)) return true;
  release_connection(client_id);
  return false;
}

bool ClientService::enqueue_pop(uint64_t client_id, Queued& q) {
  if (!q.c.ok() || !kv::is_blocking_pop(q.c.spec->id)) return false;
  // Disconnected before its reply came: nobody waits, and nothing is popped for it.
  auto conn = connections_.find(client_id);
  if (conn == connections_.end()) return false;
  auto block = kv::pop_block(*q.c.spec, q.argv);
  if (!block) return false;
  std::optional<Runtime::Clock::time_point> deadline;
  if (block->timeout_ms && *block->timeout_ms < kMaxTimeoutMs) {
    deadline = rt_.now() + std::chrono::milliseconds(*block->timeout_ms);
  }
  auto w = std::make_shared<PopWaiter>(
      PopWaiter{client_id, std::move(q), deadline, std::move(*block), false, std::nullopt});
  pop_waiters_.emplace(++next_pop_seq_, std::move(w));
  ++stats_.blocked_clients;
  // A write applied after its nil but answered before it blocked woke nobody: look now.
  post_pop_sweep();
  arm_pop_tick();
  return true;
}

void ClientService::hold_connection(uint64_t client_id) {
  Connection& conn = connections_[client_id];
  ++conn.reads_in_flight;  // its later writes wait
  conn.blocked = true;     // and its later reads
}

void ClientService::release_connection(uint64_t client_id) {
  if (auto conn = connections_.find(client_id); conn != connections_.end()) {
    conn->second.blocked = false;
  }
  finish_read(client_id);  // runs what waited
}

void ClientService::post_pop_sweep() {
  if (pop_sweep_posted_) return;  // one sweep serves every write of this turn
  pop_sweep_posted_ = true;
  rt_.after(std::chrono::nanoseconds(0), [this, alive = life_.watch()] {
    if (alive.expired()) return;
    pop_sweep_posted_ = false;
    if (!pop_waiters_.empty()) sweep_pops(/*check_keys=*/true);
    if (!stream_waiters_.empty()) wake_stream_readers();
  });
}

void ClientService::arm_pop_tick() {
  if (pop_tick_armed_ || pop_waiters_.empty()) return;
  pop_tick_armed_ = true;
  rt_.after(kPopTick, [this, alive = life_.watch()] {
    if (alive.expired()) return;
    pop_tick_armed_ = false;
    sweep_pops(++pop_ticks_ % kKeyCheckTicks == 0);
    arm_pop_tick();
  });
}

int64_t ClientService::pop_size(const std::string& key, bool zset) const {
  const std::string reply = machine_.read({zset ? "ZCARD" : "LLEN", key}, rt_.wall_ms());
  // ":<n>\r\n"; an error (another type) counts as empty: its waiters keep waiting.
  if (reply.size() < 4 || reply[0] != ':') return 0;
  return std::strtoll(reply.c_str() + 1, nullptr, 10);
}

ClientService::PopWaiters::iterator ClientService::end_pop(PopWaiters::iterator it,
                                                           std::string reply) {
  PopWaiter& w = *it->second;
  w.q.slot.complete(std::move(reply), w.q.argv);
  release_connection(w.client_id);
  --stats_.blocked_clients;
  return pop_waiters_.erase(it);
}

void ClientService::sweep_pops(bool check_keys) {
  if (auto err = driver_.unavailable()) {
    // Leadership lost: the clients retry on the new leader. (A waiter whose command is
    // in flight hears that command's outcome.)
    for (auto it = pop_waiters_.begin(); it != pop_waiters_.end();) {
      if (it->second->in_flight) {
        ++it;
        continue;
      }
      ++stats_.redirects;
      it = end_pop(it, redirect_error(*err, it->second->q.key.slot(it->second->q.argv)));
    }
    return;
  }
  // Elements not yet promised to an earlier waiter, by type and key (looked up lazily).
  std::unordered_map<std::string, int64_t> left;
  const auto promise = [&](const PopWaiter& w) {
    for (size_t i : w.block.keys) {
      const std::string& key = w.q.argv[i];
      auto [at, fresh] = left.try_emplace((w.block.zset ? "z" : "l") + key, 0);
      if (fresh) at->second = pop_size(key, w.block.zset);
      if (at->second > 0) {
        --at->second;
        return true;
      }
    }
    return false;
  };
  const auto now = rt_.now();
  std::vector<uint64_t> serve;
  for (auto it = pop_waiters_.begin(); it != pop_waiters_.end();) {
    PopWaiter& w = *it->second;
    const bool gone = !connections_.contains(w.client_id);
    if (gone && !w.in_flight) {  // disconnected: nothing more is popped for it
      --stats_.blocked_clients;
      it = pop_waiters_.erase(it);
      continue;
    }
    // One in flight counts too: its pop may take an element, and later waiters must not
    // be promised that one.
    const bool promised = check_keys && !gone && promise(w);
    if (!w.in_flight && promised) {
      serve.push_back(it->first);
    } else if (!w.in_flight && w.deadline && now >= *w.deadline) {
      it = end_pop(it, "*-1\r\n");  // timed out: nothing changed
      continue;
    }
    ++it;
  }
  // After the loop: a proposal refused at once answers (and erases) in propose_pop.
  for (uint64_t seq : serve) propose_pop(seq);
}

void ClientService::propose_pop(uint64_t seq) {
  auto it = pop_waiters_.find(seq);
  if (it == pop_waiters_.end()) return;
  PopWaiter& w = *it->second;
  w.in_flight = true;
  kv::LogCommand cmd = kv::make_log_command(w.q.argv, w.q.c, rt_.wall_ms());
  driver_.propose(kv::encode_log_command(cmd),
                  [this, alive = life_.watch(), seq](std::optional<RequestError> err,
                                                     const std::string& reply) {
                    if (!alive.expired()) pop_outcome(seq, err, reply);
                  });
}

void ClientService::pop_outcome(uint64_t seq, std::optional<RequestError> err,
                                const std::string& reply) {
  auto it = pop_waiters_.find(seq);
  if (it == pop_waiters_.end()) return;
  PopWaiter& w = *it->second;
  w.in_flight = false;
  if (err) {
    ++stats_.proposals_failed;
    if (*err == RequestError::kUnknown) ++stats_.unknown_outcomes;
    ++stats_.errors;
    end_pop(it, request_error(*err, w.q.key.slot(w.q.argv)));
    return;
  }
  ++stats_.writes_ok;
  if (!is_nil(reply)) {
    end_pop(it, reply);
    wake_pops();  // BLMOVE's destination may be another waiter's key
    return;
  }
  // CLIENT UNBLOCK came while it was in flight: answered now, as it asked.
  if (w.unblocked) {
    std::string unblocked = std::move(*w.unblocked);
    end_pop(it, std::move(unblocked));
    return;
  }
  // Another write took the element first: wait on, in place (or, gone, not at all).
  if (!connections_.contains(w.client_id)) {
    --stats_.blocked_clients;
    pop_waiters_.erase(it);
  }
}

}  // namespace raftkv::server
