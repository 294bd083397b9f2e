#include "server/password_check.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace raftkv::server {

namespace {

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

}  // namespace

PasswordCheck::PasswordCheck(std::string_view password)
    : required_(!password.empty()), digest_(sha256(password)) {}

std::string_view PasswordCheck::authenticate(std::optional<std::string_view> user,
                                             std::string_view password) const {
  const bool default_user = !user || *user == "default";
  if (!required_) {
    if (!user) return kNoPasswordError;
    return default_user ? std::string_view() : kWrongPassError;
  }
  const std::array<unsigned char, 32> guess = sha256(password);
  const bool match = CRYPTO_memcmp(guess.data(), digest_.data(), guess.size()) == 0;
  return match && default_user ? std::string_view() : kWrongPassError;
}

}  // namespace raftkv::server
