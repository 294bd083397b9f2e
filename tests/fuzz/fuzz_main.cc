// The libFuzzer entry point of one target, chosen at compile time (RAFTKV_FUZZ_TARGET).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return raftkv::fuzz::RAFTKV_FUZZ_TARGET(data, size);
}
