// What the ranks of a data-parallel run compare and add up beyond the gradients: that they
// still hold the same weights, and the validation numbers of their shards.
#pragma once
#include <cstdint>

#include "infer/evaluate.hpp"
#include "parallel/comm.hpp"

namespace alexnet {

// Whether every rank holds the same bytes in v[0..n): a hash of them compared across ranks.
bool same_on_all_ranks(Comm& cm, const float* v, int64_t n);
// Under mpirun, after an epoch: a UserError when the ranks' weights differ, else a line saying
// they agree (leader).
void check_ranks_agree(Comm& cm, const float* weights, int64_t n, int64_t epoch);
// Adds up each rank's evaluation of its shard (samples, sums, confusion), on every rank.
void sum_over_ranks(Comm& cm, EvalResult& r);

}  // namespace alexnet
