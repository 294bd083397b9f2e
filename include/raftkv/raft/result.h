// raftkv::raft::Result<T, E> — a value or an expected failure, shaped like C++23's
// std::expected (the core builds as C++20, so it cannot use that yet). The one error style
// of the core's API: Storage reads, Config::validate(), Node::create(), propose() and the
// other requests all return one. The names follow std::expected (has_value(), value(),
// error(), value_or(), operator*, operator->, unexpected()), so moving to std::expected
// later is a rename.
//
// A failure is built from the error itself when it cannot be mistaken for a value
// (`return StorageError::kCompacted;`) or, always, with `unexpected(e)`.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace raftkv::raft {

// Wraps an error to build a failed Result, as std::unexpected does.
template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(e)};
}

template <typename T, typename E>
class Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}            // NOLINT
  Result(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  // The error alone, when it cannot be confused with a value.
  Result(E error)  // NOLINT
      requires(!std::is_convertible_v<E, T>)
      : v_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return v_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  // Throws std::bad_variant_access when there is no value (std::expected throws
  // bad_expected_access); check has_value() first.
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// Success carries nothing: a request that was accepted, a Config that is valid.
template <typename E>
class Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  Result(Unexpected<E> u) : error_(std::move(u.error)) {}  // NOLINT
  Result(E error) : error_(std::move(error)) {}            // NOLINT

  bool has_value() const { return !error_.has_value(); }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }
  // Throws std::bad_optional_access when there is no error.
  const E& error() const { return error_.value(); }

 private:
  std::optional<E> error_;
};

}  // namespace raftkv::raft
