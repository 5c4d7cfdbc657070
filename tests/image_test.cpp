// Images cut short are refused before decoding: libjpeg would decode a truncated JPEG's missing
// rows as gray and only warn. Complete files decode, trailers after the end marker included.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>

#include "image/image.hpp"
#include "util/atomic_file.hpp"

namespace alexnet {
namespace {

std::string encode(const std::string& ext, std::vector<int> params = {}) {
  cv::Mat m(240, 320, CV_8UC3);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 7 + y), static_cast<uint8_t>(std::sin(x * 0.1) * 120 + 128),
                                        static_cast<uint8_t>(y * 3 ^ x));
  std::vector<uint8_t> buf;
  cv::imencode(ext, m, buf, params);
  return std::string(buf.begin(), buf.end());
}

std::string error_of(const std::string& bytes) {
  try {
    decode_image_bytes(bytes, "upload");
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "(decoded)";
}

TEST(Image, TruncatedJpegsAndPngsAreRefused) {
  for (const auto& [name, bytes] : {std::pair<std::string, std::string>{"baseline", encode(".jpg")},
                                    {"progressive", encode(".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
                                    {"restarts", encode(".jpg", {cv::IMWRITE_JPEG_RST_INTERVAL, 4})}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(decode_image_bytes(bytes, "upload").width, 320);
    EXPECT_EQ(decode_image_bytes(bytes + std::string(5000, 'x'), "upload").width, 320);  // a trailer
    for (size_t keep : {bytes.size() / 20, bytes.size() / 2, bytes.size() - 2})
      EXPECT_EQ(error_of(bytes.substr(0, keep)), "upload: the JPEG ends before its end-of-image marker (truncated)")
          << keep << " of " << bytes.size();
  }
  const std::string png = encode(".png");
  EXPECT_EQ(decode_image_bytes(png, "upload").height, 240);
  EXPECT_EQ(decode_image_bytes(png + "trailing", "upload").height, 240);
  for (size_t keep : {png.size() / 2, png.size() - 12})
    EXPECT_EQ(error_of(png.substr(0, keep)), "upload: the PNG ends before its IEND chunk (truncated)") << keep;
}

// Found by fuzz_image (UBSan): a PNM header of 6666666666666 x 6666666666666 pixels overflowed
// width * height before it was compared with the limit.
TEST(Image, HeaderSizesThatOverflowAreRefused) {
  const std::string pnm = "P3 " + std::string(33, '6') + "3" + std::string(1, '\0') + "/";
  try {
    decode_image_bytes(pnm, "upload");
    FAIL() << "decoded";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("megapixels allowed"), std::string::npos) << e.what();
  }
}

// Found by fuzz_image: bytes with "DICM" at offset 128 went to OpenCV's DICOM decoder, whose
// GDCM asserted and aborted the process (a server with it). Only the six formats documented
// reach a decoder now; the inputs the fuzzers found are replayed here.
TEST(Image, OnlyTheDocumentedFormatsReachADecoder) {
  const std::string dir = std::string(ALEXNET_SOURCE_DIR) + "/tests/fuzz/regressions/image/";
  for (const char* name : {"dicom-gdcm-abort", "pnm-size-overflow", "not-pnm-dicom-gdcm-abort"}) {
    SCOPED_TRACE(name);
    EXPECT_THROW(decode_image_bytes(read_file(dir + name), name), DecodeError);
  }
  // "P3" without the whitespace OpenCV's PNM decoder requires, or a WebP whose header libwebp
  // refuses, went on to the DICOM decoder too.
  for (std::string head : {std::string("P36#"), std::string("RIFF\0\0\0\0WEBPVP8 ")}) {
    head.resize(128, '\xf3');
    try {
      decode_image_bytes(head + "DICM" + std::string(64, '\0'), "upload");
      ADD_FAILURE() << "decoded " << head.substr(0, 4);
    } catch (const DecodeError& e) {  // refused before any decoder saw it
      EXPECT_EQ(std::string(e.what()), "upload: does not decode as an image (formats read: JPEG, PNG, BMP, WebP, TIFF, PNM)");
    }
  }
  std::string dicom(132, '\0');
  dicom.replace(128, 4, "DICM");
  try {
    decode_image_bytes(dicom, "scan.dcm");
    FAIL() << "decoded";
  } catch (const DecodeError& e) {
    EXPECT_EQ(std::string(e.what()), "scan.dcm: does not decode as an image (formats read: JPEG, PNG, BMP, WebP, TIFF, PNM)");
  }
}

}  // namespace
}  // namespace alexnet
