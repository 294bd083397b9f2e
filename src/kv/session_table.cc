#include "kv/session_table.h"

#include <utility>

namespace raftkv::kv {

void SessionTable::open(uint64_t id, uint64_t index, uint64_t now_ms) {
  while (!sessions_.empty() && sessions_.size() >= policy_.max_sessions) {
    erase(sessions_.find(by_last_use_.begin()->second));
  }
  if (policy_.max_sessions == 0) return;
  Session session;
  session.last_used_index = index;
  session.last_used_ms = now_ms;
  insert(id, std::move(session));
}

bool SessionTable::close(uint64_t id) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  erase(it);
  return true;
}

Session* SessionTable::find(uint64_t id) {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void SessionTable::touch(uint64_t id, uint64_t index, uint64_t now_ms) {
  Session* session = find(id);
  if (session == nullptr) return;
  by_last_use_.erase(session->last_used_index);
  session->last_used_index = index;
  session->last_used_ms = now_ms;
  by_last_use_[index] = id;
}

void SessionTable::expire(uint64_t now_ms) {
  while (!by_last_use_.empty()) {
    const auto it = sessions_.find(by_last_use_.begin()->second);
    if (now_ms <= it->second.last_used_ms || now_ms - it->second.last_used_ms <= policy_.ttl_ms) {
      return;
    }
    erase(it);
  }
}

void SessionTable::clear() {
  sessions_.clear();
  by_last_use_.clear();
}

bool SessionTable::insert(uint64_t id, Session session) {
  if (sessions_.contains(id) || by_last_use_.contains(session.last_used_index)) return false;
  by_last_use_[session.last_used_index] = id;
  sessions_.emplace(id, std::move(session));
  return true;
}

void SessionTable::erase(std::map<uint64_t, Session>::iterator it) {
  by_last_use_.erase(it->second.last_used_index);
  sessions_.erase(it);
}

}  // namespace raftkv::kv
