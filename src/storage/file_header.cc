#include "storage/file_header.h"

#include "storage/checksum.h"
#include "storage/endian.h"

namespace raftkv::storage {

std::string encode_file_header(std::string_view magic, uint64_t id) {
  std::string out(magic);
  put_u32(&out, kFormatVersion);
  put_u32(&out, 0);
  put_u64(&out, id);
  put_u32(&out, 0);
  put_u32(&out, checksum32(out));
  return out;
}

Status decode_file_header(std::string_view data, std::string_view magic, const std::string& name,
                          uint64_t* id) {
  if (data.substr(0, 8) != magic) return Status::Corruption(name + " offset 0: bad magic");
  if (get_u32(data.substr(28)) != checksum32(data.substr(0, 28))) {
    return Status::Corruption(name + " offset 0: bad file header checksum");
  }
  uint32_t version = get_u32(data.substr(8));
  if (version != kFormatVersion) {
    return Status::Corruption(name + ": unsupported format version " + std::to_string(version) +
                              " (this build reads version " + std::to_string(kFormatVersion) + ")");
  }
  *id = get_u64(data.substr(16));
  return Status::Ok();
}

}  // namespace raftkv::storage
