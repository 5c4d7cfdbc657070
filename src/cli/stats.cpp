// alexnet stats: a data set's mean image, per-channel mean and std, and the eigen-decomposition
// of its RGB covariance, saved for `alexnet train --stats`.
#include <cstdio>

#include "cli/commands.hpp"
#include "data/stats.hpp"
#include "model/arch.hpp"

namespace alexnet::cli {

void add_stats(CLI::App& app) {
  auto* c = app.add_subcommand("stats", "mean image, mean/std and RGB PCA of a data set");
  struct Opts {
    std::string data, out, arch = "alexnet", kind = "auto";
    int64_t max_images = 0;
    int workers = 2;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("data", o->data, "data set")->required();
  c->add_option("--out", o->out, "output file (.safetensors)")->required();
  c->add_option("--arch", o->arch, "architecture, for the image side S")->capture_default_str();
  c->add_option("--data-kind", o->kind, "auto | folder | list | idx")->capture_default_str();
  c->add_option("--max-images", o->max_images, "use at most N images, spread over the set (0: all)");
  c->add_option("--workers", o->workers, "decoding threads")->capture_default_str();
  c->callback([o] {
    const ArchSpec& a = arch_by_name(o->arch);
    auto data = open_dataset(o->data, o->kind, DatasetSplit::train);
    const DataStats s = compute_stats(*data, a.resize, o->max_images, o->workers);
    save_stats(o->out, s);
    std::printf("%s: %lld images at %dx%d\n  mean (0-255) %.2f %.2f %.2f\n  std  (0-255) %.2f %.2f %.2f\n",
                o->data.c_str(), static_cast<long long>(s.images), s.resize, s.resize, s.norm.mean[0],
                s.norm.mean[1], s.norm.mean[2], s.norm.std[0], s.norm.std[1], s.norm.std[2]);
    for (int i = 0; i < 3; ++i)
      std::printf("  PCA eigenvalue %.5f  eigenvector %.4f %.4f %.4f\n", s.pca.values[i], s.pca.vectors[i][0],
                  s.pca.vectors[i][1], s.pca.vectors[i][2]);
    std::printf("saved %s\n", o->out.c_str());
  });
}

}  // namespace alexnet::cli
