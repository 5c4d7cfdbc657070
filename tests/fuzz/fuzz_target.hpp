// A libFuzzer target over one parser of outside bytes. The parser may refuse the bytes with the
// errors a user sees (UserError, DecodeError); anything else (a crash, a sanitizer report, an
// InternalError, another exception) is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "image/image.hpp"
#include "util/error.hpp"

#define ALEXNET_FUZZ_TARGET(body)                                               \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {     \
    const std::string bytes(reinterpret_cast<const char*>(data), size);        \
    try {                                                                       \
      body;                                                                     \
    } catch (const alexnet::UserError&) {                                       \
    } catch (const alexnet::DecodeError&) {                                     \
    }                                                                           \
    return 0;                                                                   \
  }
