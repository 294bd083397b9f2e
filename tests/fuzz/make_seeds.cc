// Writes the seed corpora: `fuzz_make_seeds <dir>` fills <dir>/<target>/ with small valid
// inputs of each format, built with the project's own encoders, so that the fuzzers start
// from the formats' real shapes. The output is committed (tests/fuzz/corpus/); rerun it
// when a format changes.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "kv/byte_codec.h"
#include "kv_harness.h"
#include "net/frame.h"
#include "net/handshake.h"
#include "proto/codec.h"
#include "server/snapshot_image.h"

namespace raftkv::fuzz {
namespace {

void write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string u16(size_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
}

std::string u64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

raft::Message append_entries() {
  raft::Message m;
  m.type = raft::MessageType::kApp;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.index = 10;
  m.log_term = 2;
  m.commit = 9;
  m.entries = {{3, 11, raft::EntryType::kNormal, "SET k v"}, {3, 12, raft::EntryType::kNormal, ""}};
  return m;
}

std::string kv_image_body() {
  kv::testing::KvHarness kv;
  for (const kv::Argv& argv :
       std::vector<kv::Argv>{{"SET", "s", "v"},
                             {"SET", "e", "1", "EX", "100"},
                             {"HSET", "h", "f", "1", "g", "2"},
                             {"RPUSH", "l", "a", "b"},
                             {"SADD", "set", "x", "y"},
                             {"ZADD", "z", "1.5", "m", "2", "n"},
                             {"ACL", "SETUSER", "app", "on", ">pw", "~app:*", "%R~r:*", "&c",
                              "+@all", "-@dangerous", "-get"}}) {
    kv.run(argv);
  }
  const std::string image = kv.sm.serialize();
  return image.substr(0, image.size() - 8);  // the target appends the checksum
}

void resp_seeds(const std::filesystem::path& dir) {
  write(dir, "set", std::string(1, '\x05') + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  write(dir, "inline", std::string(1, '\x00') + "SET k \"a b\\x41\" 'c\\'d'\r\nPING\r\n");
  write(dir, "pipeline", std::string(1, '\x02') + "*1\r\n$4\r\nPING\r\n*0\r\n\r\nECHO x\n");
  write(dir, "bad_bulk", std::string(1, '\x01') + "*2\r\n$3\r\nGET\r\n$-5\r\n");
}

void peer_seeds(const std::filesystem::path& dir) {
  const std::string v1 = net::make_frame(net::encode_handshake({1, "raftkv", "", "", ""}));
  const std::string v2 =
      net::make_frame(net::encode_handshake({2, "raftkv", "127.0.0.1:6379", "", ""}));
  raft::Message vote;
  vote.type = raft::MessageType::kVote;
  vote.from = 2;
  vote.to = 1;
  vote.term = 5;
  raft::Message snap;
  snap.type = raft::MessageType::kSnapshot;
  snap.from = 1;
  snap.to = 2;
  snap.term = 5;
  snap.snapshot = raft::Snapshot{{20, 4, raft::ConfState{{1, 2, 3}, {}, {4}}}, "image"};
  write(dir, "v1_app",
        std::string(1, '\x07') + v1 + net::make_frame(proto::encode(append_entries())));
  // v3: a nonce, then a response-shaped frame (a real one needs the acceptor's nonce).
  const std::string v3 = net::make_frame(
      net::encode_handshake({3, "raftkv", "127.0.0.1:6379", std::string(32, '\x5a'), ""}));
  const std::string response = "RKVA" + std::string(1, '\x01') + std::string(32, '\x11');
  write(dir, "v3_auth_vote",
        std::string(1, '\x09') + v3 + net::make_frame(response) +
            net::make_frame(proto::encode(vote)));
  // v4: the peer address, without a nonce.
  const std::string v4 =
      net::make_frame(net::encode_handshake({4, "raftkv", "127.0.0.1:6379", "", "127.0.0.1:7379"}));
  write(dir, "v4_vote", std::string(1, '\x04') + v4 + net::make_frame(proto::encode(vote)));
  write(dir, "v2_vote_snap",
        std::string(1, '\x20') + v2 + net::make_frame(proto::encode(vote)) +
            net::make_frame(proto::encode(snap)));
}

void wal_seeds(const std::filesystem::path& dir) {
  auto record = [](int type, const std::string& payload) {
    return std::string(1, static_cast<char>(type)) + u16(payload.size()) + payload;
  };
  raft::HardState hs{3, 2, 11};
  raft::SnapshotMeta meta{0, 0, raft::ConfState{{1, 2, 3}, {}, {}}};
  std::string records = record(3, proto::encode(meta)) +
                        record(1, proto::encode(raft::Entry{1, 1, raft::EntryType::kNormal, "a"})) +
                        record(1, proto::encode(raft::Entry{1, 2, raft::EntryType::kNormal, "b"})) +
                        record(2, proto::encode(hs));
  write(dir, "clean", std::string("\x00\x00\x00\x00", 4) + records);
  write(dir, "damaged", std::string("\x01\x30\x00\x08", 4) + records);
  write(dir, "zero_tail_repair", std::string("\x06\x20\x00\x00", 4) + records);
}

void snapshot_seeds(const std::filesystem::path& dir) {
  const std::string kv = kv_image_body();
  write(dir, "kv_image", std::string(1, '\x00') + kv);
  std::string image = server::encode_snapshot_image(kv + u64(0), {{1, "127.0.0.1:6379"}});
  write(dir, "server_image", std::string(1, '\x01') + image.substr(0, image.size() - 4));
  raft::Snapshot snap;
  snap.meta = {7, 2, raft::ConfState{{1, 2, 3}, {}, {}}};
  snap.data = "image";
  write(dir, "snapshot_file", std::string(1, '\x02') + u64(7) + proto::encode(snap));
}

}  // namespace
}  // namespace raftkv::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds <corpus dir>\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  raftkv::fuzz::resp_seeds(root / "resp_parser");
  raftkv::fuzz::peer_seeds(root / "peer_decoder");
  raftkv::fuzz::wal_seeds(root / "wal_reader");
  raftkv::fuzz::snapshot_seeds(root / "snapshot_reader");
  return 0;
}
