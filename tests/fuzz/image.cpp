// Images: the header reader (sizes before decoding), the completeness check and OpenCV's
// decoders, with the limit a server uses.
#include "fuzz_target.hpp"
#include "image/image_header.hpp"

ALEXNET_FUZZ_TARGET({
  alexnet::set_max_image_pixels(4'000'000);
  alexnet::image_header_size(bytes);
  alexnet::decode_image_bytes(bytes, "fuzz");
})
