#include "formats/onnx_tensors.hpp"

#include <cmath>
#include <cstring>

#include "formats/float_convert.hpp"
#include "tensor/tensor.hpp"
#include "util/error.hpp"

namespace alexnet {

using onnx::NodeProto;
using onnx::TensorProto;

GraphTensors::GraphTensors(const onnx::GraphProto& g, const std::string& file) : file_(file) {
  for (const TensorProto& t : g.initializer()) tensors_[t.name()] = &t;
  for (const NodeProto& n : g.node()) {
    if (n.op_type() == "Constant" && n.output_size() == 1)
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t()) tensors_[n.output(0)] = &a.t();
    for (const auto& out : n.output()) producers_[out] = &n;
    for (const auto& in : n.input()) consumers_.emplace(in, &n);
  }
}

const NodeProto* GraphTensors::dequantize_of(const std::string& value) const {
  auto it = producers_.find(value);
  return it != producers_.end() && it->second->op_type() == "DequantizeLinear" && it->second->input_size() >= 2
             ? it->second : nullptr;
}

const TensorProto& GraphTensors::constant(const std::string& value) const {
  auto it = tensors_.find(value);
  if (it == tensors_.end()) fail(file_ + ": tensor '" + printable(value) + "' is neither an initializer nor a constant");
  if (it->second->data_location() == TensorProto::EXTERNAL)
    fail(file_ + ": tensor '" + printable(value) + "' is stored outside the file (external data); not supported");
  return *it->second;
}

bool GraphTensors::has(const std::string& value) const {
  if (tensors_.count(value)) return true;
  const NodeProto* dq = dequantize_of(value);
  return dq && tensors_.count(dq->input(0)) && tensors_.count(dq->input(1));
}

namespace {

int64_t element_count(const TensorProto& t, const std::string& what, std::vector<int64_t>& shape) {
  int64_t numel = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && numel > (int64_t{1} << 34) / d)) fail(what + ": absurd dimensions");
    shape.push_back(d);
    numel *= d;
  }
  return numel;
}

}  // namespace

NamedTensor GraphTensors::floats(const TensorProto& t, const std::string& what) const {
  NamedTensor out;
  const int64_t numel = element_count(t, what, out.shape);
  out.data.resize(static_cast<size_t>(numel));
  FloatType ft;
  switch (t.data_type()) {
    case TensorProto::FLOAT: ft = FloatType::f32; break;
    case TensorProto::FLOAT16: ft = FloatType::f16; break;
    case TensorProto::BFLOAT16: ft = FloatType::bf16; break;
    case TensorProto::DOUBLE: ft = FloatType::f64; break;
    default: fail(what + ": element type " + std::to_string(t.data_type()) + " is not floating point");
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != static_cast<size_t>(numel) * float_size(ft))
      fail(what + ": raw_data holds " + std::to_string(t.raw_data().size()) + " bytes, its shape needs " +
           std::to_string(numel * float_size(ft)));
    to_float32(t.raw_data().data(), ft, out.data.size(), out.data.data());
  } else if (ft == FloatType::f32 && t.float_data_size() == numel) {
    std::copy(t.float_data().begin(), t.float_data().end(), out.data.begin());
  } else if (ft == FloatType::f64 && t.double_data_size() == numel) {
    for (int64_t i = 0; i < numel; ++i) out.data[i] = static_cast<float>(t.double_data(static_cast<int>(i)));
  } else {
    fail(what + ": its data does not match its shape");
  }
  return out;
}

std::vector<double> GraphTensors::integers(const TensorProto& t, const std::string& what) const {
  std::vector<int64_t> shape;
  const int64_t numel = element_count(t, what, shape);
  const int type = t.data_type();
  const size_t size = type == TensorProto::INT32 ? 4 : 1;
  if (type != TensorProto::INT8 && type != TensorProto::UINT8 && type != TensorProto::INT32)
    fail(what + ": element type " + TensorProto::DataType_Name(static_cast<TensorProto::DataType>(type)) + " is not INT8, UINT8 or INT32");
  std::vector<double> out(static_cast<size_t>(numel));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != static_cast<size_t>(numel) * size)
      fail(what + ": raw_data holds " + std::to_string(t.raw_data().size()) + " bytes, its shape needs " +
           std::to_string(numel * static_cast<int64_t>(size)));
    const char* p = t.raw_data().data();
    for (int64_t i = 0; i < numel; ++i) {
      int32_t v32;
      if (type == TensorProto::INT32) std::memcpy(&v32, p + 4 * i, 4);
      out[i] = type == TensorProto::INT32 ? v32 : type == TensorProto::INT8 ? static_cast<int8_t>(p[i]) : static_cast<uint8_t>(p[i]);
    }
  } else if (t.int32_data_size() == numel) {
    std::copy(t.int32_data().begin(), t.int32_data().end(), out.begin());
  } else {
    fail(what + ": its data does not match its shape");
  }
  return out;
}

// A DequantizeLinear's scales for `channels` output channels along `axis`: one for all, or
// one each (the node's axis then being `axis`); finite and positive.
std::vector<float> GraphTensors::scales(const NodeProto& dq, const std::vector<int64_t>& shape, int axis,
                                        const std::string& what) const {
  const NamedTensor s = floats(constant(dq.input(1)), what + "'s scale");
  const int64_t rank = static_cast<int64_t>(shape.size()), channels = rank ? shape[axis] : 1;
  int64_t node_axis = 1;
  for (const auto& a : dq.attribute())
    if (a.name() == "axis") node_axis = a.i() < 0 ? a.i() + rank : a.i();
  if (rank == 1) node_axis = 0;  // a bias has one axis only
  if (s.data.size() != 1 && (s.data.size() != static_cast<size_t>(channels) || node_axis != axis))
    fail(what + ": " + std::to_string(s.data.size()) + " scales, along axis " + std::to_string(node_axis) +
         "; expected one, or one per output channel (" + std::to_string(channels) + ") along axis " + std::to_string(axis));
  for (float v : s.data)
    if (!std::isfinite(v) || !(v > 0) || v > 1e30f) fail(what + ": a scale of " + std::to_string(v) + " (must be finite and positive)");
  return s.data.size() == 1 ? std::vector<float>(channels, s.data[0]) : s.data;
}

NamedTensor GraphTensors::get(const std::string& value) const {
  const std::string what = file_ + ": tensor '" + printable(value) + "'";
  if (tensors_.count(value) || !dequantize_of(value)) return floats(constant(value), what);
  const NodeProto& dq = *dequantize_of(value);
  const TensorProto& x = constant(dq.input(0));
  NamedTensor out;
  element_count(x, what, out.shape);
  const std::vector<double> q = integers(x, what);
  const int64_t channels = out.shape.empty() ? 1 : out.shape[0];
  const std::vector<float> scale = scales(dq, out.shape, 0, what);
  std::vector<double> zero(channels, 0.0);
  if (dq.input_size() > 2 && !dq.input(2).empty()) {
    const std::vector<double> z = integers(constant(dq.input(2)), what + "'s zero point");
    if (z.size() != 1 && z.size() != static_cast<size_t>(channels)) fail(what + ": zero points do not match its scales");
    for (int64_t c = 0; c < channels; ++c) zero[c] = z.size() == 1 ? z[0] : z[c];
  }
  const size_t per = q.size() / std::max<int64_t>(channels, 1);
  out.data.resize(q.size());
  for (size_t i = 0; i < q.size(); ++i) out.data[i] = static_cast<float>((q[i] - zero[i / per]) * double(scale[i / per]));
  return out;
}

GraphWeight GraphTensors::weight(const std::string& value, int out_axis) const {
  const std::string what = file_ + ": weight '" + printable(value) + "'";
  if (tensors_.count(value) || !dequantize_of(value)) return {floats(constant(value), what), {}};
  const NodeProto& dq = *dequantize_of(value);
  const TensorProto& x = constant(dq.input(0));
  if (x.data_type() != TensorProto::INT8)
    fail(what + ": quantized as " + TensorProto::DataType_Name(static_cast<TensorProto::DataType>(x.data_type())) + "; only symmetric int8 weights are read");
  GraphWeight w;
  element_count(x, what, w.values.shape);
  if (static_cast<int64_t>(w.values.shape.size()) <= out_axis) fail(what + ": not a weight tensor (shape " + shape_str(w.values.shape) + ")");
  if (dq.input_size() > 2 && !dq.input(2).empty())
    for (double z : integers(constant(dq.input(2)), what + "'s zero point"))
      if (z != 0) fail(what + ": a zero point of " + std::to_string(int(z)) + "; only symmetric int8 weights (zero points 0) are read");
  const std::vector<double> q = integers(x, what);
  w.values.data.assign(q.begin(), q.end());
  for (double v : q)
    if (v < -127) fail(what + ": holds -128; symmetric int8 weights lie within [-127, 127]");
  w.values.dtype = "I8";
  w.scale = scales(dq, w.values.shape, out_axis, what);
  return w;
}

std::shared_ptr<LayerQuant> GraphTensors::input_quant(const std::string& value) const {
  const NodeProto* dq = dequantize_of(value);
  if (!dq || tensors_.count(dq->input(0))) return nullptr;
  const std::string what = file_ + ": the quantization of '" + printable(value) + "'";
  auto q = std::make_shared<LayerQuant>();
  const std::vector<float> scale = scales(*dq, {}, 0, what);
  q->in_scale = scale[0];
  if (dq->input_size() > 2 && !dq->input(2).empty()) {
    const TensorProto& z = constant(dq->input(2));
    const std::vector<double> zero = integers(z, what + "'s zero point");
    if (zero.size() != 1 || z.data_type() == TensorProto::INT32) fail(what + ": not one u8 or s8 zero point");
    q->in_zero = static_cast<int>(zero[0]) + (z.data_type() == TensorProto::INT8 ? 128 : 0);
  }
  return q;
}

bool GraphTensors::clamped_at_zero(const std::string& value) const {
  auto [first, last] = consumers_.equal_range(value);
  if (first == last) return false;
  for (auto it = first; it != last; ++it) {
    const NodeProto& n = *it->second;
    if (n.op_type() != "QuantizeLinear") return false;
    if (n.input_size() < 3 || n.input(2).empty()) continue;  // u8, zero point 0
    auto z = tensors_.find(n.input(2));
    if (z == tensors_.end()) return false;
    const std::vector<double> zero = integers(*z->second, file_ + ": zero point '" + printable(n.input(2)) + "'");
    const double least = z->second->data_type() == TensorProto::INT8 ? -128 : 0;
    if (zero.size() != 1 || zero[0] != least) return false;
  }
  return true;
}

}  // namespace alexnet
