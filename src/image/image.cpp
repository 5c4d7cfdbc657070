#include "image/image.hpp"

#include <cmath>
#include <cstring>
#include <atomic>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image_header.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {
std::atomic<int64_t> max_pixels{kMaxImagePixels};
}  // namespace

void set_max_image_pixels(int64_t pixels) { max_pixels = pixels; }
int64_t max_image_pixels() { return max_pixels; }

void init_image_decoding() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::setNumThreads(1);  // loader workers are the parallelism; OpenCV must not add its own
  });
}

namespace {

Image from_mat(cv::Mat m, const std::string& name) {
  if (m.empty()) throw DecodeError(name + ": does not decode as an image");
  if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 257.0);
  else if (m.depth() != CV_8U) m.convertTo(m, CV_8U);
  if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2RGB);
  else if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGB);
  else if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  else throw DecodeError(name + ": unsupported channel count " + std::to_string(m.channels()));
  Image img;
  img.height = m.rows;
  img.width = m.cols;
  img.rgb.resize(static_cast<size_t>(m.rows) * m.cols * 3);
  for (int y = 0; y < m.rows; ++y)
    std::memcpy(img.row(y), m.ptr<uint8_t>(y), static_cast<size_t>(m.cols) * 3);
  return img;
}

// Whether a JPEG's segments run to its end-of-image marker: the markers' lengths are followed
// from SOI, and each scan's entropy-coded data runs to the next marker that is neither a
// restart nor a stuffed byte. What follows the marker (a phone's trailer, further pictures of
// a multi-picture file) is not looked at; EXIF thumbnails sit inside their segment.
bool jpeg_complete(const std::string& b) {
  const auto u = [&](size_t i) { return static_cast<uint8_t>(b[i]); };
  const auto restart = [](uint8_t m) { return m >= 0xd0 && m <= 0xd7; };
  size_t i = 2;
  while (i + 2 <= b.size()) {
    if (u(i) != 0xff) return false;  // no marker where one must be
    const uint8_t m = u(i + 1);
    if (m == 0xd9) return true;
    if (m == 0xff) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0x01 || restart(m)) {  // markers without a length
      i += 2;
      continue;
    }
    if (i + 4 > b.size()) return false;
    const size_t length = static_cast<size_t>(u(i + 2)) << 8 | u(i + 3);
    if (length < 2) return false;
    i += 2 + length;
    if (m == 0xda)  // start of scan: its coded data, up to the next real marker
      while (i + 1 < b.size() && !(u(i) == 0xff && u(i + 1) != 0x00 && !restart(u(i + 1)))) ++i;
  }
  return false;
}

// Whether a PNG's chunks run to its IEND chunk.
bool png_complete(const std::string& b) {
  const auto u = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(b[i])); };
  for (size_t i = 8; i + 12 <= b.size();) {
    if (b.compare(i + 4, 4, "IEND") == 0) return true;
    i += 12 + (u(i) << 24 | u(i + 1) << 16 | u(i + 2) << 8 | u(i + 3));
  }
  return false;
}

// libjpeg decodes a JPEG cut short (an upload that lost its connection) as if its missing rows
// were gray, and only warns, which OpenCV drops; libpng likewise. So a file cut short is
// refused before it is decoded.
void check_complete(const std::string& b, const std::string& name) {
  if (b.size() >= 3 && b.compare(0, 3, "\xff\xd8\xff") == 0 && !jpeg_complete(b))
    throw DecodeError(name + ": the JPEG ends before its end-of-image marker (truncated)");
  if (b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && !png_complete(b))
    throw DecodeError(name + ": the PNG ends before its IEND chunk (truncated)");
}

}  // namespace

Image decode_image_bytes(const std::string& bytes, const std::string& name) {
  init_image_decoding();
  if (bytes.empty()) throw DecodeError(name + ": empty file");
  if (const auto size = image_header_size(bytes)) {
    if (size->width <= 0 || size->height <= 0)
      throw DecodeError(name + ": the header says " + std::to_string(size->width) + " x " + std::to_string(size->height) + " pixels");
    if (size->width > max_pixels / size->height)  // not width * height: a header's sizes can overflow it
      throw DecodeError(name + ": " + std::to_string(size->width) + " x " + std::to_string(size->height) +
                        " pixels is more than the " + std::to_string(max_pixels / 1'000'000) + " megapixels allowed");
  }
  if (!known_image_format(bytes))
    throw DecodeError(name + ": does not decode as an image (formats read: JPEG, PNG, BMP, WebP, TIFF, PNM)");
  check_complete(bytes, name);
  cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
  cv::Mat m;
  try {
    // ANYDEPTH keeps 16-bit (scaled below), COLOR repeats gray and drops alpha, and the EXIF
    // orientation is applied (IMREAD_IGNORE_ORIENTATION is not set).
    m = cv::imdecode(buf, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
  } catch (const cv::Exception& e) {
    throw DecodeError(name + ": does not decode (" + std::string(e.err) + ")");
  }
  return from_mat(m, name);
}

Image decode_image(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const UserError& e) {
    throw DecodeError(e.what());
  }
  return decode_image_bytes(bytes, path);
}

Image resize_shorter_center(const Image& img, int s) {
  if (img.height == s && img.width == s) return img;
  cv::Mat src(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.rgb.data()));
  const double scale = static_cast<double>(s) / std::min(img.height, img.width);
  const int nh = std::max(s, static_cast<int>(std::lround(img.height * scale)));
  const int nw = std::max(s, static_cast<int>(std::lround(img.width * scale)));
  cv::Mat resized;
  cv::resize(src, resized, cv::Size(nw, nh), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  const int y0 = (nh - s) / 2, x0 = (nw - s) / 2;
  Image out;
  out.height = out.width = s;
  out.rgb.resize(static_cast<size_t>(s) * s * 3);
  for (int y = 0; y < s; ++y)
    std::memcpy(out.row(y), resized.ptr<uint8_t>(y0 + y) + x0 * 3, static_cast<size_t>(s) * 3);
  return out;
}

std::string encode_image(const Image& img, const std::string& ext, int jpeg_quality, const std::string& name) {
  cv::Mat m(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.rgb.data()));
  cv::Mat bgr;
  cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> out;
  if (!cv::imencode(ext, bgr, out, {cv::IMWRITE_JPEG_QUALITY, jpeg_quality})) fail(name + ": " + ext + " encoding failed");
  return std::string(out.begin(), out.end());
}

void write_png(const std::string& path, const Image& img) {
  write_file_atomic(path, encode_image(img, ".png", 95, path));
}

}  // namespace alexnet
