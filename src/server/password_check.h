// requirepass: the default user's password, as Redis 6+ checks it. Only its SHA-256 is
// kept (as Redis keeps ACL passwords), and a guess is compared in constant time, so the
// time AUTH takes says nothing about how much of a guess was right.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace raftkv::server {

inline constexpr std::string_view kNoAuthError = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPassError =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kNoPasswordError =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";

class PasswordCheck {
 public:
  // An empty password: none required (every client is the default user, as in Redis).
  explicit PasswordCheck(std::string_view password);

  bool required() const { return required_; }
  // AUTH's answer for `user` (none: AUTH's one-argument form, the default user) and
  // `password`: empty when they match, else the error to reply. Without a password the
  // default user takes any password by name (Redis's "nopass"), and the one-argument form
  // is an error.
  std::string_view authenticate(std::optional<std::string_view> user,
                                std::string_view password) const;

 private:
  bool required_ = false;
  std::array<unsigned char, 32> digest_{};
};

}  // namespace raftkv::server
