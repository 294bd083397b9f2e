// Redis's geohash arithmetic, reproduced operation for operation so that scores, decoded
// coordinates, distances and the boxes a search scans are those of redis-server 7.0: a
// point is a 52-bit interleaved geohash (26 steps of latitude in the even bits, longitude in
// the odd ones) over longitude [-180, 180] and latitude [-85.05112878, 85.05112878], kept as
// a sorted-set score. Pure functions; geo_commands.cc is the command layer.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace raftkv::kv::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kStepMax = 26;

struct HashBits {
  uint64_t bits = 0;
  uint8_t step = 0;  // 0 with bits 0: no box (a neighbour a search leaves out)
  bool zero() const { return bits == 0 && step == 0; }
};

struct Coordinates {
  double lon = 0, lat = 0;
};

// Whether GEOADD and the FROMLONLAT forms accept the pair.
bool valid_coordinates(Coordinates xy);

// A point's score (GEOADD): its 52-bit geohash. The coordinates must be valid.
uint64_t score_of(Coordinates xy);

// A score's point (the centre of its box, clamped to the ranges), as Redis's
// decodeGeohash, including its conversion of any double to 64 bits.
Coordinates point_of(double score);

// GEOHASH's 11-character base-32 string for a score (re-encoded over latitude [-90, 90]).
std::string hash_string(double score);

// Great-circle distance in metres (Redis's haversine, its Earth radius).
double distance(Coordinates a, Coordinates b);

// What GEOSEARCH and GEORADIUS look for: a circle (radius) or a box (width, height),
// in units of `to_meters` metres, around `center`.
struct Shape {
  bool box = false;
  Coordinates center;
  double to_meters = 1;
  double radius = 0;
  double width = 0, height = 0;
};

// The boxes to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW); zero() ones
// are skipped.
std::array<HashBits, 9> search_boxes(const Shape& shape);

// The score range [min, max) of a box.
void box_scores(HashBits box, uint64_t* min, uint64_t* max);

// Whether `point` is in the shape, and its distance from the centre in metres.
bool within(const Shape& shape, Coordinates point, double* distance_m);

}  // namespace raftkv::kv::geo
