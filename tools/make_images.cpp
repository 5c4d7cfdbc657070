// make_images DIR N WIDTH HEIGHT [CLASSES]: writes N smooth random JPEG photos-alike of
// WIDTH x HEIGHT into DIR/<class>/ (for the input-pipeline benchmark; nothing is downloaded).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: make_images DIR N WIDTH HEIGHT [CLASSES]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int n = std::atoi(argv[2]), w = std::atoi(argv[3]), h = std::atoi(argv[4]);
  const int classes = argc > 5 ? std::atoi(argv[5]) : 10;
  cv::RNG rng(12345);
  for (int i = 0; i < n; ++i) {
    // Low-frequency colour noise plus some edges: compresses like a photo, not like a flat fill.
    cv::Mat small(h / 16 + 1, w / 16 + 1, CV_8UC3), img;
    rng.fill(small, cv::RNG::UNIFORM, 0, 255);
    cv::resize(small, img, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
    for (int k = 0; k < 8; ++k)
      cv::line(img, {rng.uniform(0, w), rng.uniform(0, h)}, {rng.uniform(0, w), rng.uniform(0, h)},
               cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), rng.uniform(1, 6));
    const std::string cls = dir + "/class" + std::to_string(i % classes);
    std::filesystem::create_directories(cls);
    cv::imwrite(cls + "/img" + std::to_string(i) + ".jpg", img, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
  std::printf("%d images %dx%d in %s\n", n, w, h, dir.c_str());
  return 0;
}
