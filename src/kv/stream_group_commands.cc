#include "kv/stream_group_commands.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "kv/stream_support.h"

namespace raftkv::kv {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

std::string subcommand_syntax_error(std::string_view sub, std::string_view command) {
  return "ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
         "'. Try " + std::string(command) + " HELP.";
}

std::string no_such_group(std::string_view group, std::string_view key) {
  return "NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
         std::string(key) + "'";
}

constexpr std::string_view kEntriesReadRange = "ERR value for ENTRIESREAD must be positive or -1";

constexpr std::array<std::string_view, 17> kXgroupHelp = {
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
};

// XGROUP CREATE's options (argv[5...]): MKSTREAM, ENTRIESREAD n.
std::string parse_create_options(std::span<const std::string> argv, bool* mkstream,
                                 int64_t* entries_read) {
  for (size_t i = 5; i < argv.size();) {
    if (equals_ci(argv[i], "mkstream")) {
      *mkstream = true;
      ++i;
    } else if (equals_ci(argv[i], "entriesread") && i + 1 < argv.size()) {
      const auto n = parse_int64(argv[i + 1]);
      if (!n) return std::string(kNotInteger);
      if (*n < 0 && *n != StreamGroup::kInvalidEntriesRead) return std::string(kEntriesReadRange);
      *entries_read = *n;
      i += 2;
    } else {
      return subcommand_syntax_error(argv[1], "XGROUP");
    }
  }
  return {};
}

std::string validate_xgroup(std::span<const std::string> argv) {
  const std::string sub = lower(argv[1]);
  const size_t n = argv.size();
  const auto arity = [&](bool ok) { return ok ? "" : wrong_arity_error("xgroup|" + sub); };
  if (sub == "help") return arity(n == 2);
  if (sub == "destroy") return arity(n == 4);
  if (sub == "createconsumer" || sub == "delconsumer") return arity(n == 5);
  if (sub == "setid") return arity(n >= 5);
  if (sub != "create") return unknown_subcommand_error(argv[1], "xgroup");
  if (n < 5) return arity(false);
  bool mkstream = false;
  int64_t entries_read = 0;
  return parse_create_options(argv, &mkstream, &entries_read);
}

std::string validate_xinfo(std::span<const std::string> argv) {
  const std::string sub = lower(argv[1]);
  const size_t n = argv.size();
  const auto arity = [&](bool ok) { return ok ? "" : wrong_arity_error("xinfo|" + sub); };
  if (sub == "help") return arity(n == 2);
  if (sub == "stream") return arity(n >= 3);
  if (sub == "groups") return arity(n == 3);
  if (sub == "consumers") return arity(n == 4);
  return unknown_subcommand_error(argv[1], "xinfo");
}

// XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID]
struct AutoclaimArgs {
  int64_t min_idle = 0;
  StreamId start;
  int64_t count = 100;
  bool justid = false;
};

std::string parse_autoclaim(std::span<const std::string> argv, AutoclaimArgs* args) {
  const auto idle = parse_int64(argv[4]);
  if (!idle) return "ERR Invalid min-idle-time argument for XAUTOCLAIM";
  args->min_idle = std::max<int64_t>(*idle, 0);
  const std::string& start = argv[5];
  const bool exclusive = start.size() > 1 && start[0] == '(';
  const auto id = exclusive ? parse_stream_id(std::string_view(start).substr(1), true, 0)
                            : parse_stream_id(start, false, 0);
  if (!id) return std::string(kInvalidStreamId);
  args->start = *id;
  if (exclusive && !args->start.increment()) return "ERR invalid start ID for the interval";
  for (size_t i = 6; i < argv.size(); ++i) {
    if (equals_ci(argv[i], "count") && i + 1 < argv.size()) {
      const auto n = parse_int64(argv[++i]);
      if (!n || *n < 1 || *n > INT64_MAX / 16) return "ERR COUNT must be > 0";
      args->count = *n;
    } else if (equals_ci(argv[i], "justid")) {
      args->justid = true;
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

// The stream and group a group command names, or the reply it gets instead.
struct GroupTarget {
  Stream* stream = nullptr;
  StreamGroup* group = nullptr;
};

// --- XGROUP ---

void xgroup_create(KvStore& store, Stream* stream, std::span<const std::string> argv, uint64_t,
                   RespWriter* out) {
  bool mkstream = false;
  int64_t entries_read = StreamGroup::kInvalidEntriesRead;
  (void)parse_create_options(argv, &mkstream, &entries_read);  // validated
  if (argv.size() > 8) return out->error(subcommand_syntax_error(argv[1], "XGROUP"));
  StreamId id;
  if (argv[4] == "$") {
    if (stream != nullptr) id = stream->last_id();
  } else if (const auto parsed = parse_stream_id(argv[4], true, 0)) {
    id = *parsed;
  } else {
    return out->error(kInvalidStreamId);
  }
  if (stream == nullptr) {
    stream = collection_of<Stream>(store.put(argv[2], make_collection<Stream>()));
  }
  if (stream->find_group(argv[3]) != nullptr) {
    return out->error("BUSYGROUP Consumer Group name already exists");
  }
  StreamGroup& group = stream->groups()[argv[3]];
  group.last_id = id;
  group.entries_read = entries_read;
  out->simple("OK");
}

void xgroup_setid(Stream& stream, StreamGroup& group, std::span<const std::string> argv,
                  RespWriter* out) {
  if (argv.size() != 5 && argv.size() != 7) {
    return out->error(subcommand_syntax_error(argv[1], "XGROUP"));
  }
  StreamId id;
  if (argv[4] == "$") {
    id = stream.last_id();
  } else if (const auto parsed = parse_stream_id(argv[4], false, 0)) {
    id = *parsed;
  } else {
    return out->error(kInvalidStreamId);
  }
  int64_t entries_read = StreamGroup::kInvalidEntriesRead;
  if (argv.size() == 7) {
    if (!equals_ci(argv[5], "entriesread")) {
      return out->error(subcommand_syntax_error(argv[1], "XGROUP"));
    }
    const auto n = parse_int64(argv[6]);
    if (!n) return out->error(kNotInteger);
    if (*n < 0 && *n != StreamGroup::kInvalidEntriesRead) return out->error(kEntriesReadRange);
    entries_read = *n;
  }
  group.last_id = id;
  group.entries_read = entries_read;
  out->simple("OK");
}

void execute_xgroup(KvStore& store, std::span<const std::string> argv, uint64_t now,
                    RespWriter* out) {
  const std::string sub = lower(argv[1]);
  if (sub == "help") return out->help_lines(kXgroupHelp);
  bool mkstream = false;
  int64_t ignored = 0;
  if (sub == "create") (void)parse_create_options(argv, &mkstream, &ignored);
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[2]));
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr && !mkstream) {
    return out->error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
  }
  StreamGroup* group = stream != nullptr ? stream->find_group(argv[3]) : nullptr;
  if (group == nullptr && sub != "create" && sub != "destroy") {
    return out->error(no_such_group(argv[3], argv[2]));
  }
  if (sub == "create") return xgroup_create(store, stream, argv, now, out);
  if (sub == "setid") return xgroup_setid(*stream, *group, argv, out);
  if (sub == "destroy") {
    if (group == nullptr) return out->integer(0);
    stream->groups().erase(argv[3]);
    return out->integer(1);
  }
  if (sub == "createconsumer") {
    if (group->consumers.contains(argv[4])) return out->integer(0);
    group->touch_consumer(argv[4], now);
    return out->integer(1);
  }
  // delconsumer: its pending entries leave the group's PEL too.
  const auto it = group->consumers.find(argv[4]);
  if (it == group->consumers.end()) return out->integer(0);
  const auto pending = static_cast<int64_t>(it->second.pending.size());
  for (const StreamId& id : it->second.pending) group->pel.erase(id);
  group->consumers.erase(it);
  out->integer(pending);
}

// --- XREADGROUP ---

// New entries (after the group's last ID) to `consumer`, each added to the PEL unless NOACK.
void deliver_new(Stream& stream, StreamGroup& group, std::string_view consumer,
                 const ReadArgs& args, uint64_t now, RespWriter* out) {
  const auto limit = args.count == 0 ? UINT64_MAX : static_cast<uint64_t>(args.count);
  std::vector<Stream::Entries::const_iterator> hits;
  for (auto it = stream.entries().upper_bound(group.last_id);
       it != stream.entries().end() && hits.size() < limit; ++it) {
    hits.push_back(it);
  }
  out->array_header(hits.size());
  for (const auto& it : hits) {
    stream.advance_group(group, it->first);
    if (!args.noack) group.assign_pending(it->first, consumer) = {std::string(consumer), now, 1};
    write_stream_entry(it->first, it->second, out);
  }
}

// The consumer's own pending entries after `after`, each counted as delivered again; an
// entry deleted from the stream comes back as its ID and a nil.
void deliver_history(Stream& stream, StreamGroup& group, StreamConsumer& consumer,
                     const StreamId& after, int64_t count, uint64_t now, RespWriter* out) {
  const auto limit = count == 0 ? UINT64_MAX : static_cast<uint64_t>(count);
  std::vector<StreamId> ids;
  for (auto it = consumer.pending.upper_bound(after);
       it != consumer.pending.end() && ids.size() < limit; ++it) {
    ids.push_back(*it);
  }
  out->array_header(ids.size());
  for (const StreamId& id : ids) {
    const auto entry = stream.entries().find(id);
    if (entry == stream.entries().end()) {
      out->array_header(2);
      write_stream_id(id, out);
      out->null_array();
      continue;
    }
    PendingEntry& pending = group.pel[id];
    pending.delivery_time = now;
    ++pending.delivery_count;
    write_stream_entry(entry->first, entry->second, out);
  }
}

// Each stream's group and the ID to read after (nothing: ">"); or the error reply.
std::string resolve_group_reads(KvStore& store, std::span<const std::string> argv,
                                const ReadArgs& args, std::vector<GroupTarget>* targets,
                                std::vector<std::optional<StreamId>>* after) {
  for (size_t i = 0; i < args.streams; ++i) {
    const std::string& key = argv[args.streams_at + i];
    auto [stream, wrong_type] = as_type<Stream>(store.find(key));
    if (wrong_type) return std::string(kWrongType);
    StreamGroup* group = stream != nullptr ? stream->find_group(args.group) : nullptr;
    if (group == nullptr) {
      return nogroup_error(key, args.group) + " in XREADGROUP with GROUP option";
    }
    const std::string& text = argv[args.streams_at + args.streams + i];
    if (text == "$") {
      return "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
             "history of this consumer by specifying a proper ID, or use the > ID to get new "
             "messages. The $ ID would just return an empty result set.";
    }
    std::optional<StreamId> id;
    if (text != ">") {
      id = parse_stream_id(text, true, 0);
      if (!id) return std::string(kInvalidStreamId);
    }
    targets->push_back({stream, group});
    after->push_back(id);
  }
  return {};
}

void execute_xreadgroup(KvStore& store, std::span<const std::string> argv, uint64_t now,
                        RespWriter* out) {
  ReadArgs args;
  (void)parse_read_args(argv, true, &args);  // validated
  // Its keys follow STREAMS, so the write path did not drop the expired ones: do it here.
  for (size_t i = 0; i < args.streams; ++i) {
    const std::string& key = argv[args.streams_at + i];
    if (const uint64_t at = store.expire_at(key); at != 0 && at <= now) store.erase(key);
  }
  std::vector<GroupTarget> targets;
  std::vector<std::optional<StreamId>> after;
  if (auto error = resolve_group_reads(store, argv, args, &targets, &after); !error.empty()) {
    return out->error(error);
  }
  // BLOCK: the server waits (client_service_block.cc); inside MULTI or a script it does not.
  std::string body;
  RespWriter w(&body);
  size_t served = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    auto& [stream, group] = targets[i];
    const bool history = after[i].has_value();
    const bool fresh =
        !history && stream->size() > 0 && stream->entries().rbegin()->first > group->last_id;
    if (!history && !fresh) continue;  // Redis 7.0 creates the consumer only when served
    StreamConsumer& consumer = group->touch_consumer(args.consumer, now);
    ++served;
    w.array_header(2);
    w.bulk(argv[args.streams_at + i]);
    if (history) {
      deliver_history(*stream, *group, consumer, *after[i], args.count, now, &w);
    } else {
      deliver_new(*stream, *group, args.consumer, args, now, &w);
    }
  }
  if (served == 0) return out->null_array();
  out->array_header(served);
  out->raw(body);
}

// --- XACK, XCLAIM, XAUTOCLAIM ---

void execute_xack(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  StreamGroup* group = stream != nullptr ? stream->find_group(argv[2]) : nullptr;
  if (group == nullptr) return out->integer(0);
  const auto ids = parse_stream_ids(argv.subspan(3));
  if (!ids) return out->error(kInvalidStreamId);  // all or nothing
  int64_t acked = 0;
  for (const StreamId& id : *ids) acked += group->remove_pending(id) ? 1 : 0;
  out->integer(acked);
}

struct ClaimArgs {
  int64_t min_idle = 0;
  std::vector<StreamId> ids;
  std::optional<int64_t> delivery_time;
  int64_t retry_count = -1;
  bool force = false;
  bool justid = false;
  StreamId last_id;
};

std::string parse_claim_option(std::span<const std::string> argv, size_t* i, uint64_t now,
                               ClaimArgs* args) {
  const std::string& opt = argv[*i];
  const bool more = *i + 1 < argv.size();
  if (equals_ci(opt, "force")) {
    args->force = true;
  } else if (equals_ci(opt, "justid")) {
    args->justid = true;
  } else if ((equals_ci(opt, "idle") || equals_ci(opt, "time") || equals_ci(opt, "retrycount")) &&
             more) {
    const auto n = parse_int64(argv[++*i]);
    const std::string name = lower(opt);
    if (!n) {
      std::string upper = name;
      for (char& c : upper) c = static_cast<char>(c - 32);
      return "ERR Invalid " + upper + " option argument for XCLAIM";
    }
    if (name == "idle") args->delivery_time = static_cast<int64_t>(now) - *n;
    if (name == "time") args->delivery_time = *n;
    if (name == "retrycount") args->retry_count = *n;
  } else if (equals_ci(opt, "lastid") && more) {
    const auto id = parse_stream_id(argv[++*i], true, 0);
    if (!id) return std::string(kInvalidStreamId);
    args->last_id = *id;
  } else {
    return "ERR Unrecognized XCLAIM option '" + opt + "'";
  }
  return {};
}

std::string parse_claim(std::span<const std::string> argv, uint64_t now, ClaimArgs* args) {
  const auto idle = parse_int64(argv[4]);
  if (!idle) return "ERR Invalid min-idle-time argument for XCLAIM";
  args->min_idle = std::max<int64_t>(*idle, 0);
  size_t i = 5;
  for (; i < argv.size(); ++i) {
    const auto id = parse_stream_id(argv[i], true, 0);
    if (!id) break;
    args->ids.push_back(*id);
  }
  for (; i < argv.size(); ++i) {
    if (auto error = parse_claim_option(argv, &i, now, args); !error.empty()) return error;
  }
  return {};
}

// XCLAIM's and XAUTOCLAIM's transfer of one pending entry to `consumer`.
void claim_one(StreamGroup& group, const StreamId& id, std::string_view consumer,
               uint64_t delivery_time, int64_t retry_count, bool justid) {
  PendingEntry& pending = group.assign_pending(id, consumer);
  pending.delivery_time = delivery_time;
  if (retry_count >= 0) {
    pending.delivery_count = static_cast<uint64_t>(retry_count);
  } else if (!justid) {
    ++pending.delivery_count;
  }
}

void execute_xclaim(KvStore& store, std::span<const std::string> argv, uint64_t now,
                    RespWriter* out) {
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  StreamGroup* group = stream != nullptr ? stream->find_group(argv[2]) : nullptr;
  if (group == nullptr) return out->error(nogroup_error(argv[1], argv[2]));
  ClaimArgs args;
  if (auto error = parse_claim(argv, now, &args); !error.empty()) return out->error(error);
  if (args.last_id > group->last_id) group->last_id = args.last_id;
  uint64_t delivery = now;
  if (args.delivery_time && *args.delivery_time >= 0 &&
      static_cast<uint64_t>(*args.delivery_time) <= now) {
    delivery = static_cast<uint64_t>(*args.delivery_time);
  }
  std::string body;
  RespWriter w(&body);
  size_t claimed = 0;
  for (const StreamId& id : args.ids) {
    auto pending = group->pel.find(id);
    if (!stream->entries().contains(id)) {
      if (pending != group->pel.end()) group->remove_pending(id);  // gone from the stream
      continue;
    }
    const bool existed = pending != group->pel.end();
    if (!existed && !args.force) continue;
    if (existed && args.min_idle > 0 &&
        static_cast<int64_t>(now - pending->second.delivery_time) < args.min_idle) {
      continue;
    }
    group->touch_consumer(argv[3], now);
    if (!existed) group->assign_pending(id, argv[3]) = {argv[3], now, 1};  // FORCE
    claim_one(*group, id, argv[3], delivery, args.retry_count, args.justid);
    ++claimed;
    if (args.justid) {
      write_stream_id(id, &w);
    } else {
      write_stream_entry_or_nil(*stream, id, &w);
    }
  }
  out->array_header(claimed);
  out->raw(body);
}

void execute_xautoclaim(KvStore& store, std::span<const std::string> argv, uint64_t now,
                        RespWriter* out) {
  AutoclaimArgs args;
  (void)parse_autoclaim(argv, &args);  // validated
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  StreamGroup* group = stream != nullptr ? stream->find_group(argv[2]) : nullptr;
  if (group == nullptr) return out->error(nogroup_error(argv[1], argv[2]));
  int64_t count = args.count;
  int64_t attempts = count * 10;
  std::vector<StreamId> claimed, deleted;
  auto it = group->pel.lower_bound(args.start);
  for (; attempts > 0 && count > 0 && it != group->pel.end(); --attempts) {
    const StreamId id = it->first;
    ++it;  // before the entry may be removed
    if (!stream->entries().contains(id)) {
      group->remove_pending(id);
      deleted.push_back(id);
      --count;
      continue;
    }
    const PendingEntry& pending = group->pel.at(id);
    if (args.min_idle > 0 && static_cast<int64_t>(now - pending.delivery_time) < args.min_idle) {
      continue;
    }
    group->touch_consumer(argv[3], now);
    claim_one(*group, id, argv[3], now, -1, args.justid);
    claimed.push_back(id);
    --count;
  }
  out->array_header(3);
  write_stream_id(it == group->pel.end() ? StreamId{} : it->first, out);
  out->array_header(claimed.size());
  for (const StreamId& id : claimed) {
    if (args.justid) {
      write_stream_id(id, out);
    } else {
      write_stream_entry_or_nil(*stream, id, out);
    }
  }
  out->array_header(deleted.size());
  for (const StreamId& id : deleted) write_stream_id(id, out);
}

}  // namespace

std::string validate_stream_group_arguments(const CommandSpec& spec,
                                            std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kXgroup:
      return validate_xgroup(argv);
    case CommandId::kXinfo:
      return validate_xinfo(argv);
    case CommandId::kXautoclaim: {
      AutoclaimArgs args;
      return parse_autoclaim(argv, &args);
    }
    default:
      return {};
  }
}

void execute_stream_group_write(KvStore& store, const CommandSpec& spec,
                                std::span<const std::string> argv, const WriteContext& context,
                                RespWriter* out) {
  const uint64_t now = context.now_ms;
  switch (spec.id) {
    case CommandId::kXgroup:
      return execute_xgroup(store, argv, now, out);
    case CommandId::kXreadgroup:
      return execute_xreadgroup(store, argv, now, out);
    case CommandId::kXack:
      return execute_xack(store, argv, out);
    case CommandId::kXclaim:
      return execute_xclaim(store, argv, now, out);
    case CommandId::kXautoclaim:
      return execute_xautoclaim(store, argv, now, out);
    default:
      return out->error("ERR internal error: not a stream write");
  }
}

}  // namespace raftkv::kv
