#include "data/prepare.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "util/atomic_file.hpp"

namespace alexnet {

namespace fs = std::filesystem;

namespace {
// A class name becomes a folder name: no separators.
std::vector<std::string> folder_names(const Dataset& data) {
  std::vector<std::string> names = data.class_names();
  for (auto& n : names)
    for (char& ch : n)
      if (ch == '/' || ch == '\\') ch = '-';
  return names;
}
}  // namespace

PrepareResult prepare_dataset(const Dataset& data, const std::string& dst, int size, int jpeg_quality, int workers) {
  const bool idx = data.kind() == "idx";
  const std::vector<std::string> names = folder_names(data);
  for (const auto& n : names) fs::create_directories(fs::path(dst) / n);
  std::atomic<int64_t> next{0}, written{0}, kept{0};
  std::mutex mu;
  std::vector<std::string> failed;
  auto out_path = [&](int64_t i) {
    const std::string stem = idx ? std::to_string(i) : fs::path(data.name_of(i)).stem().string();
    return (fs::path(dst) / names[data.label(i)] / (stem + (idx ? ".png" : ".jpg"))).string();
  };
  auto work = [&] {
    for (int64_t i; (i = next++) < data.size();) {
      const std::string to = out_path(i);
      if (fs::exists(to)) {
        ++kept;
        continue;
      }
      try {
        const Image img = size > 0 ? resize_shorter_center(data.read(i), size) : data.read(i);
        write_file_atomic(to, encode_image(img, idx ? ".png" : ".jpg", jpeg_quality, to));
        ++written;
      } catch (const DecodeError& e) {
        std::lock_guard<std::mutex> lock(mu);
        failed.push_back(e.what());
      }
      const int64_t done = written + kept + static_cast<int64_t>(failed.size());
      if (done % 500 == 0)
        std::fprintf(stderr, "\r  %lld/%lld", static_cast<long long>(done), static_cast<long long>(data.size()));
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < std::max(1, workers); ++w) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  std::fprintf(stderr, "\r");
  std::string list;
  for (const auto& f : failed) list += f + "\n";
  write_file_atomic((fs::path(dst) / "failed.txt").string(), list);
  return {written.load(), kept.load(), static_cast<int64_t>(failed.size())};
}

}  // namespace alexnet
