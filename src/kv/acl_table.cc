// AclTable: the replicated users (acl.h).
#include <utility>

#include "kv/acl.h"

namespace raftkv::kv {

namespace {

bool valid_user_name(std::string_view name) {
  return name.find(' ') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace

std::vector<std::string_view> split_acl_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

AclTable::AclTable() : default_(std::make_shared<AclUser>(make_default_acl_user())) {
  users_.emplace("default", default_);
}

std::shared_ptr<const AclUser> AclTable::find(std::string_view name) const {
  const auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

void AclTable::setuser(std::span<const std::string> argv, RespWriter* out) {
  const std::string& name = argv[2];
  if (!valid_user_name(name)) {
    return out->error("ERR Usernames can't contain spaces or null characters");
  }
  const auto it = users_.find(name);
  // All or nothing: the rules apply to a copy, which replaces the user's rules at the end.
  AclUser changed = it != users_.end() ? *it->second : make_acl_user(name);
  for (size_t i = 3; i < argv.size(); ++i) {
    if (std::string why = apply_acl_rule(&changed, argv[i]); !why.empty()) {
      return out->error("ERR Error in ACL SETUSER modifier '" + argv[i] + "': " + why);
    }
  }
  if (it != users_.end()) {
    *it->second = std::move(changed);  // in place: its connections follow
  } else {
    users_.emplace(name, std::make_shared<AclUser>(std::move(changed)));
  }
  out->simple("OK");
}

void AclTable::deluser(std::span<const std::string> argv, RespWriter* out) {
  for (size_t i = 2; i < argv.size(); ++i) {
    if (argv[i] == "default") return out->error("ERR The 'default' user cannot be removed");
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    const auto it = users_.find(argv[i]);
    if (it == users_.end()) continue;
    it->second->deleted = true;
    it->second->refresh();
    users_.erase(it);
    ++deleted;
  }
  out->integer(deleted);
}

void AclTable::serialize(ByteWriter* w) const {
  w->varint(users_.size());
  for (const auto& [name, user] : users_) {
    w->bytes(name);
    const std::vector<std::string> rules = describe_acl_rules(*user);
    w->varint(rules.size());
    for (const std::string& rule : rules) w->bytes(rule);
  }
}

Status AclTable::restore(ByteReader* r, AclTable* out) {
  uint64_t count = 0;
  if (!r->varint(&count)) return Status::error("snapshot users truncated");
  AclTable table;
  table.users_.clear();
  std::string_view previous;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view name;
    uint64_t rule_count = 0;
    if (!r->bytes(&name) || !r->varint(&rule_count) || rule_count > 1 + r->remaining()) {
      return Status::error("snapshot users truncated");
    }
    if (!valid_user_name(name) || (i > 0 && name <= previous)) {
      return Status::error("snapshot users out of order or misnamed");
    }
    previous = name;
    AclUser user = make_acl_user(name);
    std::vector<std::string> rules;
    for (uint64_t j = 0; j < rule_count; ++j) {
      std::string_view rule;
      if (!r->bytes(&rule)) return Status::error("snapshot users truncated");
      rules.emplace_back(rule);
      const bool commands = j + 1 == rule_count;  // the last: the command rules, in words
      for (std::string_view word : commands ? split_acl_words(rule) : std::vector{rule}) {
        if (!apply_acl_rule(&user, word).empty()) return Status::error("snapshot user malformed");
      }
    }
    // Canonical: the rules are what they describe again.
    if (describe_acl_rules(user) != rules) return Status::error("snapshot user not canonical");
    table.users_.emplace(std::string(name), std::make_shared<AclUser>(std::move(user)));
  }
  const auto it = table.users_.find("default");
  if (it == table.users_.end()) return Status::error("snapshot users without default");
  table.default_ = it->second;
  *out = std::move(table);
  return Status::ok();
}

void AclTable::adopt(AclTable&& restored) {
  for (auto& [name, user] : users_) {
    const auto it = restored.users_.find(name);
    if (it == restored.users_.end()) {
      user->deleted = true;
      user->refresh();
      continue;
    }
    *user = std::move(*it->second);
    it->second = user;
  }
  users_ = std::move(restored.users_);
  default_ = users_.at("default");
}

bool AclTable::operator==(const AclTable& other) const {
  if (users_.size() != other.users_.size()) return false;
  for (const auto& [name, user] : users_) {
    const auto it = other.users_.find(name);
    if (it == other.users_.end() || !user->same_rules(*it->second)) return false;
  }
  return true;
}

}  // namespace raftkv::kv
