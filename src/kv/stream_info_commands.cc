// XPENDING and XINFO: the consumer-group reads (declared in stream_group_commands.h).
#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "kv/stream_group_commands.h"
#include "kv/stream_support.h"

namespace raftkv::kv {

namespace {

int64_t idle_since(uint64_t now, uint64_t then) {
  return now > then ? static_cast<int64_t>(now - then) : 0;
}

void write_optional(std::optional<int64_t> value, RespWriter* out) {
  if (value) return out->integer(*value);
  out->null_bulk();
}

std::optional<int64_t> entries_read_of(const StreamGroup& group) {
  if (group.entries_read == StreamGroup::kInvalidEntriesRead) return std::nullopt;
  return group.entries_read;
}

// XPENDING key group [[IDLE min-idle] start end count [consumer]]
struct PendingArgs {
  bool summary = true;
  int64_t min_idle = 0;
  StreamId start, end;
  int64_t count = 0;
  const std::string* consumer = nullptr;
};

std::string parse_pending(std::span<const std::string> argv, PendingArgs* args) {
  const size_t n = argv.size();
  if (n != 3 && (n < 6 || n > 9)) return std::string(kSyntaxError);
  if (n == 3) return {};
  args->summary = false;
  size_t at = 3;
  if (equals_ci(argv[3], "idle")) {
    const auto idle = parse_int64(argv[4]);
    if (!idle) return std::string(kNotInteger);
    if (n < 8) return std::string(kSyntaxError);
    args->min_idle = *idle;
    at += 2;
  }
  const auto count = parse_int64(argv[at + 2]);
  if (!count) return std::string(kNotInteger);
  args->count = std::max<int64_t>(*count, 0);
  if (auto e = parse_range_bound(argv[at], true, &args->start); !e.empty()) return e;
  if (auto e = parse_range_bound(argv[at + 1], false, &args->end); !e.empty()) return e;
  if (at + 3 < n) args->consumer = &argv[at + 3];
  return {};
}

void pending_summary(const StreamGroup& group, RespWriter* out) {
  out->array_header(4);
  out->integer(static_cast<int64_t>(group.pel.size()));
  if (group.pel.empty()) {
    out->null_bulk();
    out->null_bulk();
    return out->null_array();
  }
  write_stream_id(group.pel.begin()->first, out);
  write_stream_id(group.pel.rbegin()->first, out);
  size_t owners = 0;
  for (const auto& [name, consumer] : group.consumers) owners += consumer.pending.empty() ? 0 : 1;
  out->array_header(owners);
  for (const auto& [name, consumer] : group.consumers) {
    if (consumer.pending.empty()) continue;
    out->array_header(2);
    out->bulk(name);
    out->bulk(std::to_string(consumer.pending.size()));
  }
}

void pending_range(const StreamGroup& group, const PendingArgs& args, uint64_t now,
                   RespWriter* out) {
  const StreamConsumer* consumer = nullptr;
  if (args.consumer != nullptr) {
    const auto it = group.consumers.find(*args.consumer);
    if (it == group.consumers.end()) return out->array_header(0);
    consumer = &it->second;
  }
  std::string body;
  RespWriter w(&body);
  size_t rows = 0;
  int64_t count = args.count;
  for (auto it = group.pel.lower_bound(args.start); count > 0 && it != group.pel.end(); ++it) {
    if (it->first > args.end) break;
    if (consumer != nullptr && !consumer->pending.contains(it->first)) continue;
    const int64_t idle = idle_since(now, it->second.delivery_time);
    if (args.min_idle != 0 && idle < args.min_idle) continue;
    ++rows;
    --count;
    w.array_header(4);
    write_stream_id(it->first, &w);
    w.bulk(it->second.consumer);
    w.integer(idle);
    w.integer(static_cast<int64_t>(it->second.delivery_count));
  }
  out->array_header(rows);
  out->raw(body);
}

void execute_xpending(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                      RespWriter* out) {
  PendingArgs args;
  if (auto error = parse_pending(argv, &args); !error.empty()) return out->error(error);
  const auto [stream, wrong_type] = as_type<Stream>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  const StreamGroup* group = stream != nullptr ? stream->find_group(argv[2]) : nullptr;
  if (group == nullptr) return out->error(nogroup_error(argv[1], argv[2]));
  if (args.summary) return pending_summary(*group, out);
  pending_range(*group, args, now, out);
}

// --- XINFO ---

constexpr std::array<std::string_view, 9> kXinfoHelp = {
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
};

// The header fields XINFO STREAM shares with its FULL form. Redis's radix-tree figures
// describe its layout; here one "key" per block of kBlockEntries entries.
void stream_header(const Stream& stream, RespWriter* out) {
  const uint64_t keys = (stream.size() + Stream::kBlockEntries - 1) / Stream::kBlockEntries;
  out->bulk("length");
  out->integer(static_cast<int64_t>(stream.size()));
  out->bulk("radix-tree-keys");
  out->integer(static_cast<int64_t>(keys));
  out->bulk("radix-tree-nodes");
  out->integer(static_cast<int64_t>(keys + 1));
  out->bulk("last-generated-id");
  write_stream_id(stream.last_id(), out);
  out->bulk("max-deleted-entry-id");
  write_stream_id(stream.max_deleted_id(), out);
  out->bulk("entries-added");
  out->integer(static_cast<int64_t>(stream.entries_added()));
  out->bulk("recorded-first-entry-id");
  write_stream_id(stream.first_id(), out);
}

void full_group(const Stream& stream, const std::string& name, const StreamGroup& group,
                uint64_t limit, RespWriter* out) {
  out->array_header(14);
  out->bulk("name");
  out->bulk(name);
  out->bulk("last-delivered-id");
  write_stream_id(group.last_id, out);
  out->bulk("entries-read");
  write_optional(entries_read_of(group), out);
  out->bulk("lag");
  write_optional(stream.lag(group), out);
  out->bulk("pel-count");
  out->integer(static_cast<int64_t>(group.pel.size()));
  out->bulk("pending");
  const size_t shown = std::min<uint64_t>(group.pel.size(), limit);
  out->array_header(shown);
  auto it = group.pel.begin();
  for (size_t i = 0; i < shown; ++i, ++it) {
    out->array_header(4);
    write_stream_id(it->first, out);
    out->bulk(it->second.consumer);
    out->integer(static_cast<int64_t>(it->second.delivery_time));
    out->integer(static_cast<int64_t>(it->second.delivery_count));
  }
  out->bulk("consumers");
  out->array_header(group.consumers.size());
  for (const auto& [consumer, state] : group.consumers) {
    out->array_header(8);
    out->bulk("name");
    out->bulk(consumer);
    out->bulk("seen-time");
    out->integer(static_cast<int64_t>(state.seen_time));
    out->bulk("pel-count");
    out->integer(static_cast<int64_t>(state.pending.size()));
    out->bulk("pending");
    const size_t own = std::min<uint64_t>(state.pending.size(), limit);
    out->array_header(own);
    auto id = state.pending.begin();
    for (size_t i = 0; i < own; ++i, ++id) {
      const PendingEntry& pending = group.pel.at(*id);
      out->array_header(3);
      write_stream_id(*id, out);
      out->integer(static_cast<int64_t>(pending.delivery_time));
      out->integer(static_cast<int64_t>(pending.delivery_count));
    }
  }
}

void xinfo_stream(const Stream& stream, std::span<const std::string> argv, RespWriter* out) {
  const size_t extra = argv.size() - 3;
  if (extra == 0) {
    out->array_header(20);
    stream_header(stream, out);
    out->bulk("groups");
    out->integer(static_cast<int64_t>(stream.groups().size()));
    out->bulk("first-entry");
    if (stream.size() == 0) {
      out->null_bulk();
    } else {
      write_stream_entry(stream.entries().begin()->first, stream.entries().begin()->second, out);
    }
    out->bulk("last-entry");
    if (stream.size() == 0) return out->null_bulk();
    return write_stream_entry(stream.entries().rbegin()->first, stream.entries().rbegin()->second,
                              out);
  }
  const std::string syntax =
      "ERR unknown subcommand or wrong number of arguments for '" + argv[1] + "'. Try XINFO HELP.";
  if ((extra != 1 && extra != 3) || !equals_ci(argv[3], "full")) return out->error(syntax);
  int64_t count = 10;
  if (extra == 3) {
    if (!equals_ci(argv[4], "count")) return out->error(syntax);
    const auto n = parse_int64(argv[5]);
    if (!n) return out->error(kNotInteger);
    count = *n < 0 ? 10 : *n;
  }
  const uint64_t limit = count == 0 ? UINT64_MAX : static_cast<uint64_t>(count);
  out->array_header(18);
  stream_header(stream, out);
  out->bulk("entries");
  const size_t shown = std::min<uint64_t>(stream.size(), limit);
  out->array_header(shown);
  auto it = stream.entries().begin();
  for (size_t i = 0; i < shown; ++i, ++it) write_stream_entry(it->first, it->second, out);
  out->bulk("groups");
  out->array_header(stream.groups().size());
  for (const auto& [name, group] : stream.groups()) full_group(stream, name, group, limit, out);
}

void xinfo_groups(const Stream& stream, RespWriter* out) {
  out->array_header(stream.groups().size());
  for (const auto& [name, group] : stream.groups()) {
    out->array_header(12);
    out->bulk("name");
    out->bulk(name);
    out->bulk("consumers");
    out->integer(static_cast<int64_t>(group.consumers.size()));
    out->bulk("pending");
    out->integer(static_cast<int64_t>(group.pel.size()));
    out->bulk("last-delivered-id");
    write_stream_id(group.last_id, out);
    out->bulk("entries-read");
    write_optional(entries_read_of(group), out);
    out->bulk("lag");
    write_optional(stream.lag(group), out);
  }
}

void execute_xinfo(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                   RespWriter* out) {
  if (equals_ci(argv[1], "help")) {
    out->help_lines(kXinfoHelp);
    return;
  }
  const auto [stream, wrong_type] = as_type<Stream>(store.find_live(argv[2], now));
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr) return out->error("ERR no such key");
  if (equals_ci(argv[1], "stream")) return xinfo_stream(*stream, argv, out);
  if (equals_ci(argv[1], "groups")) return xinfo_groups(*stream, out);
  const StreamGroup* group = stream->find_group(argv[3]);
  if (group == nullptr) {
    return out->error("NOGROUP No such consumer group '" + argv[3] + "' for key name '" + argv[2] +
                      "'");
  }
  out->array_header(group->consumers.size());
  for (const auto& [name, consumer] : group->consumers) {
    out->array_header(6);
    out->bulk("name");
    out->bulk(name);
    out->bulk("pending");
    out->integer(static_cast<int64_t>(consumer.pending.size()));
    out->bulk("idle");
    out->integer(idle_since(now, consumer.seen_time));
  }
}

}  // namespace

void execute_stream_group_read(const KvStore& store, const CommandSpec& spec,
                               std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  if (spec.id == CommandId::kXpending) return execute_xpending(store, argv, now, out);
  if (spec.id == CommandId::kXinfo) return execute_xinfo(store, argv, now, out);
  out->error("ERR internal error: not a stream read");
}

}  // namespace raftkv::kv
