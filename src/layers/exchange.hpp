// Hybrid parallelism, after Krizhevsky's "One weird trick for parallelizing convolutional neural
// networks" (2014): the convolutions hold ~4% of the parameters and ~90% of the arithmetic, the
// fc layers the reverse. So the convolutions run data-parallel (each rank on its rows of the
// global batch, their gradients allreduced) and fc6-fc8 model-parallel (each rank computes its
// slice of every fc layer's neurons for the whole global batch, and updates only that slice):
// the ranks exchange activations, a few MB a step, instead of the fc weights' gradients.
//
// Three exchanges join the parts, each a layer, so the forward and backward stay one list:
//
//   ShareBatch     my rows of the conv features [n, F] -> every row [N, F]    (all-gather)
//                  backward: each rank's partial gradient [N, F] summed,
//                  my rows kept                                                (reduce-scatter)
//   GatherNeurons  my neurons [N, o] -> every neuron [N, O]                   (all-gather)
//                  backward: the partial [N, O] summed, my neurons kept        (reduce-scatter)
//   ReturnBatch    my classes of every row [N, c] -> every class of my rows
//                  [n, C], where the loss is computed as in data parallelism   (all-to-all)
//                  backward: the reverse all-to-all
//
// Only in training. Outside it every rank holds all the weights (the slices are gathered at
// the epoch's end, train/hybrid_sync.hpp) and the exchanges pass their input on.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "layers/exchange_codec.hpp"
#include "layers/layer.hpp"

namespace alexnet {

class Comm;
class Dropout;

// How the fc layers are split: `ranks` processes, this one `rank`, and each rank's rows of the
// current global batch (which the training loop sets before each forward).
struct ModelSplit {
  int rank = 0, ranks = 1;
  Comm* comm = nullptr;  // the ranks' channel (set when on())
  std::vector<int64_t> rows;
  bool on() const { return ranks > 1; }
  // The units [begin, end) of `count` that rank r owns: contiguous, in rank order.
  int64_t begin(int64_t count, int r) const { return count * r / ranks; }
  int64_t share(int64_t count, int r) const { return begin(count, r + 1) - begin(count, r); }
  int64_t global_rows() const;
};

// What the three have in common: the split, the ranks' channel, and a pass-through outside
// training. A subclass's setup starts with train_setup(), which says whether it exchanges.
class Exchange : public Layer {
 public:
  Exchange(std::string name, std::shared_ptr<const ModelSplit> split);

 protected:
  bool train_setup(Mode mode, const char* impl);  // false: eval, the input passes on
  static void pass_on(const Tensor& in, const Tensor& out);
  const ModelSplit& split() const { return *split_; }

  Comm& comm_;
  bool train_ = false;

 private:
  std::shared_ptr<const ModelSplit> split_;
};

// ShareBatch and GatherNeurons: each rank holds a block of an activation [rows, width]; forward
// every rank gets all of it, backward each gets the sum of the ranks' gradients of its block.
// Only what has to travel does (layers/exchange_codec.hpp).
class GatherBlocks : public Exchange {
 public:
  // relu_output: the activation is a ReLU's output (zeros stop their gradients).
  GatherBlocks(std::string name, std::shared_ptr<const ModelSplit> split, bool relu_output);
  void feeds(const Dropout* next) { next_ = next; }  // the dropout that takes the whole activation
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out, const Tensor& d_in) override;

 protected:
  void setup_blocks(int64_t rows, int64_t width, std::vector<Block> blocks);

 private:
  bool relu_output_;
  const Dropout* next_ = nullptr;
  std::vector<Block> blocks_;  // rank by rank
  ExchangeCodec codec_;
  std::vector<float> received_, packed_, mine_;
};

// My rows of the conv features [n, F] -> every row [N, F].
class ShareBatch : public GatherBlocks {
 public:
  using GatherBlocks::GatherBlocks;
  md setup(const md& in, Mode mode, bool need_d_in) override;
};

// My neurons [N, o] -> every neuron [N, O].
class GatherNeurons : public GatherBlocks {
 public:
  GatherNeurons(std::string name, std::shared_ptr<const ModelSplit> split, int64_t neurons, bool relu_output);
  md setup(const md& in, Mode mode, bool need_d_in) override;

 private:
  int64_t neurons_;
};

class ReturnBatch : public Exchange {
 public:
  ReturnBatch(std::string name, std::shared_ptr<const ModelSplit> split, int64_t classes);
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out, const Tensor& d_in) override;

 private:
  int64_t classes_;
  std::vector<int64_t> widths_;           // each rank's classes
  std::vector<int64_t> sent_, received_;  // floats to and from each rank, in forward
  std::vector<float> blocks_;             // my rows' classes, rank by rank [n, c_k]
};

}  // namespace alexnet
