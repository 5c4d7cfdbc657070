#include "model/network.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "layers/conv.hpp"
#include "layers/dropout.hpp"
#include "layers/exchange.hpp"
#include "layers/flatten.hpp"
#include "layers/linear.hpp"
#include "layers/lrn.hpp"
#include "layers/max_pool.hpp"
#include "model/layer_plan.hpp"
#include "tensor/engine.hpp"
#include "util/error.hpp"
#include "util/rng.hpp"

namespace alexnet {

namespace {
double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

namespace {
// The layer plan, entry by entry. Split across ranks (hybrid parallelism), each fc layer trains
// its slice of the neurons between the exchanges.
std::unique_ptr<Layer> make_layer(const LayerSpec& l) {
  switch (l.kind) {
    case LayerKind::conv:
      return std::make_unique<Conv>(l.name, l.weight(), l.bias(),
                                    ConvShape{static_cast<int>(l.in[0]), static_cast<int>(l.out[0]), l.kernel,
                                              l.stride, l.pad, l.groups, l.relu});
    case LayerKind::lrn: return std::make_unique<Lrn>(l.name, l.lrn);
    case LayerKind::max_pool: return std::make_unique<MaxPool>(l.name, l.kernel, l.stride);
    case LayerKind::flatten: return std::make_unique<Flatten>(l.name);
    case LayerKind::dropout: return std::make_unique<Dropout>(l.name, l.dropout);
    case LayerKind::linear:
      return std::make_unique<Linear>(l.name, l.weight(), l.bias(), static_cast<int>(l.in[0]),
                                      static_cast<int>(l.out[0]), l.relu);
  }
  internal_error("a layer kind without its layer");
}

// The layer plan with, split across ranks (hybrid parallelism), the exchanges between the
// data-parallel and the model-parallel layers, each layer's role recorded as it is placed.
Network::Layers make_layers(const ArchSpec& arch, int classes, const std::shared_ptr<ModelSplit>& split = {}) {
  const std::vector<LayerSpec> plan = layer_plan(arch, classes);
  const bool hybrid = split && split->on();
  const LayerSpec* last_fc = nullptr;
  for (const LayerSpec& l : plan)
    if (l.kind == LayerKind::linear) last_fc = &l;
  Network::Layers out;
  auto place = [&](std::unique_ptr<Layer> layer, Network::Role role) {
    out.layers.push_back(std::move(layer));
    out.roles.push_back(role);
  };
  GatherBlocks* exchange_before = nullptr;  // an exchange need not send what the dropout after it zeroes
  for (const LayerSpec& l : plan) {
    std::unique_ptr<Layer> layer = make_layer(l);
    Network::Role role;
    role.dropout = l.kind == LayerKind::dropout;
    if (role.dropout && exchange_before) exchange_before->feeds(static_cast<const Dropout*>(layer.get()));
    exchange_before = nullptr;
    if (hybrid && l.kind == LayerKind::linear) {
      const int out_n = static_cast<int>(l.out[0]);
      role.slice_begin = split->begin(out_n, split->rank), role.slice_end = split->begin(out_n, split->rank + 1);
      static_cast<Linear&>(*layer).set_slice(role.slice_begin, role.slice_end);
    }
    place(std::move(layer), role);
    if (!hybrid) continue;
    // (Every conv ends in a ReLU, so zeros in the features stop their gradients.)
    if (l.kind == LayerKind::flatten) {
      auto share = std::make_unique<ShareBatch>("share_batch", split, /*relu_output=*/true);
      exchange_before = share.get();
      place(std::move(share), {.exchange = true, .gathers_batch = true});
    }
    if (l.kind != LayerKind::linear) continue;
    if (&l != last_fc) {
      auto gather = std::make_unique<GatherNeurons>("gather_" + l.name, split, l.out[0], l.relu);
      exchange_before = gather.get();
      place(std::move(gather), {.exchange = true});
    } else {
      place(std::make_unique<ReturnBatch>("return_batch", split, l.out[0]), {.exchange = true});
    }
  }
  return out;
}
}  // namespace

std::vector<std::pair<std::string, dims>> Network::param_shapes(const ArchSpec& arch, int classes) {
  std::vector<std::pair<std::string, dims>> out;
  for (auto& l : make_layers(arch, classes).layers)
    for (Param* p : l->params()) out.emplace_back(p->name, p->shape);
  return out;
}

Network::Network(const ArchSpec& arch, int classes, ModelSplit split)
    : arch_(arch), classes_(classes), split_(std::make_shared<ModelSplit>(std::move(split))) {
  if (split_->on() && !split_->comm) internal_error("a model split without the ranks' channel");
  Layers made = make_layers(arch, classes, split_);
  layers_ = std::move(made.layers), roles_ = std::move(made.roles);
  if (classes < 1) fail(arch.name + ": the number of classes must be at least 1, got " + std::to_string(classes));
  for (auto& l : layers_)
    for (Param* p : l->params()) {
      params_.push_back(p);
      total_ += p->size();
    }
  values_ = huge_zeros<float>(total_, kGemmShift);
  int64_t off = 0;
  for (Param* p : params_) {
    p->value = values_.get() + off;
    off += p->size();
  }
}

void Network::ensure_training_state() {
  if (grads_) return;
  grads_ = huge_zeros<float>(total_, kGemmShift);
  momenta_ = huge_zeros<float>(total_, kGemmShift);
  int64_t off = 0;
  for (Param* p : params_) {
    p->grad = grads_.get() + off;
    p->momentum = momenta_.get() + off;
    off += p->size();
  }
}

Network::~Network() = default;

void Network::init(InitKind kind, uint64_t seed) {
  // The paper's bias per layer, by the parameter's file name.
  const std::vector<LayerSpec> plan = layer_plan(arch_, classes_);
  auto paper_bias = [&](const std::string& name) {
    for (const LayerSpec& l : plan)
      if (l.has_params() && name == l.bias()) return l.paper_bias;
    return 0.f;
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    Param* p = params_[i];
    if (p->is_bias) {
      const float b = kind == InitKind::paper ? paper_bias(p->name) : 0.f;
      std::fill(p->value, p->value + p->size(), b);
      continue;
    }
    const int64_t fan_in = p->size() / p->shape[0];
    const double stddev = kind == InitKind::paper ? 0.01 : std::sqrt(2.0 / static_cast<double>(fan_in));
    Rng rng(hash3(seed, 0x1417, i));
    for (int64_t j = 0; j < p->size(); ++j) p->value[j] = static_cast<float>(rng.normal() * stddev);
  }
  if (momenta_) std::memset(momenta_.get(), 0, sizeof(float) * total_);
  params_changed();
}

Param* Network::find_param(const std::string& file_name) {
  for (Param* p : params_)
    if (p->name == file_name) return p;
  return nullptr;
}

void Network::set_inference_only() {
  inference_only_ = true;
  for (auto& l : layers_) l->set_inference_only();
  setup_.ready = false;  // the layers' kernels are chosen again, knowing it
}

void Network::set_quantization(const Quantization& q) {
  for (const auto& entry : q) {  // (clang cannot capture a structured binding)
    const std::string& name = entry.first;
    auto it = std::find_if(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == name; });
    if (it == layers_.end() || (*it)->params().empty()) internal_error(name + ": no layer with parameters to quantize");
    (*it)->set_quant(entry.second);
    // The bias onto the product's int32 grid, so that every kernel adds the same one.
    for (Param* p : (*it)->params())
      if (p->is_bias)
        for (int64_t o = 0; o < p->size(); ++o) p->value[o] = product_bias(p->value[o], *entry.second, o);
  }
  quant_ = q;
  setup_.ready = false;
}

void Network::params_changed() {
  if (inference_only_) internal_error(arch_.name + ": the weights of an inference-only network cannot change");
  for (auto& l : layers_) l->params_changed();
}

void Network::prepare(const md& input, Mode mode) {
  if (setup_.ready && input == setup_.input && mode == setup_.mode) return;
  if (mode == Mode::train && inference_only_) internal_error(arch_.name + ": an inference-only network cannot train");
  if (mode == Mode::train && !quant_.empty())
    fail(arch_.name + ": int8 weights do not train; train or fine-tune the f32 weights, then quantize them");
  if (mode == Mode::train) ensure_training_state();
  setup_.acts.clear();
  setup_.mds.clear();
  md cur = input;
  setup_.mds.push_back(cur);
  // A layer needs its input's gradient only when a trainable layer lies below it.
  const size_t first = first_trainable();
  for (size_t i = 0; i < layers_.size(); ++i) {
    cur = layers_[i]->setup(cur, mode, /*need_d_in=*/i > first);
    setup_.mds.push_back(cur);
  }
  size_t biggest = 0;
  for (const md& m : setup_.mds) biggest = std::max(biggest, m.get_size());
  allocate_activations(mode, biggest);
  if (mode == Mode::train) {
    for (auto& b : setup_.diff_buf) b.reset(new char[biggest]);
    const size_t last = setup_.mds.size() - 1;
    setup_.d_logits = Tensor(setup_.mds[last], setup_.diff_buf[last % 2].get());
  } else {
    for (auto& b : setup_.diff_buf) b.reset();
    setup_.d_logits = Tensor();
  }
  setup_.timing.assign(layers_.size(), {});
  for (size_t i = 0; i < layers_.size(); ++i) {
    setup_.timing[i].name = layers_[i]->name();
    setup_.timing[i].forward_flops = layers_[i]->forward_flops();
    setup_.timing[i].backward_flops = layers_[i]->backward_flops();
    setup_.timing[i].kernel = layers_[i]->kernel();
    setup_.timing[i].chosen_by = layers_[i]->chosen_by();
    setup_.timing[i].precision = layers_[i]->kernel().rfind("int8", 0) == 0 ? "int8" : "f32";
  }
  setup_.input = input;
  setup_.mode = mode;
  setup_.ready = true;
}

// Training keeps every activation for the backward. Inference needs only a layer's input and
// output at a time: the activations alternate between two buffers sized for the largest
// (alexnet-torchvision batch 64: 98 MB instead of 185), except the logits and the outputs
// asked for with keep_output().
void Network::allocate_activations(Mode mode, size_t biggest) {
  setup_.acts.assign(1, Tensor());  // the input: bound to the caller's tensor on each forward
  setup_.valid.assign(setup_.mds.size(), true);
  for (auto& b : setup_.act_buf) b.reset();
  const size_t last = setup_.mds.size() - 1;
  if (mode == Mode::eval)
    for (auto& b : setup_.act_buf) b = huge_buffer<char>(biggest);
  int shared = 0;
  std::vector<size_t> holder(2, 0);  // the activation each shared buffer holds
  for (size_t i = 1; i <= last; ++i) {
    const bool kept = std::find(kept_.begin(), kept_.end(), layers_[i - 1]->name()) != kept_.end();
    if (mode == Mode::train || i == last || kept) {
      setup_.acts.emplace_back(setup_.mds[i]);
      continue;
    }
    const int b = shared++ % 2;
    if (holder[b]) setup_.valid[holder[b]] = false;
    holder[b] = i;
    setup_.acts.emplace_back(setup_.mds[i], setup_.act_buf[b].get());
  }
}

void Network::keep_output(const std::string& layer) {
  if (std::find(kept_.begin(), kept_.end(), layer) != kept_.end()) return;
  kept_.push_back(layer);
  setup_.ready = false;
}

const Tensor& Network::forward(const Tensor& input, Mode mode, uint64_t rng_key, int64_t first_row) {
  const dims want = input_shape(static_cast<int>(input.shape()[0]));
  if (input.shape() != want)
    fail("input " + shape_str(input.shape()) + " does not fit " + arch_.name + ", which takes " +
         shape_str(want));
  prepare(input.desc(), mode);
  setup_.acts[0] = input;
  // A layer's random stream is keyed by its place among the computing layers, so that the
  // exchanges of hybrid parallelism leave the dropout masks as they are. All keys first: an
  // exchange reads the mask of the dropout after it.
  for (size_t i = 0, place = 0; i < layers_.size(); ++i) {
    layers_[i]->set_rng_key(hash3(rng_key, 0xD0, place), first_row);
    if (!roles_[i].exchange) ++place;
    if (roles_[i].gathers_batch && mode == Mode::train) first_row = 0;  // the global batch from here on
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    const double t0 = profiling_ ? now_ms() : 0;
    layers_[i]->forward(setup_.acts[i], setup_.acts[i + 1]);
    if (profiling_) setup_.timing[i].forward_ms += now_ms() - t0;
  }
  return setup_.acts.back();
}

void Network::backward(const std::function<void(const std::vector<Param*>&)>& after_layer) {
  if (!setup_.ready || setup_.mode != Mode::train) internal_error("backward() needs a forward in train mode");
  const size_t first = first_trainable();
  for (size_t i = layers_.size(); i-- > first;) {
    const Tensor d_out(setup_.mds[i + 1], setup_.diff_buf[(i + 1) % 2].get());
    const Tensor d_in = i > first ? Tensor(setup_.mds[i], setup_.diff_buf[i % 2].get()) : Tensor();
    const double t0 = profiling_ ? now_ms() : 0;
    layers_[i]->backward(setup_.acts[i], setup_.acts[i + 1], d_out, d_in);
    if (profiling_) setup_.timing[i].backward_ms += now_ms() - t0;
    if (after_layer && !layers_[i]->frozen() && !roles_[i].sliced()) {
      const auto ps = layers_[i]->params();
      if (!ps.empty()) after_layer(ps);
    }
  }
}

Tensor Network::output_of(const std::string& layer) const {
  for (size_t i = layers_.size(); i-- > 0;)
    if (layers_[i]->name() == layer) {
      if (setup_.acts.empty()) internal_error("output_of(" + layer + "): no forward yet");
      if (!setup_.valid[i + 1]) internal_error("output_of(" + layer + "): not kept in inference (keep_output first)");
      return to_plain(setup_.acts[i + 1]);
    }
  fail("unknown layer '" + layer + "'");
}

std::vector<std::string> Network::layer_names() const {
  std::vector<std::string> n;
  for (auto& l : layers_) n.push_back(l->name());
  return n;
}

void Network::check_layer(const std::string& layer) const {
  const std::vector<std::string> names = layer_names();
  if (std::find(names.begin(), names.end(), layer) == names.end())
    fail("layer '" + printable(layer) + "' is unknown: " + arch_.name + " has " + join_names(names));
}

size_t Network::first_trainable() const {
  for (size_t i = 0; i < layers_.size(); ++i)
    if (!layers_[i]->params().empty() && !layers_[i]->frozen()) return i;
  return layers_.size();
}

void Network::freeze(const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    auto it = std::find_if(layers_.begin(), layers_.end(), [&](auto& l) { return l->name() == n; });
    if (it == layers_.end() || (*it)->params().empty())
      fail("'" + n + "' is not a layer with weights of " + arch_.name + " (one of " + join_names(layers_with_params()) + ")");
    (*it)->set_frozen(true);
  }
  setup_.ready = false;
}

bool Network::is_frozen(const Param* p) const {
  for (auto& l : layers_)
    for (Param* q : l->params())
      if (q == p) return l->frozen();
  return false;
}

std::vector<std::string> Network::layers_with_params() const {
  std::vector<std::string> n;
  for (auto& l : layers_)
    if (!l->params().empty()) n.push_back(l->name());
  return n;
}

void Network::set_dropout(float p) {
  for (size_t i = 0; i < layers_.size(); ++i)
    if (roles_[i].dropout) static_cast<Dropout&>(*layers_[i]).set_p(p);
}

std::vector<LayerTiming> Network::timings() const { return setup_.timing; }

void Network::set_batch_rows(const std::vector<int64_t>& rows) {
  if (rows == split_->rows) return;
  split_->rows = rows;
  setup_.ready = false;
}

Network::Part Network::owned_part(const Param* p) const {
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (!roles_[i].sliced()) continue;
    for (Param* q : layers_[i]->params())
      if (q == p) {  // weights [out, in], biases [out]: a slice of the rows
        const int64_t row = p->size() / p->shape[0];
        return {roles_[i].slice_begin * row, (roles_[i].slice_end - roles_[i].slice_begin) * row, true};
      }
  }
  return {0, p->size(), false};
}

}  // namespace alexnet
