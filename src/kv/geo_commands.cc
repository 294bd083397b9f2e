#include "kv/geo_commands.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "kv/float_format.h"
#include "kv/geohash.h"
#include "kv/sorted_set.h"

namespace raftkv::kv {

namespace {

using geo::Coordinates;
using geo::Shape;

constexpr std::string_view kBadUnit = "ERR unsupported unit provided. please use M, KM, FT, MI";
constexpr std::string_view kBadMember = "ERR could not decode requested zset member";

std::optional<double> unit_to_meters(std::string_view unit) {
  if (equals_ci(unit, "m")) return 1;
  if (equals_ci(unit, "km")) return 1000;
  if (equals_ci(unit, "ft")) return 0.3048;
  if (equals_ci(unit, "mi")) return 1609.34;
  return std::nullopt;
}

// Redis's extractLongLatOrReply: two floats, then the range check.
std::string parse_lonlat(std::span<const std::string> args, Coordinates* xy) {
  const auto lon = parse_double(args[0]);
  if (!lon) return std::string(kNotFloat);
  const auto lat = parse_double(args[1]);
  if (!lat) return std::string(kNotFloat);
  *xy = {*lon, *lat};
  if (geo::valid_coordinates(*xy)) return {};
  char text[160];
  std::snprintf(text, sizeof text, "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
  return text;
}

// Redis's extractDistanceOrReply: radius, unit.
std::string parse_radius(std::span<const std::string> args, Shape* shape) {
  const auto radius = parse_double(args[0]);
  if (!radius) return "ERR need numeric radius";
  if (*radius < 0) return "ERR radius cannot be negative";
  const auto unit = unit_to_meters(args[1]);
  if (!unit) return std::string(kBadUnit);
  shape->box = false;
  shape->radius = *radius;
  shape->to_meters = *unit;
  return {};
}

// Redis's extractBoxOrReply: width, height, unit.
std::string parse_box(std::span<const std::string> args, Shape* shape) {
  const auto width = parse_double(args[0]);
  if (!width) return "ERR need numeric width";
  const auto height = parse_double(args[1]);
  if (!height) return "ERR need numeric height";
  if (*height < 0 || *width < 0) return "ERR height or width cannot be negative";
  const auto unit = unit_to_meters(args[2]);
  if (!unit) return std::string(kBadUnit);
  shape->box = true;
  shape->width = *width;
  shape->height = *height;
  shape->to_meters = *unit;
  return {};
}

// Which search: Redis's georadiusGeneric flags.
enum SearchFlag : uint8_t {
  kByCoords = 1,
  kByMember = 2,
  kNoStore = 4,
  kSearch = 8,
  kSearchStore = 16,
};

uint8_t search_flags(CommandId id) {
  switch (id) {
    case CommandId::kGeoradius:
      return kByCoords;
    case CommandId::kGeoradiusbymember:
      return kByMember;
    case CommandId::kGeoradiusRo:
      return kByCoords | kNoStore;
    case CommandId::kGeoradiusbymemberRo:
      return kByMember | kNoStore;
    case CommandId::kGeosearch:
      return kSearch;
    default:
      return kSearch | kSearchStore;
  }
}

struct Search {
  uint8_t flags = 0;
  Shape shape;
  bool withdist = false, withhash = false, withcoord = false, any = false;
  int sort = 0;  // 0 none, 1 ascending, -1 descending
  int64_t count = 0;
  size_t store_key = 0;  // argv index; 0: none
  bool store_dist = false;
  bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
};

std::string member_center(const SortedSet* zset, const std::string& member, Coordinates* xy) {
  const auto score = zset->score(member);
  if (!score) return std::string(kBadMember);
  *xy = geo::point_of(*score);
  return {};
}

// GEOSEARCH's FROM and BY options (argv[i] is the option); empty: not one of them.
std::optional<std::string> parse_search_option(std::span<const std::string> argv, size_t* i,
                                               const SortedSet* zset, Search* s) {
  const std::string& arg = argv[*i];
  const size_t left = argv.size() - *i - 1;
  if (equals_ci(arg, "frommember") && left >= 1 && !s->from_lonlat) {
    s->from_member = true;
    *i += 1;
    return zset == nullptr ? "" : member_center(zset, argv[*i], &s->shape.center);
  }
  if (equals_ci(arg, "fromlonlat") && left >= 2 && !s->from_member) {
    s->from_lonlat = true;
    *i += 2;
    return parse_lonlat(argv.subspan(*i - 1, 2), &s->shape.center);
  }
  if (equals_ci(arg, "byradius") && left >= 2 && !s->by_box) {
    s->by_radius = true;
    *i += 2;
    return parse_radius(argv.subspan(*i - 1, 2), &s->shape);
  }
  if (equals_ci(arg, "bybox") && left >= 3 && !s->by_radius) {
    s->by_box = true;
    *i += 3;
    return parse_box(argv.subspan(*i - 2, 3), &s->shape);
  }
  return std::nullopt;
}

// One option of the loop in Redis's georadiusGeneric; an error, or empty.
std::string parse_option(std::span<const std::string> argv, size_t* i, const SortedSet* zset,
                         Search* s) {
  const std::string& arg = argv[*i];
  const size_t left = argv.size() - *i - 1;
  const bool storable = (s->flags & (kNoStore | kSearch)) == 0;
  if (equals_ci(arg, "withdist")) {
    s->withdist = true;
  } else if (equals_ci(arg, "withhash")) {
    s->withhash = true;
  } else if (equals_ci(arg, "withcoord")) {
    s->withcoord = true;
  } else if (equals_ci(arg, "any")) {
    s->any = true;
  } else if (equals_ci(arg, "asc")) {
    s->sort = 1;
  } else if (equals_ci(arg, "desc")) {
    s->sort = -1;
  } else if (equals_ci(arg, "count") && left >= 1) {
    const auto count = parse_int64(argv[++*i]);
    if (!count) return std::string(kNotInteger);
    if (*count <= 0) return "ERR COUNT must be > 0";
    s->count = *count;
  } else if ((equals_ci(arg, "store") || equals_ci(arg, "storedist")) && left >= 1 && storable) {
    s->store_dist = equals_ci(arg, "storedist");
    s->store_key = ++*i;
  } else if (equals_ci(arg, "storedist") && (s->flags & kSearchStore) != 0) {
    s->store_dist = true;
  } else if ((s->flags & kSearch) != 0) {
    if (auto error = parse_search_option(argv, i, zset, s)) return *error;
    return std::string(kSyntaxError);
  } else {
    return std::string(kSyntaxError);
  }
  return {};
}

// The checks after the options, in Redis's order.
std::string check_combination(std::span<const std::string> argv, const Search& s) {
  if (s.store_key != 0 && (s.withdist || s.withhash || s.withcoord)) {
    return std::string("ERR ") +
           ((s.flags & kSearchStore) != 0 ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
           " is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
  }
  if ((s.flags & kSearch) != 0 && !(s.from_member || s.from_lonlat)) {
    return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + argv[0];
  }
  if ((s.flags & kSearch) != 0 && !(s.by_radius || s.by_box)) {
    return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + argv[0];
  }
  if (s.any && s.count == 0) return "ERR the ANY argument requires COUNT argument";
  return {};
}

// Parses a search as Redis does, looking members up in `zset` (null: the key is absent).
std::string parse_search(std::span<const std::string> argv, const SortedSet* zset, Search* s) {
  size_t base = 2;
  if ((s->flags & kByCoords) != 0) {
    base = 6;
    if (auto error = parse_lonlat(argv.subspan(2, 2), &s->shape.center); !error.empty()) {
      return error;
    }
    if (auto error = parse_radius(argv.subspan(4, 2), &s->shape); !error.empty()) return error;
  } else if ((s->flags & kByMember) != 0) {
    base = 5;
    if (zset != nullptr) {
      if (auto error = member_center(zset, argv[2], &s->shape.center); !error.empty()) {
        return error;
      }
      if (auto error = parse_radius(argv.subspan(3, 2), &s->shape); !error.empty()) return error;
    }
  } else if ((s->flags & kSearchStore) != 0) {
    base = 3;
    s->store_key = 1;
  }
  for (size_t i = base; i < argv.size(); ++i) {
    if (auto error = parse_option(argv, &i, zset, s); !error.empty()) return error;
  }
  return check_combination(argv, *s);
}

struct Found {
  double score;
  Coordinates xy;
  double distance;
  std::string_view member;
};

// Redis's membersOfAllNeighbors: the boxes in order, each one's score range ascending;
// `limit` (ANY's count, or 0) stops early. A box equal to the one scanned before is skipped
// — except after the centre box, which Redis does not compare against.
std::vector<Found> scan_boxes(const SortedSet& zset, const Shape& shape, size_t limit) {
  std::vector<Found> found;
  const auto boxes = geo::search_boxes(shape);
  size_t last = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (boxes[i].zero()) continue;
    if (last != 0 && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) {
      continue;
    }
    if (!found.empty() && limit != 0 && found.size() >= limit) break;
    uint64_t min = 0, max = 0;
    geo::box_scores(boxes[i], &min, &max);
    const auto& order = zset.by_score();
    auto it = order.lower_bound(SortedSet::ScoreProbe{static_cast<double>(min), false});
    for (; it != order.end() && it->score < static_cast<double>(max); ++it) {
      Found f{it->score, geo::point_of(it->score), 0, it->member};
      if (!geo::within(shape, f.xy, &f.distance)) continue;
      found.push_back(f);
      if (limit != 0 && found.size() >= limit) break;
    }
    last = i;
  }
  return found;
}

std::string format_distance(double d) {
  char text[400];
  std::snprintf(text, sizeof text, "%.4f", d);
  return text;
}

void write_coordinates(Coordinates xy, RespWriter* out) {
  out->array_header(2);
  out->bulk(format_long_double(xy.lon));
  out->bulk(format_long_double(xy.lat));
}

// Redis's addReplyLongLong of a double score (a geohash: exact).
int64_t score_integer(double score) {
  if (!(score > -9.2e18 && score < 9.2e18)) return INT64_MIN;
  return static_cast<int64_t>(score);
}

void reply_found(const Search& s, std::span<const Found> found, RespWriter* out) {
  const size_t options = (s.withdist ? 1 : 0) + (s.withhash ? 1 : 0) + (s.withcoord ? 1 : 0);
  out->array_header(found.size());
  for (const Found& f : found) {
    if (options > 0) out->array_header(options + 1);
    out->bulk(f.member);
    if (s.withdist) out->bulk(format_distance(f.distance / s.shape.to_meters));
    if (s.withhash) out->integer(score_integer(f.score));
    if (s.withcoord) write_coordinates(f.xy, out);
  }
}

// Runs a parsed search; `target` (null for a read) receives a STORE's result.
void run_search(const SortedSet* zset, std::span<const std::string> argv, const Search& s,
                KvStore* target, RespWriter* out) {
  if (zset == nullptr) {
    if (s.store_key == 0) return out->array_header(0);
    if (target != nullptr) target->erase(argv[s.store_key]);
    return out->integer(0);
  }
  const bool any = s.any;
  const int sort = s.count != 0 && s.sort == 0 && !any ? 1 : s.sort;  // COUNT implies ASC
  std::vector<Found> found =
      scan_boxes(*zset, s.shape, any ? static_cast<size_t>(s.count) : size_t{0});
  if (sort != 0) {
    std::stable_sort(found.begin(), found.end(), [sort](const Found& a, const Found& b) {
      return sort > 0 ? a.distance < b.distance : a.distance > b.distance;
    });
  }
  if (s.count != 0 && found.size() > static_cast<uint64_t>(s.count)) {
    found.resize(static_cast<size_t>(s.count));
  }
  if (s.store_key == 0) return reply_found(s, found, out);
  auto result = std::make_unique<SortedSet>();
  for (const Found& f : found) {
    result->set(f.member, s.store_dist ? f.distance / s.shape.to_meters : f.score);
  }
  if (target == nullptr) return out->error("ERR internal error: a store in a read");
  out->integer(store_collection(*target, argv[s.store_key], std::move(result)));
}

void execute_search(const Value* value, const CommandSpec& spec, std::span<const std::string> argv,
                    KvStore* target, RespWriter* out) {
  const auto typed = as_type<SortedSet>(value);
  if (typed.wrong_type) return out->error(kWrongType);
  Search s;
  s.flags = search_flags(spec.id);
  if (auto error = parse_search(argv, typed.collection, &s); !error.empty()) {
    return out->error(error);
  }
  run_search(typed.collection, argv, s, target, out);
}

// GEOADD's options; the index of the first longitude.
size_t geoadd_options(std::span<const std::string> argv, bool* nx, bool* xx) {
  size_t i = 2;
  for (; i < argv.size(); ++i) {
    if (equals_ci(argv[i], "nx")) {
      *nx = true;
    } else if (equals_ci(argv[i], "xx")) {
      *xx = true;
    } else if (!equals_ci(argv[i], "ch")) {
      break;
    }
  }
  return i;
}

bool has_ch(std::span<const std::string> argv, size_t first) {
  for (size_t i = 2; i < first; ++i) {
    if (equals_ci(argv[i], "ch")) return true;
  }
  return false;
}

void execute_geoadd(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  bool nx = false, xx = false;
  const size_t first = geoadd_options(argv, &nx, &xx);
  Value* value = store.find(argv[1]);
  const auto existing = as_type<SortedSet>(value);
  if (existing.wrong_type) return out->error(kWrongType);
  if (value == nullptr && xx) return out->integer(0);  // XX on no key: nothing to do
  SortedSet* zset = find_or_create<SortedSet>(store, argv[1]).collection;
  int64_t added = 0, changed = 0;
  for (size_t i = first; i + 2 < argv.size(); i += 3) {
    const Coordinates xy{*parse_double(argv[i]), *parse_double(argv[i + 1])};
    const auto score = static_cast<double>(geo::score_of(xy));
    const std::string& member = argv[i + 2];
    const auto old = zset->score(member);
    if ((old && nx) || (!old && xx)) continue;
    if (!old) {
      zset->set(member, score);
      ++added;
    } else if (*old != score) {
      zset->set(member, score);
      ++changed;
    }
  }
  erase_if_empty(store, argv[1], *zset);
  out->integer(has_ch(argv, first) ? added + changed : added);
}

// GEOPOS and GEOHASH: one reply per member; a missing member (or key) is a null array
// for GEOPOS, a null string for GEOHASH, as in Redis.
void execute_per_member(const Value* value, bool positions, std::span<const std::string> argv,
                        RespWriter* out) {
  const auto typed = as_type<SortedSet>(value);
  if (typed.wrong_type) return out->error(kWrongType);
  out->array_header(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    const auto score = typed.collection ? typed.collection->score(argv[i]) : std::nullopt;
    if (!score) {
      positions ? out->null_array() : out->null_bulk();
    } else if (positions) {
      write_coordinates(geo::point_of(*score), out);
    } else {
      out->bulk(geo::hash_string(*score));
    }
  }
}

void execute_geodist(const Value* value, std::span<const std::string> argv, RespWriter* out) {
  const double to_meters = argv.size() == 5 ? *unit_to_meters(argv[4]) : 1;
  const auto typed = as_type<SortedSet>(value);
  if (typed.wrong_type) return out->error(kWrongType);
  if (typed.collection == nullptr) return out->null_bulk();
  const auto a = typed.collection->score(argv[2]);
  const auto b = typed.collection->score(argv[3]);
  if (!a || !b) return out->null_bulk();
  const double d = geo::distance(geo::point_of(*a), geo::point_of(*b));
  out->bulk(format_distance(d / to_meters));
}

}  // namespace

bool is_geo_command(CommandId id) {
  return id >= CommandId::kGeoadd && id <= CommandId::kGeoradiusbymemberRo;
}

std::string validate_geo_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  if (spec.id == CommandId::kGeodist) {
    if (argv.size() > 5) return std::string(kSyntaxError);
    if (argv.size() == 5 && !unit_to_meters(argv[4])) return std::string(kBadUnit);
    return {};
  }
  if (spec.id != CommandId::kGeoadd) return {};
  bool nx = false, xx = false;
  const size_t first = geoadd_options(argv, &nx, &xx);
  // An empty element list is ZADD's syntax error too.
  if ((argv.size() - first) % 3 != 0 || (nx && xx) || first == argv.size()) {
    return std::string(kSyntaxError);
  }
  for (size_t i = first; i < argv.size(); i += 3) {
    Coordinates xy;
    if (auto error = parse_lonlat(argv.subspan(i, 2), &xy); !error.empty()) return error;
  }
  return {};
}

void execute_geo_read(const KvStore& store, const CommandSpec& spec,
                      std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  const Value* value = store.find_live(argv[1], now);
  switch (spec.id) {
    case CommandId::kGeopos:
    case CommandId::kGeohash:
      return execute_per_member(value, spec.id == CommandId::kGeopos, argv, out);
    case CommandId::kGeodist:
      return execute_geodist(value, argv, out);
    default:
      return execute_search(value, spec, argv, nullptr, out);
  }
}

void execute_geo_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       RespWriter* out) {
  if (spec.id == CommandId::kGeoadd) return execute_geoadd(store, argv, out);
  const size_t source = spec.id == CommandId::kGeosearchstore ? 2 : 1;
  execute_search(store.find(argv[source]), spec, argv, &store, out);
}

size_t geo_store_key(const CommandSpec& spec, std::span<const std::string> argv) {
  if (spec.id != CommandId::kGeoradius && spec.id != CommandId::kGeoradiusbymember) return 0;
  size_t at = 0;
  for (size_t i = spec.id == CommandId::kGeoradius ? 6 : 5; i + 1 < argv.size(); ++i) {
    if (equals_ci(argv[i], "store") || equals_ci(argv[i], "storedist")) at = ++i;
  }
  return at;
}

}  // namespace raftkv::kv
