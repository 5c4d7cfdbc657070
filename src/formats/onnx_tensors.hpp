// The values an ONNX graph holds as constants (initializers, Constant nodes) and those it
// computes from them with DequantizeLinear: what formats/onnx_import.hpp reads a layer's
// parameters from, and a QDQ graph's quantization (kernels/quant.hpp) of a layer's input.
// Every tensor read is checked (type, size, finite positive scales); a UserError names the
// file and the tensor.
#pragma once
#include <onnx/onnx_pb.h>

#include <map>
#include <memory>
#include <string>

#include "formats/safetensors.hpp"
#include "kernels/quant.hpp"

namespace alexnet {

// A layer's weight: int8 values q with one scale per output channel (the weight is
// scale[o] * q), or f32 values when scale is empty.
struct GraphWeight {
  NamedTensor values;
  std::vector<float> scale;
};

class GraphTensors {
 public:
  GraphTensors(const onnx::GraphProto& g, const std::string& file);
  // Whether `value` is a float constant, or a DequantizeLinear of an integer constant.
  bool has(const std::string& value) const;
  // Its values as f32 (dequantized where they come from a DequantizeLinear).
  NamedTensor get(const std::string& value) const;
  // A weight whose output channels lie along out_axis: int8 through a DequantizeLinear
  // (symmetric: zero points 0, one scale or one per output channel), or a float constant.
  GraphWeight weight(const std::string& value, int out_axis) const;
  // The quantization of a layer's input: the DequantizeLinear that makes it (u8, or s8 taken
  // as u8 with its zero point moved by 128), with w_scale left empty; null for an f32 input.
  std::shared_ptr<LayerQuant> input_quant(const std::string& value) const;
  // Whether every node reading `value` is a QuantizeLinear whose zero point is its type's
  // least value: it clamps at zero as a ReLU would (quantizers drop such ReLUs).
  bool clamped_at_zero(const std::string& value) const;

 private:
  const onnx::NodeProto* dequantize_of(const std::string& value) const;
  const onnx::TensorProto& constant(const std::string& value) const;
  NamedTensor floats(const onnx::TensorProto& t, const std::string& what) const;
  std::vector<double> integers(const onnx::TensorProto& t, const std::string& what) const;
  std::vector<float> scales(const onnx::NodeProto& dq, const std::vector<int64_t>& shape, int axis,
                            const std::string& what) const;

  std::map<std::string, const onnx::TensorProto*> tensors_;
  std::map<std::string, const onnx::NodeProto*> producers_;
  std::multimap<std::string, const onnx::NodeProto*> consumers_;
  std::string file_;
};

}  // namespace alexnet
