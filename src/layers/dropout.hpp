// Inverted dropout: in training each unit is kept with probability 1-p and scaled by 1/(1-p)
// (the same network as the paper's "multiply the outputs by 0.5 at test time"); in evaluation
// it passes its input through. oneDNN 2.6 has no dropout primitive, so this is the one
// elementwise loop of the library. The mask is a pure function of (rng key, unit index), so it
// does not depend on threads. Forward keeps the mask for the backward.
#pragma once
#include <cstdint>
#include <vector>

#include "layers/layer.hpp"
#include "util/rng.hpp"

namespace alexnet {

class Dropout : public Layer {
 public:
  Dropout(std::string name, float p) : Layer(std::move(name)), p_(p) {}
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;
  void set_rng_key(uint64_t key, int64_t first_row) override { key_ = mix64(key), first_row_ = first_row; }
  const std::vector<float>& mask() const { return mask_; }  // for tests
  void set_p(float p) { p_ = p; }

  // Whether this forward zeroes units at all, and whether it keeps `unit` of its input: a pure
  // function of the key, so a hybrid exchange before it can skip what it will zero.
  bool drops() const { return mode_ == Mode::train && p_ > 0.f; }
  bool keeps(int64_t unit) const {
    const uint64_t r = mix64(key_ ^ static_cast<uint64_t>(unit + first_row_ * row_units_)) >> 40;
    return r >= threshold();  // a 24-bit uniform draw
  }

 private:
  uint32_t threshold() const { return static_cast<uint32_t>(p_ * 16777216.0); }

  float p_;
  Mode mode_ = Mode::eval;
  uint64_t key_ = 0;  // mixed once
  int64_t first_row_ = 0, row_units_ = 0;
  std::vector<float> mask_;  // 0 or 1/(1-p) per unit
};

}  // namespace alexnet
