#include "kv/float_format.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace raftkv::kv {

namespace {

// Redis's MAX_LONG_DOUBLE_CHARS: longer numbers are refused.
constexpr size_t kMaxNumberChars = 5 * 1024;

// strtod/strtold need a terminated string; arguments are binary-safe byte strings.
bool terminated_copy(std::string_view s, std::string* out) {
  if (s.empty() || s.size() >= kMaxNumberChars) return false;
  out->assign(s);
  return true;
}

}  // namespace

std::optional<double> parse_double(std::string_view s) {
  std::string buf;
  if (!terminated_copy(s, &buf) || std::isspace(static_cast<unsigned char>(buf[0]))) {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(value)) return std::nullopt;
  if (errno == ERANGE && (std::isinf(value) || value == 0)) return std::nullopt;
  return value;
}

std::optional<double> parse_range_double(std::string_view s) {
  const std::string buf(s.substr(0, kMaxNumberChars));
  char* end = nullptr;
  const double value = std::strtod(buf.c_str(), &end);
  if (*end != '\0' || std::isnan(value)) return std::nullopt;
  return value;
}

std::optional<long double> parse_long_double(std::string_view s) {
  std::string buf;
  if (!terminated_copy(s, &buf) || std::isspace(static_cast<unsigned char>(buf[0]))) {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  const long double value = std::strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(value) || errno == EINVAL) {
    return std::nullopt;
  }
  if (errno == ERANGE && (std::isinf(value) || value == 0)) return std::nullopt;
  return value;
}

std::string format_double(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", value);
  return std::string(buf, static_cast<size_t>(n));
}

std::string format_long_double(long double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Up to ~4950 integer digits for the largest long double, plus 17 decimals.
  std::string buf(kMaxNumberChars + 32, '\0');
  const int n = std::snprintf(buf.data(), buf.size(), "%.17Lf", value);
  buf.resize(static_cast<size_t>(n));
  if (buf.find('.') != std::string::npos) {
    while (buf.back() == '0') buf.pop_back();
    if (buf.back() == '.') buf.pop_back();
  }
  if (buf == "-0") buf = "0";
  return buf;
}

}  // namespace raftkv::kv
