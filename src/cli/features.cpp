// alexnet features: one layer's activations (default fc7) for images or a data set, as .npy;
// alexnet similar: nearest neighbours of query images by Euclidean distance of those vectors,
// printed and drawn as a PNG (the paper's Figure 4).
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "infer/inference_model.hpp"
#include "data/dataset.hpp"
#include "data/transform.hpp"
#include "formats/npy.hpp"
#include "image/plot.hpp"
#include "formats/weights.hpp"
#include "tensor/engine.hpp"
#include "infer/features.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

struct Source {
  std::string weights, arch, data, kind = "auto", layer = "fc7";
  std::vector<std::string> images;
  int batch = 64, workers = 1, threads = 0;
  int64_t limit = 0;
};

void add_source_flags(CLI::App* c, Source& s) {
  c->add_option("--weights", s.weights, "weights (.safetensors, .pth, .onnx or .caffemodel)")->required();
  c->add_option("--arch", s.arch, "architecture, when the weights do not say");
  c->add_option("--layer", s.layer, "layer whose output to take (fc6, fc7, pool5, ...)")->capture_default_str();
  c->add_option("--data", s.data, "a data set (folder, list file, IDX: its test split)");
  c->add_option("--data-kind", s.kind, "auto | folder | list | idx")->capture_default_str();
  c->add_option("--limit", s.limit, "only the first N samples of --data");
  c->add_option("--batch", s.batch, "batch size")->capture_default_str();
  c->add_option("--workers", s.workers, "data loading threads")->capture_default_str();
  c->add_option("--threads", s.threads, "compute threads");
}

std::unique_ptr<Dataset> open_source(const Source& s, const std::vector<std::string>& images) {
  if (!s.data.empty() && !images.empty()) fail("give either --data or image files, not both");
  if (!s.data.empty()) return take_prefix(open_dataset(s.data, s.kind, DatasetSplit::test), s.limit);
  if (images.empty()) fail("no inputs: give image files or --data");
  return files_dataset(images);
}

}  // namespace

void add_features(CLI::App& app) {
  auto* c = app.add_subcommand("features", "write one layer's activations (default fc7) as .npy");
  auto s = std::make_shared<Source>();
  auto out = std::make_shared<std::string>();
  add_source_flags(c, *s);
  c->add_option("--out", *out, "output .npy ([N, D] float32); the file names go to OUT.txt")->required();
  c->add_option("images", s->images, "image files");
  c->callback([s, out] {
    const InferenceModel m = open_for_inference(s->weights, s->arch, s->threads);
    auto data = open_source(*s, s->images);
    const Features f = extract_features(m.net(), *data, m.transform, s->layer, s->batch, s->workers);
    for (const auto& e : f.failed) std::fprintf(stderr, "skipped: %s\n", e.c_str());
    if (f.rows == 0) fail("no input could be decoded");
    write_npy(*out, {f.rows, f.dim}, f.values.data());
    std::string names;
    for (const auto& n : f.names) names += n + "\n";
    write_file_atomic(*out + ".txt", names);
    std::printf("%s: %lld x %lld (%s of %s); names in %s.txt\n", out->c_str(), static_cast<long long>(f.rows),
                static_cast<long long>(f.dim), s->layer.c_str(), s->weights.c_str(), out->c_str());
  });
}

void add_similar(CLI::App& app) {
  auto* c = app.add_subcommand("similar", "nearest neighbours of query images by fc7 distance (Figure 4)");
  auto s = std::make_shared<Source>();
  auto queries = std::make_shared<std::vector<std::string>>();
  auto k = std::make_shared<int>(6);
  auto png = std::make_shared<std::string>("similar.png");
  add_source_flags(c, *s);
  c->add_option("--query", *queries, "query images")->required();
  c->add_option("--topk", *k, "neighbours per query")->capture_default_str();
  c->add_option("--png", *png, "picture: one row per query, then its neighbours")->capture_default_str();
  c->add_option("images", s->images, "the collection: image files (or --data)");
  c->callback([s, queries, k, png] {
    if (*k < 1) fail("--topk must be at least 1");
    const InferenceModel m = open_for_inference(s->weights, s->arch, s->threads);
    auto data = open_source(*s, s->images);
    const Features coll = extract_features(m.net(), *data, m.transform, s->layer, s->batch, s->workers);
    auto qdata = files_dataset(*queries);
    const Features q = extract_features(m.net(), *qdata, m.transform, s->layer, s->batch, 1);
    for (const auto& e : q.failed) fail(e);
    if (coll.rows == 0) fail("the collection holds no image that decodes");
    std::vector<Image> tiles;
    const int side = 96;
    auto thumb = [&](const Dataset& d, int64_t i) {
      return resize_shorter_center(d.read(i), side);
    };
    for (int64_t r = 0; r < q.rows; ++r) {
      std::printf("%s\n", q.names[r].c_str());
      tiles.push_back(thumb(*qdata, q.indices[r]));
      const auto nn = nearest(coll, q.values.data() + r * q.dim, *k);
      for (const Neighbour& n : nn) {
        std::printf("  %10.4f  %s\n", n.distance, coll.names[n.row].c_str());
        tiles.push_back(thumb(*data, coll.indices[n.row]));
      }
      for (size_t pad = nn.size(); pad < static_cast<size_t>(*k); ++pad) {
        Image blank;
        blank.height = blank.width = side;
        blank.rgb.assign(side * side * 3, 255);
        tiles.push_back(blank);
      }
    }
    write_png(*png, caption(grid(tiles, *k + 1, 1, 4), "first column: query; then its nearest by " + s->layer + " distance"));
    std::printf("picture: %s\n", png->c_str());
  });
}

}  // namespace alexnet::cli
