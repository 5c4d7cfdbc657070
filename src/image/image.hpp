// Decoded images: 8-bit RGB, interleaved (HWC). Decoding is OpenCV's imgcodecs (JPEG incl.
// progressive and CMYK, PNG incl. palette/16-bit/alpha, BMP, WebP, TIFF, PGM/PPM), then brought
// to docs/spec.md §2's form: grayscale repeated to RGB, alpha dropped, 16-bit scaled to 8-bit, the EXIF
// orientation applied. Absurd dimensions are refused from the header (image/image_header.hpp),
// before pixels are decoded.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace alexnet {

struct Image {
  int height = 0, width = 0;
  std::vector<uint8_t> rgb;  // height * width * 3
  uint8_t* row(int y) { return rgb.data() + static_cast<size_t>(y) * width * 3; }
  const uint8_t* row(int y) const { return rgb.data() + static_cast<size_t>(y) * width * 3; }
};

// A file that does not decode. The loader skips and counts these; with --strict they stop
// the run. The message names the file.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr int64_t kMaxImagePixels = 100'000'000;  // refuse anything larger (decompression bombs)
// The limit in force (kMaxImagePixels unless set; a server decoding many at once sets less).
void set_max_image_pixels(int64_t pixels);
int64_t max_image_pixels();

// Keeps OpenCV to one thread (the loader's workers are the parallelism); decode_image does it
// on first use, main does it early.
void init_image_decoding();
Image decode_image(const std::string& path);
Image decode_image_bytes(const std::string& bytes, const std::string& name_for_errors);

// Shorter side to `s` (area averaging when shrinking, bilinear when enlarging), then the
// centre s x s square.
Image resize_shorter_center(const Image& img, int s);

// Encodes as ".png" or ".jpg" (with the JPEG quality); UserError naming `name` on failure.
std::string encode_image(const Image& img, const std::string& ext, int jpeg_quality, const std::string& name);
void write_png(const std::string& path, const Image& img);  // atomic

}  // namespace alexnet
