// Optional: runs the same commands against a real redis-server and against raftkv's
// command layer and state machine, and requires identical replies (error texts included).
// Skipped when redis-server is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kv/resp_parser.h"
#include "kv/resp_writer.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

// Length of the first complete RESP reply in `buf`, or nullopt if it is incomplete.
std::optional<size_t> reply_length(std::string_view buf, size_t at = 0) {
  const size_t eol = buf.find("\r\n", at);
  if (at >= buf.size() || eol == std::string_view::npos) return std::nullopt;
  const char type = buf[at];
  const size_t after = eol + 2;
  if (type == '+' || type == '-' || type == ':') return after - at;
  const long n = std::stol(std::string(buf.substr(at + 1, eol - at - 1)));
  if (type == '$') {
    if (n < 0) return after - at;
    if (buf.size() < after + static_cast<size_t>(n) + 2) return std::nullopt;
    return after + static_cast<size_t>(n) + 2 - at;
  }
  size_t pos = after;
  for (long i = 0; i < n; ++i) {
    const auto len = reply_length(buf, pos);
    if (!len) return std::nullopt;
    pos += *len;
  }
  return pos - at;
}

// A port the kernel just handed out, so the server is unlikely to collide with another.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class RedisServer {
 public:
  RedisServer() {
    if (::access("/usr/bin/redis-server", X_OK) != 0) return;
    port_ = free_port();
    if (port_ == 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
              "127.0.0.1", "--save", "", "--appendonly", "no", "--logfile", "/dev/null",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~RedisServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool available() const { return pid_ > 0; }

  // A fresh connection (retrying while the server starts); -1 on failure.
  int connect() const {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
      ::close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Sends raw bytes and reads one reply (or until the server closes).
std::string round_trip(int fd, std::string_view request) {
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "(write failed)";
  }
  std::string buf;
  char chunk[4096];
  while (!reply_length(buf)) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  return buf;
}

std::string encode_request(const Argv& argv) {
  std::string out;
  RespWriter w(&out);
  w.array_header(argv.size());
  for (const auto& arg : argv) w.bulk(arg);
  return out;
}

TEST(RedisCompat, CommandRepliesMatchRedis) {
  RedisServer redis;
  if (!redis.available()) GTEST_SKIP() << "redis-server not installed";
  const int fd = redis.connect();
  ASSERT_GE(fd, 0);
  testing::KvHarness kv;
  const std::vector<Argv> script = {
      {"FLUSHALL"},
      {"PING"},
      {"PING", "x"},
      {"PING", "a", "b"},
      {"ECHO", "hi"},
      {"ECHO"},
      {"foo", "a", "b"},
      {"foo"},
      {"GET"},
      {"GET", "k"},
      {"SET", "k", "v"},
      {"SET", "k", "v", "NX", "XX"},
      {"SET", "k", "v", "BOGUS"},
      {"SET", "k", "v", "EX", "x"},
      {"SET", "k", "v", "EX", "0"},
      {"SET", "k", "v", "EX"},
      {"SET", "k", "w", "NX"},
      {"SET", "k", "w", "XX", "GET"},
      {"SET", "k", "x", "NX", "GET"},
      {"SET", "z", "x", "XX", "GET"},
      {"SET", "k", "v", "KEEPTTL"},
      {"GETSET", "k", "1"},
      {"INCR", "k"},
      {"INCRBY", "k", "x"},
      {"INCRBY", "k", "01"},
      {"INCRBY", "k", "9223372036854775807"},
      {"DECRBY", "k", "-9223372036854775808"},
      {"DECRBY", "k", "3"},
      {"SET", "s", "abc"},
      {"INCR", "s"},
      {"APPEND", "s", "def"},
      {"STRLEN", "s"},
      {"MSET", "a", "1", "b"},
      {"MSET", "a", "1", "b", "2"},
      {"MGET", "a", "nope", "b"},
      {"EXISTS", "a", "a", "nope"},
      {"DEL", "a", "nope", "a"},
      {"TYPE", "b"},
      {"TYPE", "nope"},
      {"DBSIZE"},
      {"SCAN", "x"},
      {"SCAN", "0", "COUNT", "0"},
      {"SCAN", "0", "COUNT", "x"},
      {"SCAN", "0", "MATCH"},
      {"SELECT", "0"},
      {"SELECT", "x"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "SETNAME", "a b"},
      {"CLIENT", "SETNAME", "me"},
      {"CLIENT", "GETNAME"},
      {"CLIENT", "SETNAME"},
      {"CLIENT", "BOGUS"},
      {"COMMAND", "BOGUS"},
      {"SET", "t", "v", "EX", "100"},
      {"TTL", "t"},
      {"PERSIST", "t"},
      {"PERSIST", "t"},
      {"TTL", "t"},
      {"EXPIRE", "t", "50", "GT"},
      {"EXPIRE", "t", "50", "XX"},
      {"EXPIRE", "t", "50", "NX"},
      {"EXPIRE", "t", "40", "GT"},
      {"EXPIRE", "t", "40", "LT"},
      {"TTL", "t"},
      {"EXPIRE", "nope", "10"},
      {"TTL", "nope"},
      {"EXPIRE", "t", "10", "NX", "XX"},
      {"EXPIRE", "t", "10", "GT", "LT"},
      {"EXPIRE", "t", "10", "SOON"},
      {"EXPIRE", "t", "x"},
      {"EXPIRE", "t"},
      {"SETEX", "u", "0", "v"},
      {"SETEX", "u", "x", "v"},
      {"SETEX", "u", "100"},
      {"SETEX", "u", "100", "v"},
      {"TTL", "u"},
      {"PSETEX", "u", "-5", "v"},
      {"SET", "t", "v", "EX", "5", "KEEPTTL"},
      {"SET", "t", "v", "KEEPTTL", "PX", "5"},
      {"SET", "t", "v", "EX", "5", "PX", "5"},
      {"SET", "t", "v", "EXAT", "9223372036854775807"},
      {"EXPIRE", "t", "0"},
      {"EXISTS", "t"},
      {"SETNX", "n1", "a"},
      {"SETNX", "n1", "b"},
      {"GET", "n1"},
      {"GETDEL", "n1"},
      {"GETDEL", "n1"},
      {"MSETNX", "m1", "1", "m2", "2"},
      {"MSETNX", "m2", "x", "m3", "3"},
      {"MGET", "m1", "m2", "m3"},
      {"MSETNX", "m1"},
      {"UNLINK", "m1", "m2", "nope"},
      {"KEYS", "nomatch*"},
      {"KEYS"},
      {"FLUSHDB", "x"},
      {"FLUSHDB", "ASYNC"},
      {"DBSIZE"},
      {"SET", "k1", "v"},
      {"KEYS", "k?"},
      {"CONFIG", "GET"},
      {"CONFIG", "BOGUS"},
      {"CONFIG", "GET", "nosuchparameter"},
      {"FLUSHALL", "x"},
      {"FLUSHALL", "SYNC"},
      {"DBSIZE"},
  };
  for (const auto& argv : script) {
    EXPECT_EQ(kv.run(argv), round_trip(fd, encode_request(argv))) << encode_request(argv);
  }
  ::close(fd);
}

TEST(RedisCompat, ProtocolErrorsMatchRedis) {
  RedisServer redis;
  if (!redis.available()) GTEST_SKIP() << "redis-server not installed";
  const std::vector<std::string> inputs = {
      "*x\r\n",       "*1\r\nx\r\n",   "*1\r\n$x\r\n",         "*1\r\n$-1\r\n",
      "*1\r\n:1\r\n", "SET k \"a\r\n", "SET k 'a'b\r\n",       "*1\r\n$\r\n",
      "*01\r\n",      "*-\r\n",        "*1\r\n$536870913\r\n",
  };
  for (const auto& input : inputs) {
    const int fd = redis.connect();
    ASSERT_GE(fd, 0);
    RespParser parser;
    std::vector<Argv> commands;
    parser.feed(input, &commands);
    EXPECT_EQ("-" + parser.error() + "\r\n", round_trip(fd, input)) << input;
    ::close(fd);
  }
}

}  // namespace
}  // namespace raftkv::kv
