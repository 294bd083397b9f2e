#include "kv/dump_payload.h"
#include "kv/rdb_codec.h"
#include "targets.h"

namespace raftkv::fuzz {

// The input is a DUMP payload's body (RDB type byte and value). A body that decodes must
// encode to bytes that decode again to a value with the same encoding: DUMP of a RESTOREd
// key is stable. The framed payload must unframe to the body.
int rdb_payload(const uint8_t* data, size_t size) {
  const std::string_view body = as_chars(data, size);
  const std::string framed = kv::frame_dump_payload(std::string(body));
  const auto unframed = kv::unframe_dump_payload(framed);
  FUZZ_CHECK(unframed && unframed.value() == body);
  const auto value = kv::decode_rdb_value(body);
  if (!value) return 0;
  const std::string encoded = kv::encode_rdb_value(*value);
  const auto again = kv::decode_rdb_value(encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(kv::encode_rdb_value(*again) == encoded);
  return 0;
}

}  // namespace raftkv::fuzz
