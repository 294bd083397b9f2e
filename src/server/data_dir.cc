#include "server/data_dir.h"

#include <cstdlib>
#include <sstream>

namespace raftkv::server {

namespace {
constexpr const char* kIdentityFile = "raftkv.identity";
}

std::string claim_data_dir(storage::FileSystem* fs, const std::string& dir,
                           const std::string& cluster_id, raft::NodeId id) {
  // Create each level, so a nested path works on first start.
  for (size_t pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
    std::string level = pos == std::string::npos ? dir : dir.substr(0, pos);
    if (!level.empty()) {
      if (auto s = fs->create_dir(level); !s.ok()) {
        return "cannot create data directory " + level + ": " + s.to_string();
      }
    }
    if (pos == std::string::npos) break;
  }
  std::string path = dir + "/" + kIdentityFile;
  std::string expected = "cluster=" + cluster_id + "\nnode=" + std::to_string(id) + "\n";

  std::unique_ptr<storage::File> f;
  if (fs->open(path, storage::OpenMode::kReadOnly, &f).ok()) {
    f.reset();
    std::string cluster;
    raft::NodeId node = raft::kNoNode;
    if (auto err = read_data_dir_identity(fs, dir, &cluster, &node); !err.empty()) return err;
    if (cluster == cluster_id && node == id) return "";
    return "data directory " + dir + " belongs to node " + std::to_string(node) + " of cluster '" +
           cluster + "', not node " + std::to_string(id) + " of cluster '" + cluster_id +
           "'; refusing to start (use that node's id, or an empty directory)";
  }
  // First use: write the identity durably before anything else goes in.
  std::string tmp = path + ".tmp";
  if (auto s = fs->open(tmp, storage::OpenMode::kCreateTruncate, &f); !s.ok()) {
    return "cannot write " + tmp + ": " + s.to_string();
  }
  if (auto s = f->append(expected); !s.ok()) return "cannot write " + tmp + ": " + s.to_string();
  if (auto s = f->sync(); !s.ok()) return "cannot sync " + tmp + ": " + s.to_string();
  f.reset();
  if (auto s = fs->rename(tmp, path); !s.ok()) return "cannot rename " + tmp + ": " + s.to_string();
  if (auto s = fs->sync_dir(dir); !s.ok()) return "cannot sync " + dir + ": " + s.to_string();
  return "";
}

std::string read_data_dir_identity(storage::FileSystem* fs, const std::string& dir,
                                   std::string* cluster_id, raft::NodeId* id) {
  const std::string path = dir + "/" + kIdentityFile;
  std::unique_ptr<storage::File> f;
  if (auto s = fs->open(path, storage::OpenMode::kReadOnly, &f); !s.ok()) {
    return "cannot open " + path + ": " + s.to_string();
  }
  std::string text;
  if (auto s = f->read_at(0, 4096, &text); !s.ok()) {
    return "cannot read " + path + ": " + s.to_string();
  }
  std::istringstream in(text);
  std::string node;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("cluster=", 0) == 0) *cluster_id = line.substr(8);
    if (line.rfind("node=", 0) == 0) node = line.substr(5);
  }
  *id = std::strtoull(node.c_str(), nullptr, 10);
  return "";
}

}  // namespace raftkv::server
