#include "image/image_header.hpp"

#include <cctype>
#include <cstdint>

namespace alexnet {

namespace {

// Bounds-checked readers: reading past the end yields nullopt, never a stray byte.
struct Bytes {
  const std::string& s;
  bool has(size_t at, size_t n) const { return at + n <= s.size(); }
  uint32_t u8(size_t at) const { return static_cast<uint8_t>(s[at]); }
  uint32_t be16(size_t at) const { return u8(at) << 8 | u8(at + 1); }
  uint32_t le16(size_t at) const { return u8(at + 1) << 8 | u8(at); }
  uint32_t be32(size_t at) const { return be16(at) << 16 | be16(at + 2); }
  uint32_t le32(size_t at) const { return le16(at + 2) << 16 | le16(at); }
  uint32_t le24(size_t at) const { return u8(at + 2) << 16 | le16(at); }
  bool starts(const char* magic, size_t n, size_t at = 0) const { return has(at, n) && s.compare(at, n, magic, n) == 0; }
};

std::optional<ImageSize> png(const Bytes& b) {
  if (!b.has(16, 8) || !b.starts("IHDR", 4, 12)) return std::nullopt;
  return ImageSize{b.be32(16), b.be32(20)};
}

// Walks the markers to the first start-of-frame (SOF0-SOF15 but DHT, JPG and DAC).
std::optional<ImageSize> jpeg(const Bytes& b) {
  size_t at = 2;
  while (b.has(at, 4)) {
    if (b.u8(at) != 0xFF) return std::nullopt;
    const uint32_t marker = b.u8(at + 1);
    if (marker == 0xFF) { ++at; continue; }  // fill byte
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { at += 2; continue; }  // no length
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan data before any frame
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (!b.has(at + 5, 4)) return std::nullopt;
      return ImageSize{b.be16(at + 7), b.be16(at + 5)};
    }
    at += 2 + b.be16(at + 2);
  }
  return std::nullopt;
}

std::optional<ImageSize> bmp(const Bytes& b) {
  if (!b.has(14, 12)) return std::nullopt;
  if (b.le32(14) == 12) return ImageSize{b.le16(18), b.le16(20)};  // OS/2 core header
  const int32_t h = static_cast<int32_t>(b.le32(22));            // negative: top-down rows
  return ImageSize{static_cast<int32_t>(b.le32(18)), h < 0 ? -static_cast<int64_t>(h) : h};
}

std::optional<ImageSize> webp(const Bytes& b) {
  if (b.starts("VP8 ", 4, 12) && b.has(26, 4)) return ImageSize{b.le16(26) & 0x3FFF, b.le16(28) & 0x3FFF};
  if (b.starts("VP8L", 4, 12) && b.has(21, 4)) {
    const uint32_t v = b.le32(21);
    return ImageSize{(v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1};
  }
  if (b.starts("VP8X", 4, 12) && b.has(24, 6)) return ImageSize{b.le24(24) + 1, b.le24(27) + 1};
  return std::nullopt;
}

// "P6 # comment\n 640 480 ...": the first two numbers after the magic.
std::optional<ImageSize> pnm(const Bytes& b) {
  size_t at = 2;
  int64_t v[2];
  for (int64_t& x : v) {
    for (;;) {
      while (b.has(at, 1) && std::isspace(static_cast<int>(b.u8(at)))) ++at;
      if (b.has(at, 1) && b.u8(at) == '#') {
        while (b.has(at, 1) && b.u8(at) != '\n') ++at;
        continue;
      }
      break;
    }
    if (!b.has(at, 1) || !std::isdigit(static_cast<int>(b.u8(at)))) return std::nullopt;
    x = 0;
    while (b.has(at, 1) && std::isdigit(static_cast<int>(b.u8(at))) && x < (int64_t{1} << 40)) x = x * 10 + (b.u8(at++) - '0');
  }
  return ImageSize{v[0], v[1]};
}

// The first IFD's ImageWidth (256) and ImageLength (257), SHORT or LONG.
std::optional<ImageSize> tiff(const Bytes& b) {
  const bool le = b.u8(0) == 'I';
  auto u16 = [&](size_t at) { return le ? b.le16(at) : b.be16(at); };
  auto u32 = [&](size_t at) { return le ? b.le32(at) : b.be32(at); };
  const size_t ifd = u32(4);
  if (!b.has(ifd, 2)) return std::nullopt;
  ImageSize size;
  for (uint32_t i = 0, n = u16(ifd); i < n && b.has(ifd + 2 + 12 * i, 12); ++i) {
    const size_t e = ifd + 2 + 12 * i;
    const uint32_t tag = u16(e), type = u16(e + 2);
    const int64_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) size.width = value;
    if (tag == 257) size.height = value;
  }
  if (size.width == 0 || size.height == 0) return std::nullopt;
  return size;
}

}  // namespace

namespace {

enum class Format { none, png, jpeg, bmp, webp, pnm, tiff };

// The format the bytes start as, by its magic; the one place both functions below ask.
Format sniff(const Bytes& b) {
  if (b.starts("\x89PNG\r\n\x1a\n", 8)) return Format::png;
  if (b.starts("\xFF\xD8\xFF", 3)) return Format::jpeg;
  if (b.starts("BM", 2)) return Format::bmp;
  if (b.starts("RIFF", 4) && b.starts("WEBP", 4, 8)) return Format::webp;
  // As OpenCV's own check: "P1".."P6" and then whitespace.
  if (b.has(0, 3) && b.s[0] == 'P' && b.s[1] >= '1' && b.s[1] <= '6' && std::isspace(static_cast<int>(b.u8(2))))
    return Format::pnm;
  if (b.has(0, 8) && (b.starts("II*\0", 4) || b.starts("MM\0*", 4))) return Format::tiff;
  return Format::none;
}

}  // namespace

std::optional<ImageSize> image_header_size(const std::string& s) {
  const Bytes b{s};
  switch (sniff(b)) {
    case Format::png: return png(b);
    case Format::jpeg: return jpeg(b);
    case Format::bmp: return bmp(b);
    case Format::webp: return webp(b);
    case Format::pnm: return pnm(b);
    case Format::tiff: return tiff(b);
    default: return std::nullopt;
  }
}

// OpenCV gives bytes that the decoder of their signature refuses to the next decoder that
// claims them, and its DICOM decoder claims any "DICM" at offset 128, where GDCM aborts the
// process on malformed files. The WebP decoder's check is stricter than a magic number (libwebp
// reads the header), so a WebP with "DICM" there is refused before OpenCV sees it; the other
// formats' checks are the magic numbers sniffed here.
bool known_image_format(const std::string& s) {
  const Bytes b{s};
  const Format f = sniff(b);
  if (f == Format::webp && b.starts("DICM", 4, 128)) return false;
  return f != Format::none;
}

}  // namespace alexnet
