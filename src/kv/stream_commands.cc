#include "kv/stream_commands.h"

#include <algorithm>
#include <utility>

#include "kv/blocking_commands.h"
#include "kv/stream_group_commands.h"
#include "kv/stream_support.h"

namespace raftkv::kv {

namespace {

// XADD's and XTRIM's options (Redis's streamParseAddOrTrimArgsOrReply).
struct TrimArgs {
  enum class Strategy { kNone, kMaxLen, kMinId } strategy = Strategy::kNone;
  bool approximate = false;
  int64_t max_len = 0;
  StreamId min_id;
  int64_t limit = 0;  // 0: none
  // XADD only:
  bool no_mkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamId id;
  size_t fields_at = 0;  // the first field's argv index
};

constexpr std::string_view kBothStrategies =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

// MAXLEN|MINID [=|~] threshold at argv[*i]; advances *i to the threshold.
std::string parse_strategy(std::span<const std::string> argv, size_t* i, TrimArgs* args) {
  if (args->strategy != TrimArgs::Strategy::kNone) return std::string(kBothStrategies);
  const bool max_len = equals_ci(argv[*i], "maxlen");
  const size_t more = argv.size() - 1 - *i;
  args->approximate = false;
  if (more >= 2 && (argv[*i + 1] == "~" || argv[*i + 1] == "=")) {
    args->approximate = argv[*i + 1] == "~";
    ++*i;
  }
  ++*i;
  if (max_len) {
    const auto n = parse_int64(argv[*i]);
    if (!n) return std::string(kNotInteger);
    if (*n < 0) return "ERR The MAXLEN argument must be >= 0.";
    args->max_len = *n;
    args->strategy = TrimArgs::Strategy::kMaxLen;
  } else {
    const auto id = parse_stream_id(argv[*i], true, 0);
    if (!id) return std::string(kInvalidStreamId);
    args->min_id = *id;
    args->strategy = TrimArgs::Strategy::kMinId;
  }
  return {};
}

std::string check_trim_limit(const TrimArgs& args, bool limit_given, bool xadd) {
  if (args.limit != 0 && args.strategy == TrimArgs::Strategy::kNone) {
    return "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
  }
  if (!xadd && args.strategy == TrimArgs::Strategy::kNone) {
    return "ERR syntax error, XTRIM must be called with a trimming strategy";
  }
  if (limit_given && !args.approximate) {
    return "ERR syntax error, LIMIT cannot be used without the special ~ option";
  }
  return {};
}

std::string parse_trim_args(std::span<const std::string> argv, bool xadd, TrimArgs* args) {
  bool limit_given = false;
  size_t i = 2;
  for (; i < argv.size(); ++i) {
    const bool more = i + 1 < argv.size();
    const std::string& opt = argv[i];
    if (xadd && opt == "*") break;
    if ((equals_ci(opt, "maxlen") || equals_ci(opt, "minid")) && more) {
      if (auto error = parse_strategy(argv, &i, args); !error.empty()) return error;
    } else if (equals_ci(opt, "limit") && more) {
      const auto n = parse_int64(argv[++i]);
      if (!n) return std::string(kNotInteger);
      if (*n < 0) return "ERR The LIMIT argument must be >= 0.";
      args->limit = *n;
      limit_given = true;
    } else if (xadd && equals_ci(opt, "nomkstream")) {
      args->no_mkstream = true;
    } else if (xadd) {
      const auto id = parse_stream_id(opt, true, 0, &args->seq_given);
      if (!id) return std::string(kInvalidStreamId);
      args->id = *id;
      args->id_given = true;
      break;
    } else {
      return std::string(kSyntaxError);
    }
  }
  if (auto error = check_trim_limit(*args, limit_given, xadd); !error.empty()) return error;
  // Without LIMIT, approximate trimming stops after 100 blocks, as Redis's default does.
  if (!limit_given && args->approximate) {
    args->limit = static_cast<int64_t>(100 * Stream::kBlockEntries);
  }
  args->fields_at = i + 1;
  return {};
}

std::string validate_xadd(std::span<const std::string> argv) {
  TrimArgs args;
  if (auto error = parse_trim_args(argv, true, &args); !error.empty()) return error;
  const size_t fields = argv.size() - std::min(argv.size(), args.fields_at);
  if (args.fields_at > argv.size() || fields < 2 || fields % 2 != 0) {
    return wrong_arity_error("xadd");
  }
  if (args.id_given && args.seq_given && args.id.is_zero()) {
    return "ERR The ID specified in XADD must be greater than 0-0";
  }
  return {};
}

// XSETID key id [ENTRIESADDED n] [MAXDELETEDID id] (Redis 7.0's xsetidCommand): the
// options are checked before the key.
struct SetIdArgs {
  StreamId id;
  int64_t entries_added = -1;  // -1: not given
  StreamId max_deleted;        // 0-0: not given
};

std::string parse_xsetid(std::span<const std::string> argv, SetIdArgs* args) {
  const auto id = parse_stream_id(argv[2], true, 0);
  if (!id) return std::string(kInvalidStreamId);
  args->id = *id;
  for (size_t i = 3; i < argv.size(); i += 2) {
    const bool more = i + 1 < argv.size();
    if (more && equals_ci(argv[i], "entriesadded")) {
      const auto n = parse_int64(argv[i + 1]);
      if (!n) return std::string(kNotInteger);
      if (*n < 0) return "ERR entries_added must be positive";
      args->entries_added = *n;
    } else if (more && equals_ci(argv[i], "maxdeletedid")) {
      const auto max_deleted = parse_stream_id(argv[i + 1], true, 0);
      if (!max_deleted) return std::string(kInvalidStreamId);
      if (args->id < *max_deleted) {
        return "ERR The ID specified in XSETID is smaller than the provided "
               "max_deleted_entry_id";
      }
      args->max_deleted = *max_deleted;
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

// Redis 7.0 checks the new last ID against the top entry only (not against the stream's
// own max deleted ID), so an empty stream's last ID may even go back.
void execute_xsetid(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  SetIdArgs args;
  (void)parse_xsetid(argv, &args);  // validated
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr) return out->error("ERR no such key");
  if (stream->size() > 0) {
    if (args.id < stream->entries().rbegin()->first) {
      return out->error(
          "ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (args.entries_added >= 0 && stream->size() > static_cast<uint64_t>(args.entries_added)) {
      return out->error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  stream->restore_counters(args.id,
                           args.max_deleted.is_zero() ? stream->max_deleted_id() : args.max_deleted,
                           args.entries_added >= 0 ? static_cast<uint64_t>(args.entries_added)
                                                   : stream->entries_added());
  out->simple("OK");
}

uint64_t apply_trim(Stream& stream, const TrimArgs& args) {
  const auto limit = static_cast<uint64_t>(args.limit);
  if (args.strategy == TrimArgs::Strategy::kMaxLen) {
    return stream.trim_to_length(static_cast<uint64_t>(args.max_len), args.approximate, limit);
  }
  if (args.strategy == TrimArgs::Strategy::kMinId) {
    return stream.trim_before(args.min_id, args.approximate, limit);
  }
  return 0;
}

// The ID XADD gives the entry (Redis's streamAppendItem); nothing if not above the last.
std::optional<StreamId> next_id(const Stream& stream, const TrimArgs& args, uint64_t now) {
  const StreamId& last = stream.last_id();
  StreamId id;
  if (!args.id_given) {
    // `*`: log time, so every replica makes the same ID.
    if (now > last.ms) {
      id = {now, 0};
    } else {
      id = last;
      id.increment();
    }
  } else if (args.seq_given) {
    id = args.id;
  } else if (args.id.ms == last.ms) {  // `ms-*`
    if (last.seq == UINT64_MAX) return std::nullopt;
    id = {last.ms, last.seq + 1};
  } else {
    id = args.id;
  }
  if (id <= last) return std::nullopt;
  return id;
}

void execute_xadd(KvStore& store, std::span<const std::string> argv, uint64_t now,
                  RespWriter* out) {
  TrimArgs args;
  (void)parse_trim_args(argv, true, &args);  // validated
  Value* value = store.find(argv[1]);
  auto [stream, wrong_type] = as_type<Stream>(value);
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr && args.no_mkstream) return out->null_bulk();
  Stream fresh;
  Stream& target = stream != nullptr ? *stream : fresh;
  if (target.last_id() == StreamId::max()) {
    return out->error(
        "ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  const auto id = next_id(target, args, now);
  if (!id) {
    return out->error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item");
  }
  if (stream == nullptr) {
    stream = collection_of<Stream>(store.put(argv[1], make_collection<Stream>()));
  }
  stream->append(
      *id, StreamFields(argv.begin() + static_cast<std::ptrdiff_t>(args.fields_at), argv.end()));
  out->bulk(id->str());
  apply_trim(*stream, args);
}

void execute_xtrim(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  TrimArgs args;
  (void)parse_trim_args(argv, false, &args);  // validated
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr) return out->integer(0);
  out->integer(static_cast<int64_t>(apply_trim(*stream, args)));
}

void execute_xdel(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  auto [stream, wrong_type] = as_type<Stream>(store.find(argv[1]));
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr) return out->integer(0);
  const auto ids = parse_stream_ids(argv.subspan(2));
  if (!ids) return out->error(kInvalidStreamId);  // all or nothing
  int64_t deleted = 0;
  for (const auto& id : *ids) deleted += stream->erase(id) ? 1 : 0;
  out->integer(deleted);
}

}  // namespace

std::string parse_range_bound(const std::string& text, bool start, StreamId* id) {
  const bool exclusive = text.size() > 1 && text[0] == '(';
  const auto parsed =
      exclusive ? parse_stream_id(std::string_view(text).substr(1), true, start ? 0 : UINT64_MAX)
                : parse_stream_id(text, false, start ? 0 : UINT64_MAX);
  if (!parsed) return std::string(kInvalidStreamId);
  *id = *parsed;
  if (exclusive && !(start ? id->increment() : id->decrement())) {
    return start ? "ERR invalid start ID for the interval" : "ERR invalid end ID for the interval";
  }
  return {};
}

namespace {

void execute_xrange(const KvStore& store, bool reverse, std::span<const std::string> argv,
                    uint64_t now, RespWriter* out) {
  StreamId start, end;
  if (auto e = parse_range_bound(argv[reverse ? 3 : 2], true, &start); !e.empty()) {
    return out->error(e);
  }
  if (auto e = parse_range_bound(argv[reverse ? 2 : 3], false, &end); !e.empty()) {
    return out->error(e);
  }
  int64_t count = -1;
  for (size_t i = 4; i < argv.size(); ++i) {
    if (!equals_ci(argv[i], "count") || i + 1 >= argv.size()) return out->error(kSyntaxError);
    const auto n = parse_int64(argv[++i]);
    if (!n) return out->error(kNotInteger);
    count = std::max<int64_t>(*n, 0);
  }
  auto [stream, wrong_type] = as_type<Stream>(store.find_live(argv[1], now));
  if (wrong_type) return out->error(kWrongType);
  if (stream == nullptr) return out->array_header(0);
  if (count == 0) return out->null_array();
  std::vector<Stream::Entries::const_iterator> hits;
  const auto& entries = stream->entries();
  if (start <= end) {
    auto first = entries.lower_bound(start);
    auto last = entries.upper_bound(end);
    const auto limit = count < 0 ? UINT64_MAX : static_cast<uint64_t>(count);
    if (!reverse) {
      for (auto it = first; it != last && hits.size() < limit; ++it) hits.push_back(it);
    } else {
      for (auto it = last; it != first && hits.size() < limit;) hits.push_back(--it);
    }
  }
  out->array_header(hits.size());
  for (const auto& it : hits) write_stream_entry(it->first, it->second, out);
}

// XREAD (no group): the entries after each ID, for the streams that have any.
void execute_xread(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                   RespWriter* out) {
  ReadArgs args;
  if (auto error = parse_read_args(argv, false, &args); !error.empty()) return out->error(error);
  std::vector<StreamId> after(args.streams);
  for (size_t i = 0; i < args.streams; ++i) {
    const auto [stream, wrong_type] =
        as_type<Stream>(store.find_live(argv[args.streams_at + i], now));
    if (wrong_type) return out->error(kWrongType);
    const std::string& text = argv[args.streams_at + args.streams + i];
    if (text == "$") {
      after[i] = stream != nullptr ? stream->last_id() : StreamId{};
    } else if (text == ">") {
      return out->error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
          "<consumer> option.");
    } else if (const auto id = parse_stream_id(text, true, 0)) {
      after[i] = *id;
    } else {
      return out->error(kInvalidStreamId);
    }
  }
  // BLOCK: the server waits (client_service_block.cc); here a read answers what there is.
  std::string body;
  RespWriter w(&body);
  size_t served = 0;
  const auto limit = args.count == 0 ? UINT64_MAX : static_cast<uint64_t>(args.count);
  for (size_t i = 0; i < args.streams; ++i) {
    const auto* stream = collection_of<Stream>(store.find_live(argv[args.streams_at + i], now));
    if (stream == nullptr || stream->size() == 0 || !(after[i] < stream->last_id())) continue;
    auto it = stream->entries().upper_bound(after[i]);
    if (it == stream->entries().end()) continue;
    ++served;
    w.array_header(2);
    w.bulk(argv[args.streams_at + i]);
    std::vector<Stream::Entries::const_iterator> hits;
    for (; it != stream->entries().end() && hits.size() < limit; ++it) hits.push_back(it);
    w.array_header(hits.size());
    for (const auto& hit : hits) write_stream_entry(hit->first, hit->second, &w);
  }
  if (served == 0) return out->null_array();
  out->array_header(served);
  out->raw(body);
}

}  // namespace

std::string parse_read_args(std::span<const std::string> argv, bool group_read, ReadArgs* args) {
  for (size_t i = 1; i < argv.size(); ++i) {
    const size_t more = argv.size() - 1 - i;
    const std::string& opt = argv[i];
    if (equals_ci(opt, "block") && more > 0) {
      const auto ms = parse_int64(argv[++i]);
      if (!ms) return "ERR timeout is not an integer or out of range";
      if (*ms < 0) return "ERR timeout is negative";
      args->block_ms = *ms;
    } else if (equals_ci(opt, "count") && more > 0) {
      const auto n = parse_int64(argv[++i]);
      if (!n) return std::string(kNotInteger);
      args->count = std::max<int64_t>(*n, 0);
    } else if (equals_ci(opt, "streams") && more > 0) {
      args->streams_at = i + 1;
      const size_t rest = argv.size() - args->streams_at;
      if (rest % 2 != 0) {
        return std::string("ERR Unbalanced ") + (group_read ? "XREADGROUP" : "XREAD") +
               " list of streams: for each stream key an ID or '" + (group_read ? ">" : "$") +
               "' must be specified.";
      }
      args->streams = rest / 2;
      break;
    } else if (equals_ci(opt, "group") && more >= 2) {
      if (!group_read) {
        return "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
      }
      args->group = argv[i + 1];
      args->consumer = argv[i + 2];
      i += 2;
    } else if (equals_ci(opt, "noack")) {
      if (!group_read) {
        return "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
      }
      args->noack = true;
    } else {
      return std::string(kSyntaxError);
    }
  }
  if (args->streams_at == 0) return std::string(kSyntaxError);
  if (group_read && args->consumer.data() == nullptr) {
    return "ERR Missing GROUP option for XREADGROUP";
  }
  return {};
}

std::string validate_stream_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kXadd:
      return validate_xadd(argv);
    case CommandId::kXtrim: {
      TrimArgs args;
      return parse_trim_args(argv, false, &args);
    }
    case CommandId::kXsetid: {
      SetIdArgs args;
      return parse_xsetid(argv, &args);
    }
    case CommandId::kXreadgroup: {
      ReadArgs args;
      return parse_read_args(argv, true, &args);
    }
    default:
      return validate_stream_group_arguments(spec, argv);
  }
}

std::optional<StreamBlock> stream_block(const CommandSpec& spec,
                                        std::span<const std::string> argv) {
  if (spec.id != CommandId::kXread && spec.id != CommandId::kXreadgroup) return std::nullopt;
  ReadArgs args;
  if (!parse_read_args(argv, spec.id == CommandId::kXreadgroup, &args).empty() || !args.block_ms) {
    return std::nullopt;
  }
  return StreamBlock{*args.block_ms, args.streams_at, args.streams};
}

void execute_stream_read(const KvStore& store, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  switch (spec.id) {
    case CommandId::kXlen: {
      auto [stream, wrong_type] = as_type<Stream>(store.find_live(argv[1], now));
      if (wrong_type) return out->error(kWrongType);
      return out->integer(stream == nullptr ? 0 : static_cast<int64_t>(stream->size()));
    }
    case CommandId::kXrange:
    case CommandId::kXrevrange:
      return execute_xrange(store, spec.id == CommandId::kXrevrange, argv, now, out);
    case CommandId::kXread:
      return execute_xread(store, argv, now, out);
    default:
      return execute_stream_group_read(store, spec, argv, now, out);
  }
}

void execute_stream_write(KvStore& store, const CommandSpec& spec,
                          std::span<const std::string> argv, const WriteContext& context,
                          RespWriter* out) {
  switch (spec.id) {
    case CommandId::kXadd:
      return execute_xadd(store, argv, context.now_ms, out);
    case CommandId::kXtrim:
      return execute_xtrim(store, argv, out);
    case CommandId::kXdel:
      return execute_xdel(store, argv, out);
    case CommandId::kXsetid:
      return execute_xsetid(store, argv, out);
    default:
      return execute_stream_group_write(store, spec, argv, context, out);
  }
}

}  // namespace raftkv::kv
