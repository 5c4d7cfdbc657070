#include "train/rank_sums.hpp"

#include <cstdio>
#include <vector>

#include "util/error.hpp"

namespace alexnet {

// The hash's 16-bit pieces have zero variance over the ranks exactly when every rank holds the
// same bytes (sums of squares stay exact in doubles).
bool same_on_all_ranks(Comm& cm, const float* v, int64_t n) {
  uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(v);
  for (int64_t i = 0; i < n * 4; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  double s[8];
  for (int k = 0; k < 4; ++k) {
    const double piece = static_cast<double>((h >> (16 * k)) & 0xffff);
    s[k] = piece;
    s[4 + k] = piece * piece;
  }
  cm.allreduce_sum(s, 8);
  for (int k = 0; k < 4; ++k)
    if (s[4 + k] * cm.size() != s[k] * s[k]) return false;
  return true;
}

void sum_over_ranks(Comm& cm, EvalResult& r) {
  std::vector<double> s = {static_cast<double>(r.samples), r.loss_sum, r.top1_correct, r.top5_correct};
  for (int64_t c : r.confusion.counts) s.push_back(static_cast<double>(c));
  cm.allreduce_sum(s.data(), static_cast<int64_t>(s.size()));
  r.samples = static_cast<int64_t>(s[0]), r.loss_sum = s[1], r.top1_correct = s[2], r.top5_correct = s[3];
  for (size_t i = 0; i < r.confusion.counts.size(); ++i) r.confusion.counts[i] = static_cast<int64_t>(s[4 + i]);
}

void check_ranks_agree(Comm& cm, const float* weights, int64_t n, int64_t epoch) {
  if (!cm.distributed()) return;
  if (!same_on_all_ranks(cm, weights, n))
    fail("the ranks' weights diverged at epoch " + std::to_string(epoch + 1) +
         " (different binaries or libraries on the machines?)");
  if (cm.leader()) std::printf("weights identical on %d ranks\n", cm.size());
}

}  // namespace alexnet
