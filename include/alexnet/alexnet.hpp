// The alexnet library's C++ API: load weights of any format, classify images or tensors, read a
// layer's features, train. Everything here is stable within a major version; what is not under
// include/alexnet/ is private to the library. docs/cpp.md shows it at work.
//
//   #include <alexnet/alexnet.hpp>
//   alexnet::Model model = alexnet::Model::load("best.safetensors");
//   for (const alexnet::Prediction& c : model.classify("shoe.png", 3)) ...
//
// Errors a caller can cause (a missing or broken file, a wrong shape, a bad flag) are thrown as
// alexnet::Error carrying the same one-line message the command prints.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "alexnet/version.hpp"

// The library exports these names alone; everything else in it is hidden.
#define ALEXNET_API __attribute__((visibility("default")))

namespace alexnet {

// The one-line message of a file, tensor or flag the library refused, naming it.
class ALEXNET_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "alexnet 1.0.0", then oneDNN's version and instruction set, the level of the library's own
// kernels and the threads it computes with on this machine (what `alexnet --version` prints).
ALEXNET_API std::string version_report();

struct Prediction {
  int index = 0;          // the class's position in the network's output
  std::string name;       // its name when the weights (or set_class_names) carry names, else the index
  float probability = 0;  // softmax, averaged over the views when ten_crop
};

// A row-major array of floats and its shape, e.g. [N, 4096] for fc7's features.
struct Array {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct LoadOptions {
  std::string arch;  // only for files that do not say (a bare .pth state dict): "alexnet-torchvision", ...
  int threads = 0;   // compute threads; <= 0: every core, or as many as a CPU quota allows
};

// A network with its weights, for inference. Weights are read from safetensors, PyTorch
// .pth/.pt state dicts, ONNX and Caffe .caffemodel files; the architecture, class names and
// input normalisation come from the file. A Model is not to be used from two threads at once.
class ALEXNET_API Model {
 public:
  static Model load(const std::string& weights, const LoadOptions& options = {});
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  std::string arch() const;  // "alexnet", "alexnet-torchvision", "alexnet-caffe", "alexnet-mini"
  int num_classes() const;
  int input_size() const;  // C of the network's input [3, C, C]: 227, 224 or 28
  std::vector<std::string> class_names() const;  // empty when the weights carry none
  void set_class_names(const std::vector<std::string>& names);  // one per class, else an Error
  std::vector<std::string> layer_names() const;  // "conv1", ..., "fc8": what features() takes

  // The k most probable classes of an image file (PNG, JPEG, ...), through the test-time
  // pipeline (shorter side to S, centre crop; with ten_crop the paper's ten crops averaged).
  std::vector<Prediction> classify(const std::string& image_path, int topk = 5, bool ten_crop = false);
  // Logits [N, classes] of inputs already normalised: x holds N x 3 x C x C floats.
  Array logits(const std::vector<float>& x);
  // The outputs of one layer (after its ReLU, as torchvision's features), for image files
  // through the centre crop, or for inputs as in logits().
  Array features(const std::vector<std::string>& image_paths, const std::string& layer);
  Array features(const std::vector<float>& x, const std::string& layer);

  // The weights as safetensors (with the class names and normalisation), or as ONNX when the
  // path ends in .onnx; written atomically.
  void save(const std::string& path) const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A training run, as `alexnet train` takes it: the fields that are set become its flags, and
// `flags` passes any other flag of the command as it is written ({"--freeze", "conv1-conv3"}).
struct TrainingRequest {
  std::string data;            // a folder per class, a list file, or IDX files
  std::string out;             // the run folder: configuration, checkpoint, best weights, metrics
  std::string arch;            // default: alexnet-mini
  std::string val;             // validation data; default: 1/12 of `data` held out
  int epochs = 0;              // default: the recipe's
  int batch = 0;               // default: 128
  double lr = 0;               // default: the recipe's
  std::string time_budget;     // e.g. "10m"
  std::string init_from;       // weights to start from (fine-tuning); with `reinit`
  std::string reinit;          // layers drawn afresh, e.g. "fc8" or "conv4-fc8"
  std::string resume;          // a run folder to continue instead (data, out... then come from it)
  int threads = 0;
  std::vector<std::string> flags;
};

// What a running training reports: each step every `TrainingOptions::step_every` steps, and each
// epoch's end. `json` is the record metrics.jsonl receives, with every field.
struct TrainingProgress {
  std::string kind;  // "step" or "epoch"
  int epoch = 0;
  int64_t step = 0;
  double loss = 0;
  double images_per_second = 0;  // steps only
  double val_error = -1;         // epochs only, when there is validation data
  std::string json;
};

struct TrainingOptions {
  int step_every = 0;  // > 0: a step's progress every this many steps
  // Called on each progress record; returning false stops the run at a checkpoint that
  // TrainingRequest::resume continues.
  std::function<bool(const TrainingProgress&)> on_progress;
};

enum class TrainingStatus { done, diverged, stopped };

struct TrainingResult {
  TrainingStatus status = TrainingStatus::done;
  std::string out;           // the run folder
  std::string best_weights;  // out + "/best.safetensors"
};

ALEXNET_API TrainingResult train(const TrainingRequest& request, const TrainingOptions& options = {});

}  // namespace alexnet
