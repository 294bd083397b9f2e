#include "kv/geohash.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace raftkv::kv::geo {

namespace {

constexpr double kEarthRadius = 6372797.560856;
constexpr double kMercatorMax = 20037726.37;
constexpr double kDegToRad = M_PI / 180.0;

struct Range {
  double min, max;
};
constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};

struct Area {
  Range lon, lat;
};

double deg_rad(double deg) {
  return deg * kDegToRad;
}
double rad_deg(double rad) {
  return rad / kDegToRad;
}

// Latitude in the even bits, longitude in the odd ones.
uint64_t interleave(uint32_t lat, uint32_t lon) {
  uint64_t bits = 0;
  for (int i = 0; i < 32; ++i) {
    bits |= uint64_t{(lat >> i) & 1u} << (2 * i);
    bits |= uint64_t{(lon >> i) & 1u} << (2 * i + 1);
  }
  return bits;
}

void deinterleave(uint64_t bits, uint32_t* lat, uint32_t* lon) {
  *lat = *lon = 0;
  for (int i = 0; i < 32; ++i) {
    *lat |= static_cast<uint32_t>((bits >> (2 * i)) & 1u) << i;
    *lon |= static_cast<uint32_t>((bits >> (2 * i + 1)) & 1u) << i;
  }
}

// C's (uint32_t) of a double in [0, 2^32), as Redis's interleave64 call truncates.
uint32_t to_u32(double d) {
  return static_cast<uint32_t>(static_cast<int64_t>(d));
}

// gcc's x86-64 double -> uint64_t conversion, which Redis's decodeGeohash relies on for
// any score (negative, huge or infinite ones included).
uint64_t to_u64(double d) {
  constexpr double k2to63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = uint64_t{1} << 63;
  const auto cvtt = [&](double v) -> uint64_t {
    if (std::isnan(v) || v >= k2to63 || v < -k2to63) return kIndefinite;
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  };
  if (d < k2to63) return cvtt(d);
  return cvtt(d - k2to63) ^ kIndefinite;
}

bool encode(Range lon_range, Range lat_range, Coordinates xy, int step, HashBits* hash) {
  *hash = {0, static_cast<uint8_t>(step)};
  if (!valid_coordinates(xy) || xy.lat < lat_range.min || xy.lat > lat_range.max) return false;
  double lat_offset = (xy.lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (xy.lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(uint64_t{1} << step);
  lon_offset *= static_cast<double>(uint64_t{1} << step);
  hash->bits = interleave(to_u32(lat_offset), to_u32(lon_offset));
  return true;
}

Area decode(HashBits hash) {
  uint32_t ilat = 0, ilon = 0;
  deinterleave(hash.bits, &ilat, &ilon);
  const double cells = static_cast<double>(uint64_t{1} << hash.step);
  const double lat_scale = kLatRange.max - kLatRange.min;
  const double lon_scale = kLonRange.max - kLonRange.min;
  Area area;
  area.lat.min = kLatRange.min + (ilat * 1.0 / cells) * lat_scale;
  // (ilat + 1 wraps in 32 bits, as in Redis.)
  area.lat.max = kLatRange.min + (static_cast<uint32_t>(ilat + 1u) * 1.0 / cells) * lat_scale;
  area.lon.min = kLonRange.min + (ilon * 1.0 / cells) * lon_scale;
  area.lon.max = kLonRange.min + (static_cast<uint32_t>(ilon + 1u) * 1.0 / cells) * lon_scale;
  return area;
}

void move_x(HashBits* hash, int d) {
  if (d == 0) return;
  uint64_t x = hash->bits & 0xaaaaaaaaaaaaaaaaULL;
  const uint64_t y = hash->bits & 0x5555555555555555ULL;
  const uint64_t zz = 0x5555555555555555ULL >> (64 - hash->step * 2);
  x = d > 0 ? x + (zz + 1) : (x | zz) - (zz + 1);
  x &= (0xaaaaaaaaaaaaaaaaULL >> (64 - hash->step * 2));
  hash->bits = x | y;
}

void move_y(HashBits* hash, int d) {
  if (d == 0) return;
  const uint64_t x = hash->bits & 0xaaaaaaaaaaaaaaaaULL;
  uint64_t y = hash->bits & 0x5555555555555555ULL;
  const uint64_t zz = 0xaaaaaaaaaaaaaaaaULL >> (64 - hash->step * 2);
  y = d > 0 ? y + (zz + 1) : (y | zz) - (zz + 1);
  y &= (0x5555555555555555ULL >> (64 - hash->step * 2));
  hash->bits = x | y;
}

// The box and its neighbours in search order (centre, N, S, E, W, NE, NW, SE, SW).
std::array<HashBits, 9> with_neighbours(HashBits hash) {
  constexpr int kMoves[9][2] = {{0, 0}, {0, 1},  {0, -1}, {1, 0},  {-1, 0},
                                {1, 1}, {-1, 1}, {1, -1}, {-1, -1}};
  std::array<HashBits, 9> boxes;
  for (size_t i = 0; i < boxes.size(); ++i) {
    boxes[i] = hash;
    move_x(&boxes[i], kMoves[i][0]);
    move_y(&boxes[i], kMoves[i][1]);
  }
  return boxes;
}

int estimate_steps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;  // so that the range is included in most cases
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return std::min(std::max(step, 1), 26);
}

// min lon, min lat, max lon, max lat of the shape.
std::array<double, 4> bounding_box(const Shape& shape) {
  const double height = shape.to_meters * (shape.box ? shape.height / 2 : shape.radius);
  const double width = shape.to_meters * (shape.box ? shape.width / 2 : shape.radius);
  const double lat = shape.center.lat;
  const double lat_delta = rad_deg(height / kEarthRadius);
  const double lon_delta_top = rad_deg(width / kEarthRadius / std::cos(deg_rad(lat + lat_delta)));
  const double lon_delta_bottom =
      rad_deg(width / kEarthRadius / std::cos(deg_rad(lat - lat_delta)));
  // Towards the pole the box is wider: the top edge in the north, the bottom in the south.
  const double lon_delta = lat < 0 ? lon_delta_bottom : lon_delta_top;
  return {shape.center.lon - lon_delta, lat - lat_delta, shape.center.lon + lon_delta,
          lat + lat_delta};
}

double lat_distance(double lat1, double lat2) {
  return kEarthRadius * std::fabs(deg_rad(lat2) - deg_rad(lat1));
}

// Leaves out the neighbours on the sides the search area does not reach.
void drop_useless(const Area& area, const std::array<double, 4>& bounds,
                  std::array<HashBits, 9>* boxes) {
  enum { kN = 1, kS, kE, kW, kNE, kNW, kSE, kSW };
  const auto drop = [&](std::initializer_list<int> which) {
    for (const int i : which) (*boxes)[static_cast<size_t>(i)] = HashBits{};
  };
  if (area.lat.min < bounds[1]) drop({kS, kSW, kSE});
  if (area.lat.max > bounds[3]) drop({kN, kNE, kNW});
  if (area.lon.min < bounds[0]) drop({kW, kSW, kNW});
  if (area.lon.max > bounds[2]) drop({kE, kSE, kNE});
}

}  // namespace

bool valid_coordinates(Coordinates xy) {
  return !(xy.lon < kLonMin || xy.lon > kLonMax || xy.lat < kLatMin || xy.lat > kLatMax);
}

uint64_t score_of(Coordinates xy) {
  HashBits hash;
  encode(kLonRange, kLatRange, xy, kStepMax, &hash);
  return hash.bits;
}

Coordinates point_of(double score) {
  const Area area = decode({to_u64(score), kStepMax});
  Coordinates xy;
  xy.lon = std::min(std::max((area.lon.min + area.lon.max) / 2, kLonMin), kLonMax);
  xy.lat = std::min(std::max((area.lat.min + area.lat.max) / 2, kLatMin), kLatMax);
  return xy;
}

std::string hash_string(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  HashBits hash;
  encode({-180, 180}, {-90, 90}, point_of(score), kStepMax, &hash);
  std::string out(11, '0');
  for (int i = 0; i < 10; ++i) {  // 52 bits: the 11th character is always '0', as in Redis
    out[static_cast<size_t>(i)] = kAlphabet[(hash.bits >> (52 - (i + 1) * 5)) & 0x1f];
  }
  return out;
}

double distance(Coordinates a, Coordinates b) {
  const double lon1r = deg_rad(a.lon);
  const double lon2r = deg_rad(b.lon);
  const double v = std::sin((lon2r - lon1r) / 2);
  if (v == 0.0) return lat_distance(a.lat, b.lat);  // Redis's shortcut, kept for its rounding
  const double lat1r = deg_rad(a.lat);
  const double lat2r = deg_rad(b.lat);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double h = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadius * std::asin(std::sqrt(h));
}

std::array<HashBits, 9> search_boxes(const Shape& shape) {
  const auto bounds = bounding_box(shape);
  double radius = shape.box ? std::sqrt((shape.width / 2) * (shape.width / 2) +
                                        (shape.height / 2) * (shape.height / 2))
                            : shape.radius;
  radius *= shape.to_meters;
  int steps = estimate_steps(radius, shape.center.lat);
  HashBits hash;
  encode(kLonRange, kLatRange, shape.center, steps, &hash);
  auto boxes = with_neighbours(hash);
  // A step may be too coarse at the edges of the area: one smaller then.
  const Area north = decode(boxes[1]), south = decode(boxes[2]);
  const Area east = decode(boxes[3]), west = decode(boxes[4]);
  const bool decrease = north.lat.max < bounds[3] || south.lat.min > bounds[1] ||
                        east.lon.max < bounds[2] || west.lon.min > bounds[0];
  if (steps > 1 && decrease) {
    steps--;
    encode(kLonRange, kLatRange, shape.center, steps, &hash);
    boxes = with_neighbours(hash);
  }
  if (steps >= 2) drop_useless(decode(hash), bounds, &boxes);
  return boxes;
}

void box_scores(HashBits box, uint64_t* min, uint64_t* max) {
  const int shift = 52 - box.step * 2;
  *min = box.bits << shift;
  *max = (box.bits + 1) << shift;
}

bool within(const Shape& shape, Coordinates point, double* distance_m) {
  const Coordinates& c = shape.center;
  if (!shape.box) {
    *distance_m = distance(c, point);
    return *distance_m <= shape.radius * shape.to_meters;
  }
  // The cheaper latitude test first, as Redis.
  if (lat_distance(point.lat, c.lat) > shape.height * shape.to_meters / 2) return false;
  if (distance({point.lon, point.lat}, {c.lon, point.lat}) > shape.width * shape.to_meters / 2) {
    return false;
  }
  *distance_m = distance(c, point);
  return true;
}

}  // namespace raftkv::kv::geo
