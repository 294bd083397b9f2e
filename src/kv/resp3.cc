#include "kv/resp3.h"

#include <charconv>

#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

using enum Resp3Shape;

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    if (c != b[i]) return false;
  }
  return true;
}

// A map field whose value has a shape of its own.
struct FieldShape {
  std::string_view field;
  Resp3Shape shape;
};
constexpr FieldShape kXinfoStreamFields[] = {{"groups", kXinfoGroups}};
constexpr FieldShape kXinfoGroupFields[] = {{"consumers", kMaps}};
constexpr FieldShape kAclUserFields[] = {{"flags", kSet}, {"selectors", kMaps}};
constexpr FieldShape kAclLogFields[] = {{"age-seconds", kDouble}};
constexpr FieldShape kShardFields[] = {{"nodes", kMaps}};
constexpr FieldShape kLibraryFields[] = {{"functions", kFunctions}};
constexpr FieldShape kFunctionFields[] = {{"flags", kSet}};
constexpr FieldShape kFunctionStatsFields[] = {{"engines", kMapOfMaps}};
constexpr FieldShape kKeySpecFields[] = {
    {"flags", kSet}, {"begin_search", kKeySearch}, {"find_keys", kKeySearch}};
constexpr FieldShape kKeySearchFields[] = {{"spec", kMap}};
constexpr FieldShape kLatencyCdfFields[] = {{"histogram_usec", kMap}};

// The fields with shapes of their own of each element of an array of maps.
std::span<const FieldShape> element_fields(Resp3Shape shape) {
  switch (shape) {
    case kAclLog:
      return kAclLogFields;
    case kXinfoGroups:
      return kXinfoGroupFields;
    case kClusterShards:
      return kShardFields;
    case kFunctionList:
      return kLibraryFields;
    case kFunctions:
      return kFunctionFields;
    default:
      return {};
  }
}

// Walks one RESP2 reply and writes it as RESP3.
class Converter {
 public:
  // `down`: RESP3 to RESP2 instead (to_resp2).
  Converter(std::string_view in, std::span<const Resp3Shape> elements, bool down = false)
      : in_(in), elements_(elements), down_(down) {
    out_.reserve(in.size() + 16);
  }

  // The whole input (normally one reply) as `shape`; false if it is not well-formed.
  bool run(Resp3Shape shape) {
    while (pos_ < in_.size()) {
      if (!value(shape)) return false;
    }
    return true;
  }
  std::string take() { return std::move(out_); }

 private:
  bool line(char* type, std::string_view* text) {
    const size_t end = in_.find("\r\n", pos_);
    if (pos_ >= in_.size() || end == std::string_view::npos) return false;
    *type = in_[pos_];
    *text = in_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 2;
    return true;
  }

  void header(char type, int64_t n) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, n);
    out_.push_back(type);
    out_.append(digits, result.ptr);
    out_.append("\r\n");
  }

  bool value(Resp3Shape shape) {
    const size_t start = pos_;
    char type = 0;
    std::string_view text;
    if (!line(&type, &text)) return false;
    const std::string_view whole = in_.substr(start, pos_ - start);
    switch (type) {
      case '+':
      case '-':
      case ':':
        out_.append(whole);
        return true;
      // RESP3's own types, in a script's reply (redis.setresp(3), {map=...}): kept, or
      // written as RESP2 gives them.
      case '_':
        out_.append(down_ ? "$-1\r\n" : "_\r\n");
        return true;
      case ',':
      case '(':
        if (!down_) {
          out_.append(whole);
        } else {
          header('$', static_cast<int64_t>(text.size()));
          out_.append(text);
          out_.append("\r\n");
        }
        return true;
      case '#':
        out_.append(!down_ ? whole : text == "t" ? ":1\r\n" : ":0\r\n");
        return true;
      default:
        break;
    }
    const auto n = parse_int64(text);
    if (!n) return false;
    switch (type) {
      case '$':
      case '*':
        if (*n < 0) {
          out_.append(down_ ? whole : "_\r\n");
          return true;
        }
        if (down_) shape = kPlain;
        return type == '$' ? bulk(start, static_cast<size_t>(*n), shape) : array(*n, shape);
      case '=':
        if (*n < 4 || in_.size() - pos_ < static_cast<size_t>(*n) + 2) return false;
        if (!down_) return bulk(start, static_cast<size_t>(*n), kPlain);
        header('$', *n - 4);  // RESP2: the text without its format
        out_.append(in_.substr(pos_ + 4, static_cast<size_t>(*n) - 4));
        out_.append("\r\n");
        pos_ += static_cast<size_t>(*n) + 2;
        return true;
      case '%':
        header(down_ ? '*' : '%', down_ ? *n * 2 : *n);
        return elements(*n * 2, kPlain);
      case '~':
      case '>':
        header(down_ ? '*' : type, *n);
        return elements(*n, kPlain);
      default:
        return false;
    }
  }

  bool bulk(size_t start, size_t n, Resp3Shape shape) {
    if (in_.size() - pos_ < n + 2) return false;
    const std::string_view body = in_.substr(pos_, n);
    pos_ += n + 2;
    if (shape == kDouble) {
      out_.push_back(',');
      out_.append(body);
      out_.append("\r\n");
    } else if (shape == kVerbatim) {
      header('=', static_cast<int64_t>(n + 4));
      out_.append("txt:");
      out_.append(body);
      out_.append("\r\n");
    } else {
      out_.append(in_.substr(start, pos_ - start));
    }
    return true;
  }

  // The body of the bulk string at the read position, if there is one (not consumed).
  std::string_view peek_bulk() const {
    if (pos_ >= in_.size() || in_[pos_] != '$') return {};
    const size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos) return {};
    const auto n = parse_int64(in_.substr(pos_ + 1, end - pos_ - 1));
    if (!n || *n < 0 || in_.size() - end - 2 < static_cast<size_t>(*n)) return {};
    return in_.substr(end + 2, static_cast<size_t>(*n));
  }

  bool elements(int64_t n, Resp3Shape shape) {
    for (int64_t i = 0; i < n; ++i) {
      if (!value(shape)) return false;
    }
    return true;
  }

  // An array of n elements, element i converted as shape_of(i).
  template <typename ShapeOf>
  bool array_of(int64_t n, ShapeOf shape_of) {
    header('*', n);
    for (int64_t i = 0; i < n; ++i) {
      if (!value(shape_of(i))) return false;
    }
    return true;
  }

  bool map(int64_t n, std::span<const FieldShape> fields) {
    if (n % 2 != 0) {
      header('*', n);
      return elements(n, kPlain);
    }
    header('%', n / 2);
    for (int64_t i = 0; i < n; i += 2) {
      const std::string_view key = peek_bulk();
      if (!value(kPlain)) return false;
      Resp3Shape shape = kPlain;
      for (const FieldShape& f : fields) {
        if (f.field == key) shape = f.shape;
      }
      if (!value(shape)) return false;
    }
    return true;
  }

  bool array(int64_t n, Resp3Shape shape) {
    switch (shape) {
      case kMap:
        return map(n, {});
      case kXinfoStream:
        return map(n, kXinfoStreamFields);
      case kAclUser:
        return map(n, kAclUserFields);
      case kSet:
        header('~', n);
        return elements(n, kPlain);
      case kDoubles:
        return array_of(n, [](int64_t) { return kDouble; });
      case kFunctionStats:
        return map(n, kFunctionStatsFields);
      case kMapOfMaps:
      case kLatencyHistograms:
        if (n % 2 != 0) break;
        header('%', n / 2);
        for (int64_t i = 0; i < n; i += 2) {
          if (!value(kPlain) || !value(shape == kMapOfMaps ? kMap : kLatencyCdf)) return false;
        }
        return true;
      case kLatencyCdf:
        return map(n, kLatencyCdfFields);
      case kMaps:
      case kXinfoGroups:
      case kAclLog:
      case kClusterShards:
      case kFunctionList:
      case kFunctions:
        header('*', n);
        for (int64_t i = 0; i < n; ++i) {
          if (pos_ >= in_.size() || in_[pos_] != '*') {
            if (!value(kPlain)) return false;
            continue;
          }
          char type = 0;
          std::string_view text;
          if (!line(&type, &text)) return false;
          const auto len = parse_int64(text);
          if (!len) return false;
          if (*len < 0) {
            out_.append("_\r\n");
            continue;
          }
          if (!map(*len, element_fields(shape))) return false;
        }
        return true;
      case kPush:
        header('>', n);
        return elements(n, kPlain);
      case kScorePair:
        return array_of(n, [](int64_t i) { return i % 2 == 1 ? kDouble : kPlain; });
      case kScorePairs:
      case kPairs:
        if (n % 2 != 0) break;
        header('*', n / 2);
        for (int64_t i = 0; i < n; i += 2) {
          out_.append("*2\r\n");
          if (!value(kPlain) || !value(shape == kScorePairs ? kDouble : kPlain)) return false;
        }
        return true;
      case kKeyMemberScore:
        return array_of(n, [](int64_t i) { return i == 2 ? kDouble : kPlain; });
      case kKeyScorePairs:  // RESP2 already pairs them, as Redis does
        return array_of(n, [](int64_t i) { return i == 1 ? kScorePairList : kPlain; });
      case kScorePairList:
        return array_of(n, [](int64_t) { return kScorePair; });
      case kStreams:
        header('%', n);
        for (int64_t i = 0; i < n; ++i) {
          char type = 0;
          std::string_view text;
          if (!line(&type, &text) || type != '*' || text != "2") return false;
          if (!value(kPlain) || !value(kPlain)) return false;
        }
        return true;
      case kCommandInfo:
        return array_of(n, [](int64_t) { return kCommandEntry; });
      case kGeoPositions:
        return array_of(n, [](int64_t) { return kDoubles; });
      case kGeoResults:
        return array_of(n, [](int64_t) { return kGeoResult; });
      case kGeoResult:
        return array_of(n, [n](int64_t i) { return i == n - 1 ? kDoubles : kPlain; });
      case kCommandEntry:
        // name, arity, flags, first, last, step, categories, tips, key specs, subcommands
        return array_of(n, [n](int64_t i) {
          if (n == 10 && i == 8) return kKeySpecs;
          return n == 10 && (i == 2 || i >= 6) ? kSet : kPlain;
        });
      case kKeySpecs:
        header('~', n);
        return elements(n, kKeySpec);
      case kKeySpec:
        return map(n, kKeySpecFields);
      case kKeySearch:
        return map(n, kKeySearchFields);
      case kKeysAndFlags:
        return array_of(n, [](int64_t) { return kKeyAndFlags; });
      case kKeyAndFlags:
        return array_of(n, [](int64_t i) { return i == 1 ? kSet : kPlain; });
      case kTransaction: {
        const std::span<const Resp3Shape> shapes = elements_;
        elements_ = {};  // only EXEC's own elements
        return array_of(n, [shapes](int64_t i) {
          const size_t at = static_cast<size_t>(i);
          return at < shapes.size() ? shapes[at] : kPlain;
        });
      }
      default:
        break;
    }
    header('*', n);
    return elements(n, kPlain);
  }

  std::string_view in_;
  std::span<const Resp3Shape> elements_;
  bool down_ = false;
  size_t pos_ = 0;
  std::string out_;
};

// Whether WITHSCORES follows a range command's key, start and stop.
bool with_scores(std::span<const std::string> args) {
  for (size_t i = 4; i < args.size(); ++i) {
    if (equals_ignore_case(args[i], "withscores")) return true;
  }
  return false;
}

// Whether WITHSCORES follows the keys counted by numkeys (ZUNION, ZINTER, ZDIFF).
bool counted_with_scores(std::span<const std::string> args) {
  const auto numkeys = args.size() > 1 ? parse_int64(args[1]) : std::nullopt;
  if (!numkeys || *numkeys < 0) return false;
  for (size_t i = 2 + static_cast<size_t>(*numkeys); i < args.size(); ++i) {
    if (equals_ignore_case(args[i], "withscores")) return true;
  }
  return false;
}

// The last argument is `word` after a key and a count (ZRANDMEMBER, HRANDFIELD).
bool counted_with(std::span<const std::string> args, std::string_view word) {
  return args.size() == 4 && equals_ignore_case(args[3], word);
}

}  // namespace

Resp3Shape resp3_shape(const CommandSpec& spec, std::span<const std::string> args) {
  using enum CommandId;
  const auto sub = [&](std::string_view name) {
    return args.size() > 1 && equals_ignore_case(args[1], name);
  };
  switch (spec.id) {
    case kZrange:
    case kZrevrange:
    case kZrangebyscore:
    case kZrevrangebyscore:
      return with_scores(args) ? kScorePairs : kPlain;
    case kZunion:
    case kZinter:
    case kZdiff:
      return counted_with_scores(args) ? kScorePairs : kPlain;
    case kZrandmember:
      return counted_with(args, "withscores") ? kScorePairs : kPlain;
    case kHrandfield:
      return counted_with(args, "withvalues") ? kPairs : kPlain;
    case kLcs:  // with IDX: {matches: [...], len: n}
      for (size_t i = 3; i < args.size(); ++i) {
        if (equals_ignore_case(args[i], "idx")) return kMap;
      }
      return kPlain;
    case kZpopmin:
    case kZpopmax:
      return args.size() > 2 ? kScorePairs : kScorePair;
    case kConfig:
      return sub("get") ? kMap : kPlain;
    case kXinfo:
      if (sub("stream")) return kXinfoStream;
      return sub("groups") || sub("consumers") ? kMaps : kPlain;
    case kAcl:
      if (sub("getuser")) return kAclUser;
      return sub("log") ? kAclLog : kPlain;
    case kCommand:
      if (args.size() == 1 || sub("info")) return kCommandInfo;
      if (sub("getkeysandflags")) return kKeysAndFlags;
      return sub("docs") ? kMap : kPlain;
    case kClient:
      if (sub("trackinginfo")) return kAclUser;  // a map whose flags are a set, as ACL GETUSER's
      return sub("list") || sub("info") ? kVerbatim : kPlain;
    case kLatency:
      if (sub("doctor")) return kVerbatim;
      return sub("histogram") ? kLatencyHistograms : kPlain;
    case kGeosearch:
    case kGeoradius:
    case kGeoradiusbymember:
    case kGeoradiusRo:
    case kGeoradiusbymemberRo:
      for (size_t i = 3; i < args.size(); ++i) {
        if (equals_ignore_case(args[i], "withcoord")) return kGeoResults;
      }
      return kPlain;
    case kFunction:
      if (sub("list")) return kFunctionList;
      return sub("stats") ? kFunctionStats : kPlain;
    case kCluster:
      if (sub("shards")) return kClusterShards;
      return sub("info") || sub("nodes") ? kVerbatim : kPlain;
    default:
      return spec.resp3;
  }
}

void to_resp3(std::string* reply, Resp3Shape shape, std::span<const Resp3Shape> elements) {
  if (reply->empty()) return;
  const char type = (*reply)[0];
  if (type == '+' || type == '-' || type == ':') return;  // the same in RESP3
  if (shape == kPlain) {
    // A string of a plain command (GET): the same too. So is any plain reply without a null
    // ($-1 or *-1); "-1\r\n" inside a value only costs a needless (and correct) conversion.
    if (type == '$' && reply->size() > 1 && (*reply)[1] != '-') return;
    if (reply->find("-1\r\n") == std::string::npos) return;
  }
  Converter converter(*reply, elements);
  if (converter.run(shape)) *reply = converter.take();
}

void to_resp2(std::string* reply) {
  // Only a script's reply may hold RESP3 types; most hold none of their type bytes.
  if (reply->find_first_of("_,#(=%~>") == std::string::npos) return;
  Converter converter(*reply, {}, /*down=*/true);
  if (converter.run(Resp3Shape::kPlain)) *reply = converter.take();
}

HelloRequest parse_hello(std::span<const std::string> argv) {
  HelloRequest request;
  size_t next = 1;
  if (argv.size() >= 2) {
    const auto version = parse_int64(argv[next++]);
    if (!version) {
      request.error = "ERR Protocol version is not an integer or out of range";
      return request;
    }
    if (*version < 2 || *version > 3) {
      request.error = "NOPROTO unsupported protocol version";
      return request;
    }
    request.protocol = static_cast<int>(*version);
  }
  for (size_t j = next; j < argv.size(); ++j) {
    const size_t more = argv.size() - 1 - j;
    if (equals_ignore_case(argv[j], "auth") && more >= 2) {
      request.steps.push_back({HelloStep::kAuth, argv[j + 1], argv[j + 2]});
      j += 2;
    } else if (equals_ignore_case(argv[j], "setname") && more >= 1) {
      request.steps.push_back({HelloStep::kSetName, argv[j + 1], {}});
      j += 1;
    } else {
      request.steps.push_back(
          {HelloStep::kError, "ERR Syntax error in HELLO option '" + argv[j] + "'", {}});
      break;
    }
  }
  return request;
}

void write_hello(RespWriter* out, int protocol, uint64_t client_id, const HelloInfo& info) {
  out->array_header(14);
  out->bulk("server");
  out->bulk("redis");
  out->bulk("version");
  out->bulk(info.version);
  out->bulk("proto");
  out->integer(protocol);
  out->bulk("id");
  out->integer(static_cast<int64_t>(client_id));
  out->bulk("mode");
  out->bulk(info.mode);
  out->bulk("role");
  out->bulk(info.role);
  out->bulk("modules");
  out->array_header(0);
}

}  // namespace raftkv::kv
