// alexnet prepare SRC DST: a copy of an image data set brought to the shorter side S and
// centre-cropped (data/prepare.hpp).
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "data/dataset.hpp"
#include "data/prepare.hpp"
#include "model/arch.hpp"
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
    const PrepareResult r = prepare_dataset(*data, o->dst, s, o->quality, o->workers);
    std::printf("%s -> %s at %s: %lld written, %lld already there, %lld skipped (listed in %s/failed.txt)\n",
                o->src.c_str(), o->dst.c_str(),
                s > 0 ? (std::to_string(s) + "x" + std::to_string(s)).c_str() : "their own size",
                static_cast<long long>(r.written), static_cast<long long>(r.kept), static_cast<long long>(r.skipped),
                o->dst.c_str());
  });
}

}  // namespace alexnet::cli
