// alexnet prepare SRC DST: a copy of an image data set brought to the shorter side S and
// centre-cropped, as the paper did before training, so that training reads small files.
// Parallel, resumable (files already in DST are kept), atomic per file; files that do not
// decode are skipped and listed in DST/failed.txt.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/commands.hpp"
#include "data/dataset.hpp"
#include "model/arch.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace fs = std::filesystem;

void add_prepare(CLI::App& app) {
  auto* c = app.add_subcommand("prepare", "copy an image data set resized to side S, centre-cropped");
  struct Opts {
    std::string src, dst, arch = "alexnet", kind = "auto", split = "train";
    int size = 0, workers = 2, quality = 95;
    int64_t limit = 0;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("src", o->src, "image folder (root/<class>/<image>) or list file")->required();
  c->add_option("dst", o->dst, "output folder (root/<class>/<image>.jpg)")->required();
  c->add_option("--arch", o->arch, "architecture whose S to use")->capture_default_str();
  c->add_option("--size", o->size, "S (default: the architecture's, 256)");
  c->add_option("--data-kind", o->kind, "auto | folder | list")->capture_default_str();
  c->add_option("--workers", o->workers, "threads")->capture_default_str();
  c->add_option("--quality", o->quality, "JPEG quality")->capture_default_str();
  c->add_option("--split", o->split, "IDX: train | test")->capture_default_str();
  c->add_option("--limit", o->limit, "only the first N images");
  c->callback([o] {
    if (o->split != "train" && o->split != "test") fail("--split: expected train or test, got '" + o->split + "'");
    auto data = take_prefix(open_dataset(o->src, o->kind, o->split == "train" ? DatasetSplit::train : DatasetSplit::test),
                            o->limit);
    // IDX sets become lossless PNG folders at their own size unless --size asks otherwise.
    const bool idx = data->kind() == "idx";
    const int s = o->size > 0 ? o->size : idx ? 0 : arch_by_name(o->arch).resize;
    fs::create_directories(o->dst);
    std::vector<std::string> names = data->class_names();
    for (auto& n : names)  // a class name becomes a folder name: no separators
      for (char& ch : n)
        if (ch == '/' || ch == '\\') ch = '-';
    for (const auto& n : names) fs::create_directories(fs::path(o->dst) / n);
    std::atomic<int64_t> next{0}, written{0}, kept{0};
    std::mutex mu;
    std::vector<std::string> failed;
    auto out_path = [&](int64_t i) {
      const std::string stem = idx ? std::to_string(i) : fs::path(data->name_of(i)).stem().string();
      return (fs::path(o->dst) / names[data->label(i)] / (stem + (idx ? ".png" : ".jpg"))).string();
    };
    std::vector<std::thread> threads;
    for (int w = 0; w < std::max(1, o->workers); ++w)
      threads.emplace_back([&] {
        for (int64_t i; (i = next++) < data->size();) {
          const std::string dst = out_path(i);
          if (fs::exists(dst)) { ++kept; continue; }
          try {
            const Image img = s > 0 ? resize_shorter_center(data->read(i), s) : data->read(i);
            write_file_atomic(dst, encode_image(img, idx ? ".png" : ".jpg", o->quality, dst));
            ++written;
          } catch (const DecodeError& e) {
            std::lock_guard<std::mutex> lock(mu);
            failed.push_back(e.what());
          }
          const int64_t done = written + kept + static_cast<int64_t>(failed.size());
          if (done % 500 == 0) std::fprintf(stderr, "\r  %lld/%lld", static_cast<long long>(done), static_cast<long long>(data->size()));
        }
      });
    for (auto& t : threads) t.join();
    std::string list;
    for (const auto& f : failed) list += f + "\n";
    write_file_atomic((fs::path(o->dst) / "failed.txt").string(), list);
    std::fprintf(stderr, "\r");
    std::printf("%s -> %s at %s: %lld written, %lld already there, %zu skipped (listed in %s/failed.txt)\n",
                o->src.c_str(), o->dst.c_str(),
                s > 0 ? (std::to_string(s) + "x" + std::to_string(s)).c_str() : "their own size", static_cast<long long>(written.load()),
                static_cast<long long>(kept.load()), failed.size(), o->dst.c_str());
  });
}

}  // namespace alexnet::cli
