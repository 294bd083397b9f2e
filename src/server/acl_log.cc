#include "server/acl_log.h"

#include <fmt/format.h>

#include "kv/ascii.h"
#include "kv/int_parse.h"
#include "kv/resp_writer.h"

namespace raftkv::server {

void AclLog::add(std::string_view reason, std::string_view context, std::string_view object,
                 std::string_view username, std::string client_info, Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->reason != reason || it->context != context || it->object != object ||
        it->username != username || now - it->created >= std::chrono::seconds(60)) {
      continue;
    }
    Entry entry = std::move(*it);  // counted again, and it moves to the front
    entries_.erase(it);
    ++entry.count;
    entry.updated = now;
    entry.client_info = std::move(client_info);
    entries_.push_front(std::move(entry));
    return;
  }
  entries_.push_front(Entry{1, std::string(reason), std::string(context), std::string(object),
                            std::string(username), std::move(client_info), now, now});
  if (entries_.size() > kMaxEntries) entries_.pop_back();
}

std::string AclLog::reply(std::span<const std::string> argv, Clock::time_point now) {
  std::string out;
  kv::RespWriter w(&out);
  size_t count = 10;  // Redis's default
  if (argv.size() == 3 && kv::equals_ignore_case(argv[2], "reset")) {
    entries_.clear();
    w.simple("OK");
    return out;
  }
  if (argv.size() == 3) {
    const auto n = kv::parse_int64(argv[2]);
    if (!n) {
      w.error("ERR value is not an integer or out of range");
      return out;
    }
    count = *n < 0 ? 0 : static_cast<size_t>(*n);
  } else if (argv.size() > 3) {
    w.error("ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.");
    return out;
  }
  count = std::min(count, entries_.size());
  w.array_header(count);
  for (size_t i = 0; i < count; ++i) {
    const Entry& e = entries_[i];
    const double age = std::chrono::duration<double>(now - e.updated).count();
    w.array_header(14);
    w.bulk("count");
    w.integer(static_cast<int64_t>(e.count));
    w.bulk("reason");
    w.bulk(e.reason);
    w.bulk("context");
    w.bulk(e.context);
    w.bulk("object");
    w.bulk(e.object);
    w.bulk("username");
    w.bulk(e.username);
    w.bulk("age-seconds");
    w.bulk(fmt::format("{:.17g}", age));
    w.bulk("client-info");
    w.bulk(e.client_info);
  }
  return out;
}

}  // namespace raftkv::server
