// XREAD BLOCK and XREADGROUP BLOCK on the leader (see client_service.h).
//
// A blocked command looks at what this node has applied after each write this node
// applies (ClientService::wake_pops) and every kPollInterval: when the last entry of one
// of its streams changes, it tries again (XREAD: a linearizable read; XREADGROUP: the
// command proposed again, since it changes the group) and answers if it got something,
// else waits on. With nobody waiting, a write pays one compare.
#include <algorithm>

#include "kv/ascii.h"
#include "kv/commands.h"
#include "kv/int_parse.h"
#include "kv/resp_writer.h"
#include "kv/stream_commands.h"
#include "server/client_service.h"

namespace raftkv::server {

namespace {

constexpr std::string_view kNilArray = "*-1\r\n";
// The fallback (writes this node applied without a reply here, from an earlier leader)
// and how precisely timeouts are kept.
constexpr auto kPollInterval = std::chrono::milliseconds(10);

// The first bulk string of `reply` after `prefix`, or "" when the reply is otherwise.
std::string first_bulk_after(const std::string& reply, std::string_view prefix) {
  if (reply.compare(0, prefix.size(), prefix) != 0 || reply.size() <= prefix.size() ||
      reply[prefix.size()] != '$') {
    return {};
  }
  const size_t end = reply.find("\r\n", prefix.size());
  if (end == std::string::npos) return {};
  const size_t n = std::stoul(reply.substr(prefix.size() + 1, end - prefix.size() - 1));
  return reply.substr(end + 2, n);
}

}  // namespace

std::string ClientService::last_entry_id(const std::string& key) const {
  return first_bulk_after(machine_.read({"XREVRANGE", key, "+", "-", "COUNT", "1"}),
                          "*1\r\n*2\r\n");
}

bool ClientService::block_if_empty(uint64_t client_id, Queued& q, const std::string& reply) {
  // Not a stream command: also EXEC's nil (an aborted transaction), whose entry's argv
  // does not classify.
  if (reply != kNilArray || !q.c.ok() || q.c.session_id != 0) return false;
  // Disconnected before its (write's) reply came: nobody waits, and its retries must not
  // take entries into the group's PEL.
  if (!connections_.contains(client_id)) return false;
  const auto block = kv::stream_block(*q.c.spec, q.argv);
  if (!block) return false;
  std::vector<std::string> last_seen;
  for (size_t i = 0; i < block->streams; ++i) {
    std::string last = last_entry_id(q.argv[block->keys_at + i]);
    // `$`: what is there now, so that entries added while it waits are new to it.
    std::string& id = q.argv[block->keys_at + block->streams + i];
    if (id == "$") id = last.empty() ? "0-0" : last;
    last_seen.push_back(std::move(last));
  }
  std::optional<Runtime::Clock::time_point> deadline;
  if (block->timeout_ms > 0) deadline = rt_.now() + std::chrono::milliseconds(block->timeout_ms);
  auto b = std::make_shared<Blocked>(
      Blocked{client_id, std::move(q), deadline, std::move(last_seen), false, std::nullopt, 0});
  // A write (XREADGROUP) holds the connection's later writes back, as a read does.
  Connection& conn = connections_.at(client_id);
  if (b->q.c.route == kv::Route::kWrite) ++conn.reads_in_flight;
  conn.blocked = true;  // its later reads wait too
  ++stats_.blocked_clients;
  stream_waiters_.insert(b);
  poll_blocked(std::move(b));
  return true;
}

bool ClientService::streams_changed(Blocked& b) const {
  const auto block = kv::stream_block(*b.q.c.spec, b.q.argv);
  bool changed = false;
  for (size_t i = 0; i < b.last_seen.size(); ++i) {
    std::string last = last_entry_id(b.q.argv[block->keys_at + i]);
    if (last != b.last_seen[i]) {
      b.last_seen[i] = std::move(last);
      changed = true;
    }
  }
  return changed;
}

void ClientService::unblock(const std::shared_ptr<Blocked>& b, std::string reply) {
  // A poll timer may still be armed (the retry that answers it came from a wake-up, not
  // from the timer): it must not poll on, retry, or answer a second time.
  ++b->timer;
  b->q.slot.complete(std::move(reply), b->q.argv);
  --stats_.blocked_clients;
  stream_waiters_.erase(b);
  if (auto conn = connections_.find(b->client_id); conn != connections_.end()) {
    conn->second.blocked = false;
  }
  finish_read(b->client_id);
}

void ClientService::poll_blocked(std::shared_ptr<Blocked> b) {
  auto delay = std::chrono::duration_cast<std::chrono::nanoseconds>(kPollInterval);
  if (b->deadline) delay = std::clamp(*b->deadline - rt_.now(), Runtime::Clock::duration{}, delay);
  rt_.after(delay, [this, alive = life_.watch(), timer = ++b->timer, b]() mutable {
    if (alive.expired() || timer != b->timer || b->retrying) return;  // superseded
    if (!connections_.contains(b->client_id)) {                       // gone: nobody to tell
      --stats_.blocked_clients;
      stream_waiters_.erase(b);
      return;
    }
    if (auto err = driver_.unavailable()) {
      ++stats_.redirects;  // leadership lost: the client retries on the new leader
      return unblock(b, redirect_error(*err, b->q.key.slot(b->q.argv)));
    }
    if (streams_changed(*b)) return retry_blocked(std::move(b));
    if (b->deadline && rt_.now() >= *b->deadline) return unblock(b, std::string(kNilArray));
    poll_blocked(std::move(b));
  });
}

void ClientService::wake_stream_readers() {
  const std::vector<std::shared_ptr<Blocked>> waiting(stream_waiters_.begin(),
                                                      stream_waiters_.end());
  for (const auto& b : waiting) {
    if (b->retrying || !connections_.contains(b->client_id) || driver_.unavailable()) continue;
    if (streams_changed(*b)) retry_blocked(b);
  }
}

void ClientService::retry_blocked(std::shared_ptr<Blocked> b) {
  b->retrying = true;
  const auto done = [this, alive = life_.watch(), b](std::optional<RequestError> err,
                                                     std::string reply) {
    if (alive.expired()) return;
    b->retrying = false;
    if (err) {
      ++stats_.errors;
      return unblock(b, request_error(*err, b->q.key.slot(b->q.argv)));
    }
    if (reply == kNilArray && b->unblocked) return unblock(b, std::move(*b->unblocked));
    if (reply == kNilArray) return poll_blocked(b);  // another consumer was first
    unblock(b, std::move(reply));
  };
  if (b->q.c.route == kv::Route::kRead) {
    driver_.read(
        [this, b, done](std::optional<RequestError> err) {
          done(err, err ? std::string() : machine_.read(b->q.argv, rt_.wall_ms()));
        },
        connections_[b->client_id].last_write);
    return;
  }
  kv::LogCommand cmd = kv::make_log_command(b->q.argv, b->q.c, rt_.wall_ms());
  driver_.propose(
      kv::encode_log_command(cmd),
      [done](std::optional<RequestError> err, const std::string& reply) { done(err, reply); });
}

void ClientService::client_unblock(const kv::Argv& argv, ReplySlot& slot) {
  // Redis's order: the word count, the reason, then the id.
  if (argv.size() < 3) {
    return slot.complete(kv::encode_error(kv::wrong_arity_error("client|unblock")), argv);
  }
  if (argv.size() > 4) {
    return slot.complete(
        kv::encode_error("ERR unknown subcommand or wrong number of arguments for '" + argv[1] +
                         "'. Try CLIENT HELP."),
        argv);
  }
  bool error = false;
  if (argv.size() == 4) {
    const std::string reason = kv::ascii_lower(argv[3]);
    if (reason != "timeout" && reason != "error") {
      return slot.complete(kv::encode_error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
                           argv);
    }
    error = reason == "error";
  }
  const std::optional<int64_t> id = kv::parse_int64(argv[2]);
  if (!id) {
    return slot.complete(kv::encode_error("ERR value is not an integer or out of range"), argv);
  }
  const bool unblocked = *id > 0 && unblock_client(static_cast<uint64_t>(*id), error);
  slot.complete(kv::encode_integer(unblocked ? 1 : 0), argv);
}

bool ClientService::unblock_client(uint64_t id, bool error) {
  const std::string unblocked_error = "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n";
  const std::string reply = error ? unblocked_error : std::string(kNilArray);
  for (auto it = pop_waiters_.begin(); it != pop_waiters_.end(); ++it) {
    PopWaiter& w = *it->second;
    if (w.client_id != id) continue;
    if (w.unblocked) return false;  // answered already, once its pop comes back
    if (w.in_flight) {
      w.unblocked = reply;
    } else {
      end_pop(it, reply);
      wake_pops();  // an element it was promised may be another waiter's now
    }
    return true;
  }
  for (const std::shared_ptr<Blocked>& waiter : stream_waiters_) {
    if (waiter->client_id != id) continue;
    if (waiter->unblocked) return false;
    // A copy: unblock() erases the set's, which `waiter` refers to.
    const std::shared_ptr<Blocked> b = waiter;
    if (b->retrying) {
      b->unblocked = reply;
    } else {
      unblock(b, reply);
    }
    return true;
  }
  return unblock_wait(id, error ? &unblocked_error : nullptr);
}

}  // namespace raftkv::server
