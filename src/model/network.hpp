// Network: the layers of one ArchSpec in order, the activations between them, and all
// parameters in three contiguous buffers (values, gradients, momenta) so that the optimizer,
// checkpoints and an allreduce are each one pass over memory.
//
//   forward(input [N,3,C,C] plain, mode) -> logits [N, classes] plain
//   backward()  after the loss wrote d_logits()  -> Param::grad of every parameter
//
// Primitives are built once per (batch, mode) and reused; activations keep the layouts oneDNN
// picked, and the backward's gradients ping-pong between two buffers sized for the largest.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/exchange.hpp"
#include "layers/layer.hpp"
#include "model/arch.hpp"
#include "tensor/huge_pages.hpp"

namespace alexnet {

struct LayerTiming {
  std::string name;
  double forward_ms = 0, backward_ms = 0;  // summed over calls
  double forward_flops = 0, backward_flops = 0;  // per call
  std::string kernel;  // the oneDNN implementations the layer got (Layer::kernel)
  std::string chosen_by;  // how (Layer::chosen_by)
  std::string precision;  // "int8" where the layer's forward runs an int8 kernel, else "f32"
};

class Network {
 public:
  // With split.on(), fc6-fc8 train model-parallel across the ranks (layers/exchange.hpp).
  Network(const ArchSpec& arch, int classes, ModelSplit split = {});
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // The parameters' names and shapes (as files hold them) of a network of this architecture,
  // without making one.
  static std::vector<std::pair<std::string, dims>> param_shapes(const ArchSpec& arch, int classes);

  const ArchSpec& arch() const { return arch_; }
  int classes() const { return classes_; }
  dims input_shape(int batch) const { return {batch, 3, arch_.crop, arch_.crop}; }

  void init(InitKind kind, uint64_t seed);
  // first_row: the position of this input's first sample in the global batch (data parallelism).
  const Tensor& forward(const Tensor& input, Mode mode, uint64_t rng_key = 0, int64_t first_row = 0);
  const Tensor& d_logits() const { return setup_.d_logits; }  // the loss writes here
  // after_layer(params) is called as soon as a layer's parameter gradients are final (in
  // reverse order), so their allreduce can overlap the rest of the backward pass.
  void backward(const std::function<void(const std::vector<Param*>&)>& after_layer = {});

  std::vector<Param*>& params() { return params_; }
  const std::vector<Param*>& params() const { return params_; }
  Param* find_param(const std::string& file_name);
  int64_t num_params() const { return total_; }
  float* values() { return values_.get(); }
  const float* values() const { return values_.get(); }
  // Gradients and momenta exist only once something trains (inference needs neither: two
  // thirds of the parameter memory).
  float* grads() { return ensure_training_state(), grads_.get(); }
  float* momenta() { return ensure_training_state(), momenta_.get(); }
  void params_changed();  // after the optimizer or a load changed values

  // Hybrid parallelism. Before each training forward: every rank's rows of the global batch.
  void set_batch_rows(const std::vector<int64_t>& rows);
  bool model_parallel() const { return split_->on(); }
  // The elements [begin, begin + count) of p that this rank trains: all of p, except for the
  // fc layers' parameters in hybrid parallelism, whose neurons are split across the ranks.
  struct Part {
    int64_t begin, count;
    bool sliced;  // a slice of an fc layer's neurons (train/hybrid_sync.hpp shares them)
  };
  Part owned_part(const Param* p) const;
  const ModelSplit& split() const { return *split_; }

  // What a layer is to the network beside its computation, recorded as the plan is walked:
  // an exchange of hybrid parallelism (it takes no place in the random streams' keys), one whose
  // output holds every row of the global batch, a dropout, and a slice [begin, end) of an fc
  // layer's neurons trained by this rank (its gradients cover the global batch already: no
  // allreduce).
  struct Role {
    bool exchange = false, gathers_batch = false, dropout = false;
    int64_t slice_begin = 0, slice_end = 0;
    bool sliced() const { return slice_end > slice_begin; }
  };
  struct Layers {
    std::vector<std::unique_ptr<Layer>> layers;
    std::vector<Role> roles;
  };

  // The output of a named layer (after its ReLU) from the last forward, as a plain tensor.
  // Inference keeps only the last two activations of the large ones (they share two
  // buffers); keep_output(layer) before the forward keeps that layer's too.
  Tensor output_of(const std::string& layer) const;
  void keep_output(const std::string& layer);
  std::vector<std::string> layer_names() const;
  // A UserError naming the layers this network has, unless `layer` is one of them (the one check
  // of a layer name a user gives: features, serve, Python, the C++ API).
  void check_layer(const std::string& layer) const;
  std::vector<std::string> layers_with_params() const;  // conv1 ... fc8, in order

  // Fine-tuning: these layers (names as layer_names(), e.g. conv1..conv5) get no gradients, and
  // the backward pass stops below the lowest trainable layer. An unknown name is a UserError.
  void freeze(const std::vector<std::string>& layers);
  bool is_frozen(const Param* p) const;

  // Sets every dropout layer's rate (0 turns dropout off; tests compare against PyTorch so).
  void set_dropout(float p);
  // For commands that only infer (predict, eval, features, serve, bench), once the weights are
  // loaded: layers may return the memory of weights they hold in another layout; training or
  // changing the weights afterwards is refused (on every ISA, whether memory was returned or not).
  void set_inference_only();

  // int8 inference (kernels/quant.hpp): the named layers (conv1 ... fc8) compute in int8 from here
  // on, their weights as they stand (which must be w_scale * q, as a quantized file's are).
  // Such a network infers only: training it is a UserError. Unknown names are internal errors.
  void set_quantization(const Quantization& q);
  const Quantization& quantization() const { return quant_; }

  void set_profiling(bool on) { profiling_ = on; }
  // Per layer, as set up by the last forward: name, FLOPs, oneDNN kernels and, with profiling
  // on, the summed milliseconds.
  std::vector<LayerTiming> timings() const;

 private:
  void prepare(const md& input, Mode mode);
  void ensure_training_state();
  void allocate_activations(Mode mode, size_t biggest);
  size_t first_trainable() const;  // the lowest layer with parameters that is not frozen

  const ArchSpec& arch_;
  int classes_;
  std::shared_ptr<ModelSplit> split_;  // shared with the exchange layers
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Role> roles_;  // one a layer
  std::vector<Param*> params_;
  int64_t total_ = 0;
  HugeBuffer<float> values_, grads_, momenta_;  // parameters' (tv: 244 MB each)

  // What prepare() set up for one input shape and mode: activations[i] is the input of layer i,
  // the last the logits.
  struct Setup {
    md input;
    Mode mode = Mode::eval;
    bool ready = false;
    std::vector<Tensor> acts;
    std::vector<md> mds;
    std::vector<bool> valid;  // false: overwritten later in the forward (shared buffer)
    HugeBuffer<char> act_buf[2];  // inference: the activations' two shared buffers
    std::unique_ptr<char[]> diff_buf[2];
    Tensor d_logits;
    std::vector<LayerTiming> timing;
  } setup_;
  std::vector<std::string> kept_;
  Quantization quant_;
  bool profiling_ = false;
  bool inference_only_ = false;
};

}  // namespace alexnet
