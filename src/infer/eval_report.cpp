#include "infer/eval_report.hpp"

#include <cstdio>

namespace alexnet {

namespace {

std::string class_label(const EvalReport& about, int i) {
  return i < static_cast<int>(about.class_names.size()) ? about.class_names[i] : std::to_string(i);
}

int64_t count(const EvalResult& r, int truth, int predicted) {
  return r.confusion.counts[static_cast<size_t>(truth) * r.confusion.classes + predicted];
}

void print_per_class(const EvalResult& r, const EvalReport& about) {
  const int k = r.confusion.classes;
  std::printf("\n  %-14s %8s %8s\n", "class", "samples", "accuracy");
  for (int t = 0; t < k; ++t) {
    int64_t total = 0;
    for (int p = 0; p < k; ++p) total += count(r, t, p);
    if (total == 0) continue;
    std::printf("  %-14s %8lld %7.2f%%\n", class_label(about, t).substr(0, 14).c_str(), static_cast<long long>(total),
                100.0 * count(r, t, t) / total);
  }
}

void print_confusion(const EvalResult& r, const EvalReport& about) {
  const int k = r.confusion.classes;
  std::printf("\n  confusion matrix (rows: true class, columns: predicted)\n  %4s", "");
  for (int p = 0; p < k; ++p) std::printf(" %5d", p);
  std::printf("\n");
  for (int t = 0; t < k; ++t) {
    std::printf("  %4d", t);
    for (int p = 0; p < k; ++p) std::printf(" %5lld", static_cast<long long>(count(r, t, p)));
    std::printf("   %s\n", class_label(about, t).c_str());
  }
}

}  // namespace

nlohmann::json eval_json(const EvalResult& r, const EvalReport& about) {
  nlohmann::json j = {{"weights", about.weights}, {"data", about.data}, {"samples", r.samples},
                      {"ten_crop", about.ten_crop}, {"loss", r.loss}, {"top1_error", r.top1_error},
                      {"top5_error", r.top5_error}, {"skipped", r.failed}};
  const int k = r.confusion.classes;
  if (k <= kMaxClassesReported) {
    std::vector<std::vector<int64_t>> cm(k);
    for (int t = 0; t < k; ++t)
      cm[t].assign(r.confusion.counts.begin() + t * k, r.confusion.counts.begin() + (t + 1) * k);
    j["confusion"] = cm;
  }
  return j;
}

void print_eval_report(const EvalResult& r, const EvalReport& about) {
  std::printf("%s on %s (%lld samples, %s):\n  top-1 error %.2f%%  (accuracy %.2f%%)\n  top-5 error %.2f%%\n  loss %.4f\n",
              about.weights.c_str(), about.data.c_str(), static_cast<long long>(r.samples),
              about.ten_crop ? "10 crops" : "centre crop", 100 * r.top1_error, 100 * (1 - r.top1_error),
              100 * r.top5_error, r.loss);
  if (!r.failed.empty()) {
    std::printf("  skipped %zu files that do not decode:\n", r.failed.size());
    for (auto& f : r.failed) std::printf("    %s\n", f.c_str());
  }
  if (r.confusion.classes > kMaxClassesReported) return;
  print_per_class(r, about);
  print_confusion(r, about);
}

}  // namespace alexnet
