// An image's width and height read from its header, before anything is decoded, so that a
// decompression bomb (a few hundred KB of PNG that inflate to gigabytes) is refused outright.
// OpenCV has such a limit, but it reads OPENCV_IO_MAX_IMAGE_PIXELS once, when the library is
// loaded, so a program cannot set it for itself; its default allows 2^30 pixels (3 GB).
#pragma once
#include <optional>
#include <string>

namespace alexnet {

struct ImageSize {
  int64_t width = 0, height = 0;
};

// PNG, JPEG, BMP, WebP, PNM (P1-P6) and TIFF; nullopt for anything else or a header too short
// to tell (the decoder then has the last word).
std::optional<ImageSize> image_header_size(const std::string& bytes);
// Whether the bytes start as one of those six formats. Nothing else reaches a decoder: OpenCV
// offers more (DICOM through GDCM, JPEG 2000, OpenEXR, ...), and GDCM aborts the process on
// a malformed file (found by fuzz_image: a JPEG-like start with "DICM" at offset 128).
bool known_image_format(const std::string& bytes);

}  // namespace alexnet
