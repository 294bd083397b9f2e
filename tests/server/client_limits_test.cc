// Client limits: Redis's units and option syntax, protected mode's address test, the
// serve flags, and a ClientConnection on real loopback sockets against a client that
// never reads (output hard and soft limits, backpressure), the query buffer limit and the
// idle timeout.
#include "server/client_limits.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kv/command_codec.h"
#include "server/client_connection.h"
#include "server/options.h"

namespace raftkv::server {
namespace {

using namespace std::chrono_literals;

TEST(ClientLimitsTest, MemorySizesUseRedisUnits) {
  EXPECT_EQ(parse_memory_size("0"), 0u);
  EXPECT_EQ(parse_memory_size("1234"), 1234u);
  EXPECT_EQ(parse_memory_size("1k"), 1000u);
  EXPECT_EQ(parse_memory_size("1kb"), 1024u);
  EXPECT_EQ(parse_memory_size("64mb"), 64u << 20);
  EXPECT_EQ(parse_memory_size("64MB"), 64u << 20);
  EXPECT_EQ(parse_memory_size("2m"), 2000000u);
  EXPECT_EQ(parse_memory_size("1gb"), uint64_t{1} << 30);
  EXPECT_EQ(parse_memory_size("3g"), 3000000000u);
  for (const char* bad : {"", "mb", "-1", "1tb", "1 mb", "1.5mb", "99999999999999999999gb"}) {
    EXPECT_FALSE(parse_memory_size(bad)) << bad;
  }
}

TEST(ClientLimitsTest, OutputBufferLimitIsRedisConfSyntaxForNormalOnly) {
  OutputBufferLimit l;
  EXPECT_EQ(parse_output_buffer_limit("normal 32mb 8mb 10", &l), "");
  EXPECT_EQ(l, (OutputBufferLimit{32u << 20, 8u << 20, 10}));
  EXPECT_EQ(format_output_buffer_limit(l), "normal 33554432 8388608 10");
  EXPECT_EQ(parse_output_buffer_limit("normal 0 0 0", &l), "");
  EXPECT_EQ(l, (OutputBufferLimit{0, 0, 0}));
  EXPECT_NE(parse_output_buffer_limit("pubsub 32mb 8mb 60", &l), "");
  EXPECT_NE(parse_output_buffer_limit("normal 32mb 8mb", &l), "");
  EXPECT_NE(parse_output_buffer_limit("normal x 8mb 1", &l), "");
  EXPECT_NE(parse_output_buffer_limit("normal 1mb 8mb -1", &l), "");
}

TEST(ClientLimitsTest, PubSubClassHasItsOwnOptionAndRedisDefault) {
  OutputBufferLimit l;
  EXPECT_EQ(kDefaultPubSubOutputLimit, (OutputBufferLimit{32u << 20, 8u << 20, 60}));
  EXPECT_EQ(parse_output_buffer_sizes("1mb 256kb 5", &l), "");
  EXPECT_EQ(l, (OutputBufferLimit{1u << 20, 256u << 10, 5}));
  EXPECT_NE(parse_output_buffer_sizes("pubsub 1mb 256kb 5", &l), "");
  EXPECT_NE(parse_output_buffer_sizes("1mb 256kb", &l), "");
  EXPECT_EQ(format_output_buffer_limit({0, 0, 0}, kDefaultPubSubOutputLimit),
            "normal 0 0 0 pubsub 33554432 8388608 60");
}

TEST(ClientLimitsTest, PauseThresholdIsSoftThenHardThenFixed) {
  EXPECT_EQ(output_pause_bytes({100, 10, 1}), 10u);
  EXPECT_EQ(output_pause_bytes({100, 0, 0}), 100u);
  EXPECT_EQ(output_pause_bytes({0, 0, 0}), uint64_t{64} << 20);
}

TEST(ClientLimitsTest, ProtectedModeServesLoopbackOnly) {
  for (const char* ok : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(protected_mode_allows(asio::ip::make_address(ok))) << ok;
  }
  for (const char* no : {"10.0.0.1", "192.168.1.2", "0.0.0.0", "::ffff:10.0.0.1", "fe80::1"}) {
    EXPECT_FALSE(protected_mode_allows(asio::ip::make_address(no))) << no;
  }
  EXPECT_TRUE(kProtectedModeError.starts_with("-DENIED Redis is running in protected mode"));
  EXPECT_TRUE(kProtectedModeError.ends_with("from the outside.\r\n"));
  EXPECT_EQ(kMaxClientsError, "-ERR max number of clients reached\r\n");
}

TEST(ClientLimitsTest, EncodedSizeBoundIsAtLeastTheEncodedSize) {
  for (const kv::Argv& argv : std::vector<kv::Argv>{
           {"SET", "k", "v"}, {"MSET", std::string(300, 'k'), std::string(70000, 'v')}, {}}) {
    kv::LogCommand cmd{UINT64_MAX, UINT64_MAX, UINT64_MAX, argv};
    const uint64_t bound = encoded_size_bound(argv);
    EXPECT_GE(bound, kv::encode_log_command(cmd).size());
    EXPECT_LE(bound, kv::encode_log_command(cmd).size() + 64 + 10 * argv.size());
  }
}

int parse(std::vector<std::string> extra, ServerOptions* o) {
  std::vector<std::string> args = {"serve",
                                   "--id=1",
                                   "--data-dir=/tmp/x",
                                   "--listen-client=127.0.0.1:1",
                                   "--listen-peer=127.0.0.1:2",
                                   "--initial-cluster=1=127.0.0.1:2"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_serve_options(static_cast<int>(argv.size()), argv.data(), o);
}

TEST(ClientLimitsTest, ServeFlagsHaveRedisNamesAndSafeDefaults) {
  ServerOptions o;
  ASSERT_EQ(parse({}, &o), 0);
  EXPECT_EQ(o.maxclients, 10000u);
  EXPECT_EQ(o.timeout_seconds, 0u);
  EXPECT_TRUE(o.protected_mode);
  EXPECT_EQ(o.client_query_buffer_limit, uint64_t{1} << 30);
  EXPECT_EQ(o.proto_max_bulk_len, uint64_t{64} << 20);
  EXPECT_EQ(o.client_output_buffer_limit, (OutputBufferLimit{256u << 20, 64u << 20, 60}));
  EXPECT_EQ(o.client_output_buffer_limit_pubsub, kDefaultPubSubOutputLimit);

  ASSERT_EQ(parse({"--client-output-buffer-limit-pubsub=4mb 1mb 7"}, &o), 0);
  EXPECT_EQ(o.client_output_buffer_limit_pubsub, (OutputBufferLimit{4u << 20, 1u << 20, 7}));

  ASSERT_EQ(parse({"--maxclients=5", "--timeout=30", "--protected-mode=no",
                   "--client-query-buffer-limit=16mb", "--proto-max-bulk-len=1mb",
                   "--client-output-buffer-limit=normal 8mb 2mb 5"},
                  &o),
            0);
  EXPECT_EQ(o.maxclients, 5u);
  EXPECT_EQ(o.timeout_seconds, 30u);
  EXPECT_FALSE(o.protected_mode);
  EXPECT_EQ(o.client_query_buffer_limit, 16u << 20);
  EXPECT_EQ(o.proto_max_bulk_len, 1u << 20);
  EXPECT_EQ(o.client_output_buffer_limit, (OutputBufferLimit{8u << 20, 2u << 20, 5}));

  for (const char* bad :
       {"--maxclients=0", "--protected-mode=maybe", "--client-query-buffer-limit=lots",
        "--proto-max-bulk-len=128mb", "--client-output-buffer-limit=replica 1 1 1",
        "--client-output-buffer-limit-pubsub=lots 1 1"}) {
    ServerOptions ignored;
    EXPECT_EQ(parse({bad}, &ignored), 2) << bad;
  }
}

// Answers every command with a bulk reply of `reply_bytes`; can hold the first command's
// reply back, so that later replies wait behind it.
class FakeHandler : public CommandHandler {
 public:
  void handle(kv::Argv, kv::ClientState&, ReplySlot slot) override {
    ++handled;
    if (hold_first && !held) {
      held = std::make_unique<ReplySlot>(slot);
      return;
    }
    slot.complete("$" + std::to_string(reply_bytes) + "\r\n" + std::string(reply_bytes, 'x') +
                  "\r\n");
  }
  void on_disconnect(const ClientConnection&) override { ++disconnects; }

  size_t reply_bytes = 128 * 1024;
  bool hold_first = false;
  std::unique_ptr<ReplySlot> held;
  int handled = 0;
  int disconnects = 0;
};

// One ClientConnection on a loopback socket pair, with a client that writes and never
// reads unless asked.
class ConnectionFixture : public ::testing::Test {
 protected:
  // `small_buffers`: the kernel's socket buffers hold only a few KiB, so that replies
  // cannot drain into them and the connection's own output is all there is.
  void open(const ConnectionLimits& limits, bool small_buffers = false) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.open(asio::ip::tcp::v4());
    if (small_buffers) client_.set_option(asio::socket_base::receive_buffer_size(4096));
    client_.connect(acceptor.local_endpoint());
    client_.non_blocking(true);
    asio::ip::tcp::socket accepted = acceptor.accept();
    if (small_buffers) accepted.set_option(asio::socket_base::send_buffer_size(4096));
    conn_ = std::make_shared<ClientConnection>(std::move(accepted), &handler_, 1, limits);
    conn_->start();
  }

  // Writes `to_send` as the socket takes it and runs the server's loop until `done` or
  // `limit` passes; records the largest output the connection held.
  bool pump(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (sent_ < to_send_.size()) {
        asio::error_code ec;
        sent_ +=
            client_.write_some(asio::buffer(to_send_.data() + sent_, to_send_.size() - sent_), ec);
      }
      io_.run_for(5ms);
      io_.restart();
      max_output_ = std::max(max_output_, conn_->output_bytes());
      if (done()) return true;
    }
    return false;
  }

  static std::string gets(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    return out;
  }

  asio::io_context io_;
  asio::ip::tcp::socket client_{io_};
  FakeHandler handler_;
  std::shared_ptr<ClientConnection> conn_;
  std::string to_send_;
  size_t sent_ = 0;
  uint64_t max_output_ = 0;
};

TEST_F(ConnectionFixture, HardLimitClosesAClientThatNeverReads) {
  ConnectionLimits limits;
  limits.output = {4u << 20, 0, 0};
  open(limits);
  to_send_ = gets(8192);  // 1 GiB of replies, never read
  ASSERT_TRUE(pump([&] { return handler_.disconnects == 1; }));
  EXPECT_LE(max_output_, limits.output.hard);  // checked on every reply
  EXPECT_LT(handler_.handled, 8192);
}

TEST_F(ConnectionFixture, PushesToASubscriberAreBoundedByThePubSubClass) {
  ConnectionLimits limits;  // normal: 256mb hard; pubsub: 1mb hard
  limits.pubsub = {1u << 20, 0, 0};
  open(limits, /*small_buffers=*/true);
  const std::string message(64 * 1024, 'm');
  for (int i = 0; i < 8; ++i) conn_->push(message);  // 512 KiB: under either limit
  pump([] { return false; }, 50ms);
  EXPECT_EQ(handler_.disconnects, 0);
  conn_->set_subscribed(true);
  for (int i = 0; i < 64 && handler_.disconnects == 0; ++i) {
    conn_->push(message);
    EXPECT_LE(conn_->output_bytes(), limits.pubsub.hard + message.size());
  }
  EXPECT_EQ(handler_.disconnects, 1);  // 4 MiB unread: over the pubsub class's hard limit
}

TEST_F(ConnectionFixture, ReadingPausesAtTheSoftLimitAndSoftSecondsClose) {
  ConnectionLimits limits;
  limits.output = {0, 2u << 20, 1};
  open(limits, /*small_buffers=*/true);
  to_send_ = gets(8192);
  ASSERT_TRUE(pump([&] { return conn_->reading_paused(); }));
  // Backpressure: no more commands are handled while the output stays over the limit.
  const int handled = handler_.handled;
  EXPECT_FALSE(pump([&] { return handler_.handled != handled; }, 300ms));
  EXPECT_LE(max_output_, limits.output.soft + handler_.reply_bytes);
  EXPECT_EQ(handler_.disconnects, 0);
  // Over the soft limit for more than soft_seconds: closed (by the once-a-second check).
  ASSERT_TRUE(pump(
      [&] {
        conn_->check_timeouts(std::chrono::steady_clock::now(), 0s);
        return handler_.disconnects == 1;
      },
      5s));
}

TEST_F(ConnectionFixture, AReaderThatKeepsUpIsNeverClosed) {
  ConnectionLimits limits;
  limits.output = {4u << 20, 1u << 20, 10};
  open(limits);
  to_send_ = gets(512);  // 64 MiB of replies in all, read as they come
  size_t received = 0;
  const size_t expected = 512 * (handler_.reply_bytes + 11);  // "$131072\r\n" ... "\r\n"
  std::vector<char> buf(1 << 20);
  ASSERT_TRUE(pump(
      [&] {
        asio::error_code ec;
        received += client_.read_some(asio::buffer(buf), ec);
        return received == expected;
      },
      30s));
  EXPECT_EQ(handler_.disconnects, 0);
  EXPECT_LE(max_output_, limits.output.hard);
}

TEST_F(ConnectionFixture, RepliesWaitingBehindAnEarlierOneCount) {
  ConnectionLimits limits;
  limits.output = {4u << 20, 0, 0};
  limits.max_pending_replies = 100000;
  handler_.hold_first = true;  // nothing can be sent: every reply waits behind the first
  open(limits);
  to_send_ = gets(200);
  ASSERT_TRUE(pump([&] { return handler_.disconnects == 1; }));
  EXPECT_LE(max_output_, limits.output.hard);
}

TEST_F(ConnectionFixture, QueryBufferLimitClosesWithoutAReply) {
  ConnectionLimits limits;
  limits.parser.max_buffered_bytes = 256 * 1024;
  open(limits);
  to_send_ = "*2\r\n$3\r\nSET\r\n$1000000\r\n" + std::string(300 * 1024, 'v');
  ASSERT_TRUE(pump([&] { return handler_.disconnects == 1; }));
  EXPECT_EQ(handler_.handled, 0);
  char c;
  asio::error_code ec;
  client_.non_blocking(false);
  client_.read_some(asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec) << "nothing is answered";
}

TEST_F(ConnectionFixture, IdleTimeoutClosesOnlyIdleClients) {
  open(ConnectionLimits{});
  to_send_ = gets(1);
  ASSERT_TRUE(pump([&] { return handler_.handled == 1; }));
  const auto now = std::chrono::steady_clock::now();
  EXPECT_FALSE(conn_->check_timeouts(now, 0s));        // 0: no timeout
  EXPECT_FALSE(conn_->check_timeouts(now, 10s));       // active just now
  EXPECT_TRUE(conn_->check_timeouts(now + 11s, 10s));  // idle for longer than the timeout
  EXPECT_EQ(handler_.disconnects, 1);
}

}  // namespace
}  // namespace raftkv::server
