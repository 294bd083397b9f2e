// A value or an error (std::expected arrives with C++23): for decoders whose failure carries a
// message for the client.
#pragma once

#include <utility>
#include <variant>

namespace raftkv::kv {

template <typename T, typename E>
class Result {
 public:
  static Result ok(T value) { return Result(std::in_place_index<0>, std::move(value)); }
  static Result error(E error) { return Result(std::in_place_index<1>, std::move(error)); }

  bool is_ok() const { return held_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() { return std::get<0>(held_); }
  const T& value() const { return std::get<0>(held_); }
  const E& error() const { return std::get<1>(held_); }

 private:
  template <size_t I, typename V>
  Result(std::in_place_index_t<I> tag, V&& v) : held_(tag, std::forward<V>(v)) {}

  std::variant<T, E> held_;
};

}  // namespace raftkv::kv
