#include "kv/key_specs.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "kv/ascii.h"
#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

using enum CommandId;

// Each command's specs, found once by name; and whether it is a container whose
// subcommands have specs of their own (OBJECT, XINFO, XGROUP, MEMORY).
struct SpecsById {
  std::array<const NamedKeySpecs*, 256> base{};
  std::array<bool, 256> container{};
};

const SpecsById& specs_by_id() {
  static const SpecsById table = [] {
    SpecsById t;
    for (const CommandSpec& spec : command_table()) {
      const auto id = static_cast<size_t>(spec.id);
      t.base[id] = find_key_specs(spec.name);
      for (const NamedKeySpecs& named : key_spec_index()) {
        const std::string_view name = named.name;
        t.container[id] =
            t.container[id] || (name.size() > spec.name.size() && name.starts_with(spec.name) &&
                                name[spec.name.size()] == '|');
      }
    }
    return t;
  }();
  return table;
}

// The specs that apply to `argv`: a container's are its subcommand's.
const NamedKeySpecs* applicable_specs(const CommandSpec& spec, std::span<const std::string> argv) {
  const SpecsById& t = specs_by_id();
  const auto id = static_cast<size_t>(spec.id);
  if (!t.container[id]) return t.base[id];
  if (argv.size() < 2) return nullptr;
  return find_key_specs(std::string(spec.name) + "|" + ascii_lower(argv[1]));
}

// A keyword spec's start: the argument after the keyword, or 0 when it is absent. The
// search covers startfrom up to the second-to-last argument (forwards), or down to the
// first argument (backwards, from the end), as Redis 7.0 searches.
long keyword_start(const BeginSearch& begin, std::span<const std::string> argv) {
  const auto argc = static_cast<long>(argv.size());
  const long start = begin.startfrom > 0 ? begin.startfrom : argc + begin.startfrom;
  const long end = begin.startfrom > 0 ? argc - 1 : 0;
  for (long i = start; i != end; i = start <= end ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (equals_ignore_case(argv[static_cast<size_t>(i)], begin.keyword)) return i + 1;
  }
  return 0;
}

// The last key of a find_keys rule whose first key is at `first`; false when the rule
// cannot say (an unknown rule, or a numkeys that is not a count).
bool find_last(const FindKeys& find, std::span<const std::string> argv, long* first, long* last,
               long* step) {
  const auto argc = static_cast<long>(argv.size());
  if (find.kind == FindKeys::Kind::kRange) {
    *step = find.b;
    if (find.a >= 0) {
      *last = *first + find.a;
    } else if (find.c == 0) {
      *last = argc + find.a;
    } else {  // only 1/limit of what remains are keys (XREAD's STREAMS: keys, then IDs)
      *last = *first + ((argc - *first) / find.c + find.a);
    }
    return true;
  }
  if (find.kind != FindKeys::Kind::kKeynum || *first + find.a >= argc) return false;
  const auto numkeys = parse_int64(argv[static_cast<size_t>(*first + find.a)]);
  if (!numkeys || *numkeys < 0 || *numkeys > argc) return false;
  *step = find.c;
  *first += find.b;
  *last = *first + *numkeys - 1;
  return true;
}

// Adds the keys one spec finds; false when the spec cannot find them (Redis then asks
// the command's own rule, getkeys_fallback).
bool add_spec_keys(const KeySpec& s, std::span<const std::string> argv, CommandKeys* keys) {
  if ((s.flags & kKeyNotKey) != 0) return true;
  long first = 0;
  if (s.begin.kind == BeginSearch::Kind::kIndex) {
    first = s.begin.index;
  } else if (s.begin.kind == BeginSearch::Kind::kKeyword) {
    first = keyword_start(s.begin, argv);
    if (first == 0) return true;  // an optional keyword (STORE) that is not there
  } else {
    return false;
  }
  long last = 0, step = 1;
  if (!find_last(s.find, argv, &first, &last, &step)) return false;
  const auto argc = static_cast<long>(argv.size());
  if (last >= argc || last < first || first >= argc || step < 1) return false;
  keys->add(
      {static_cast<size_t>(first), static_cast<size_t>(last), static_cast<size_t>(step), s.flags});
  return (s.flags & kKeyIncomplete) == 0;
}

// C's atoi, which Redis's fallback rules use for numkeys ("2x" is 2, "x" is 0).
long loose_number(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
  const bool negative = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  long n = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 1'000'000'000'000L; ++i) {
    n = n * 10 + (s[i] - '0');
  }
  return negative ? -n : n;
}

// numkeys at `count_at` counts the keys from `first_at`; a destination at `store_at`
// (0: none) comes after them. No keys unless numkeys is a count of what follows.
CommandKeys counted_keys(std::span<const std::string> argv, size_t store_at, size_t count_at,
                         size_t first_at) {
  CommandKeys keys;
  if (count_at >= argv.size()) return keys;
  const long n = loose_number(argv[count_at]);
  if (n < 1 || n > static_cast<long>(argv.size() - first_at)) return keys;
  keys.add({first_at, first_at + static_cast<size_t>(n) - 1, 1, 0});
  if (store_at != 0) keys.add({store_at, store_at, 1, 0});
  return keys;
}

// SORT: the sorted key, and STORE's destination (the last STORE, skipping the arguments
// of LIMIT, BY and GET). SORT_RO: the sorted key only.
CommandKeys sort_keys(const CommandSpec& spec, std::span<const std::string> argv) {
  CommandKeys keys;
  keys.add({1, 1, 1, kKeyRO | kKeyAccess});
  if (spec.id != kSort) return keys;
  size_t store = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (equals_ignore_case(argv[i], "limit")) {
      i += 2;
    } else if (equals_ignore_case(argv[i], "get") || equals_ignore_case(argv[i], "by")) {
      i += 1;
    } else if (equals_ignore_case(argv[i], "store") && i + 1 < argv.size()) {
      store = i + 1;
    }
  }
  if (store != 0) keys.add({store, store, 1, kKeyOW | kKeyUpdate});
  return keys;
}

// GEORADIUS[BYMEMBER]: the source, and the last STORE or STOREDIST destination.
CommandKeys georadius_keys(std::span<const std::string> argv) {
  CommandKeys keys;
  keys.add({1, 1, 1, kKeyRO | kKeyAccess});
  size_t store = 0;
  for (size_t i = 5; i + 1 < argv.size(); ++i) {
    if (equals_ignore_case(argv[i], "store") || equals_ignore_case(argv[i], "storedist")) {
      store = ++i;
    }
  }
  if (store != 0) keys.add({store, store, 1, kKeyOW | kKeyUpdate});
  return keys;
}

// BITFIELD only reads its key when every operation is a complete GET (OVERFLOW aside).
CommandKeys bitfield_keys(std::span<const std::string> argv) {
  bool read_only = true;
  for (size_t i = 2; i < argv.size() && read_only; ++i) {
    const size_t remaining = argv.size() - i - 1;
    if (equals_ignore_case(argv[i], "get") && remaining >= 2) {
      i += 2;
    } else if (equals_ignore_case(argv[i], "overflow") && remaining >= 1) {
      i += 1;
    } else {
      read_only = false;  // a write, or a syntax error: assume the worst
    }
  }
  CommandKeys keys;
  keys.add(
      {1, 1, 1,
       static_cast<uint16_t>(read_only ? kKeyRO | kKeyAccess : kKeyRW | kKeyAccess | kKeyUpdate)});
  return keys;
}

// SET overwrites its key, unless GET also returns the old value.
CommandKeys set_keys(std::span<const std::string> argv) {
  const bool get = std::any_of(argv.begin() + std::min<ptrdiff_t>(3, std::ssize(argv)), argv.end(),
                               [](const std::string& a) { return equals_ignore_case(a, "get"); });
  CommandKeys keys;
  keys.add({1, 1, 1,
            static_cast<uint16_t>(get ? kKeyRW | kKeyAccess | kKeyUpdate : kKeyOW | kKeyUpdate)});
  return keys;
}

// The command's own rule, for what its specs cannot tell (Redis's getkeys procedures).
// XREAD and XREADGROUP have none: their spec fails only when fewer than two arguments
// follow STREAMS, which names no stream.
CommandKeys getkeys_fallback(const CommandSpec& spec, std::span<const std::string> argv) {
  if (argv.size() < 2) return {};  // (every rule below has a key at argv[1] or later)
  switch (spec.id) {
    case kSet:
      return set_keys(argv);
    case kBitfield:
      return bitfield_keys(argv);
    case kSort:
    case kSortRo:
      return sort_keys(spec, argv);
    case kGeoradius:
    case kGeoradiusbymember:
      return georadius_keys(argv);
    case kEval:
    case kEvalsha:
    case kEvalRo:
    case kEvalshaRo:
    case kFcall:
    case kFcallRo:
    case kBlmpop:
    case kBzmpop:
      return counted_keys(argv, 0, 2, 3);
    case kZunionstore:
    case kZinterstore:
    case kZdiffstore:
      return counted_keys(argv, 1, 2, 3);
    case kZunion:
    case kZinter:
    case kZdiff:
    case kZintercard:
    case kSintercard:
    case kLmpop:
    case kZmpop:
      return counted_keys(argv, 0, 1, 2);
    default:
      return {};
  }
}

// A key's flags as a set of names, in Redis's order.
void write_key_flags(uint16_t flags, RespWriter* out) {
  static constexpr std::array<std::string_view, 11> kNames = {
      "RO",     "RW",     "OW",      "RM",         "access",        "update",
      "insert", "delete", "not_key", "incomplete", "variable_flags"};
  size_t n = 0;
  for (size_t bit = 0; bit < kNames.size(); ++bit) n += (flags >> bit) & 1u;
  out->array_header(n);
  for (size_t bit = 0; bit < kNames.size(); ++bit) {
    if (((flags >> bit) & 1u) != 0) out->simple(kNames[bit]);
  }
}

void write_begin_search(const BeginSearch& begin, RespWriter* out) {
  out->array_header(4);
  out->bulk("type");
  switch (begin.kind) {
    case BeginSearch::Kind::kIndex:
      out->bulk("index");
      out->bulk("spec");
      out->array_header(2);
      out->bulk("index");
      return out->integer(begin.index);
    case BeginSearch::Kind::kKeyword:
      out->bulk("keyword");
      out->bulk("spec");
      out->array_header(4);
      out->bulk("keyword");
      out->bulk(begin.keyword);
      out->bulk("startfrom");
      return out->integer(begin.startfrom);
    case BeginSearch::Kind::kUnknown:
      out->bulk("unknown");
      out->bulk("spec");
      return out->array_header(0);
  }
}

void write_find_keys(const FindKeys& find, RespWriter* out) {
  out->array_header(4);
  out->bulk("type");
  if (find.kind == FindKeys::Kind::kUnknown) {
    out->bulk("unknown");
    out->bulk("spec");
    return out->array_header(0);
  }
  const bool range = find.kind == FindKeys::Kind::kRange;
  out->bulk(range ? "range" : "keynum");
  out->bulk("spec");
  out->array_header(6);
  out->bulk(range ? "lastkey" : "keynumidx");
  out->integer(find.a);
  out->bulk(range ? "keystep" : "firstkey");
  out->integer(find.b);
  out->bulk(range ? "limit" : "keystep");
  out->integer(find.c);
}

}  // namespace

const NamedKeySpecs* find_key_specs(std::string_view name) {
  for (const NamedKeySpecs& named : key_spec_index()) {
    if (named.name == name) return &named;
  }
  return nullptr;
}

std::span<const KeySpec> specs_of(const NamedKeySpecs* named) {
  if (named == nullptr) return {};
  return key_spec_rows().subspan(named->first, named->count);
}

CommandKeys command_keys(const CommandSpec& spec, std::span<const std::string> argv) {
  const std::span<const KeySpec> specs = specs_of(applicable_specs(spec, argv));
  // Flags that depend on the arguments (SET's GET) are the command's rule's to say.
  if (std::ranges::any_of(specs,
                          [](const KeySpec& s) { return (s.flags & kKeyVariableFlags) != 0; })) {
    return getkeys_fallback(spec, argv);
  }
  CommandKeys keys;
  for (const KeySpec& s : specs) {
    if (!add_spec_keys(s, argv, &keys)) return getkeys_fallback(spec, argv);
  }
  return keys;
}

KeyRange numkeys_key_range(const CommandSpec& spec, std::span<const std::string> argv) {
  for (const KeySpec& s : specs_of(specs_by_id().base[static_cast<size_t>(spec.id)])) {
    if (s.find.kind != FindKeys::Kind::kKeynum) continue;
    CommandKeys keys;
    if (!add_spec_keys(s, argv, &keys) || keys.empty()) return {};
    return {keys.runs[0].first, keys.runs[0].last};
  }
  return {};
}

void write_key_specs(const CommandSpec& spec, RespWriter* out) {
  const std::span<const KeySpec> specs = specs_of(specs_by_id().base[static_cast<size_t>(spec.id)]);
  out->array_header(specs.size());
  for (const KeySpec& s : specs) {
    out->array_header(s.notes.empty() ? 6 : 8);
    if (!s.notes.empty()) {
      out->bulk("notes");
      out->bulk(s.notes);
    }
    out->bulk("flags");
    write_key_flags(s.flags, out);
    out->bulk("begin_search");
    write_begin_search(s.begin, out);
    out->bulk("find_keys");
    write_find_keys(s.find, out);
  }
}

void execute_command_getkeys(std::span<const std::string> argv, bool with_flags, RespWriter* out) {
  if (argv.size() < 4) {  // COMMAND GETKEYS <command> <argument>...: Redis's arity is -4
    return out->error(
        wrong_arity_error(with_flags ? "command|getkeysandflags" : "command|getkeys"));
  }
  const std::span<const std::string> args = argv.subspan(2);
  const CommandSpec* spec = find_command(args[0]);
  if (spec == nullptr) return out->error("ERR Invalid command specified");
  const bool container = specs_by_id().container[static_cast<size_t>(spec->id)];
  const NamedKeySpecs* named = applicable_specs(*spec, args);
  // A container's subcommand that Redis does not have (the table lists every one it has).
  if (named == nullptr && container) return out->error("ERR Invalid command specified");
  if (named == nullptr || named->count == 0) {
    return out->error("ERR The command has no key arguments");
  }
  const int arity = container ? named->arity : spec->arity;
  if (arity >= 0 ? args.size() != static_cast<size_t>(arity)
                 : args.size() < static_cast<size_t>(-arity)) {
    return out->error("ERR Invalid number of arguments specified for command");
  }
  const CommandKeys keys = command_keys(*spec, args);
  if (keys.empty() && !named->keys_optional) {
    return out->error("ERR Invalid arguments specified for command");
  }
  size_t n = 0;
  keys.each([&n](size_t, uint16_t) { ++n; });
  out->array_header(n);
  keys.each([&](size_t i, uint16_t flags) {
    if (!with_flags) return out->bulk(args[i]);
    out->array_header(2);
    out->bulk(args[i]);
    write_key_flags(flags, out);
  });
}

size_t first_key_at(const CommandSpec& spec, std::span<const std::string> argv) {
  if ((spec.flags & kFlagMovableKeys) != 0 ||
      specs_by_id().container[static_cast<size_t>(spec.id)]) {
    return command_keys(spec, argv).first();
  }
  return spec.first_key > 0 && static_cast<size_t>(spec.first_key) < argv.size()
             ? static_cast<size_t>(spec.first_key)
             : 0;
}

}  // namespace raftkv::kv
