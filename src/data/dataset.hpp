// Data sets (docs/spec.md §4): an image folder in the ImageNet layout (root/<class>/<image>, classes
// sorted), a list file of `path label` lines (Caffe's convention), and MNIST/Fashion-MNIST IDX
// files (gzipped or not). One path names a data set; its kind is detected from what is there.
// Everything that can be checked without decoding images (missing files, empty folders, bad
// labels) is checked when the data set is opened, before training starts.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "image/image.hpp"

namespace alexnet {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual int32_t label(int64_t i) const = 0;
  virtual Image read(int64_t i) const = 0;  // throws DecodeError
  virtual std::string name_of(int64_t i) const = 0;  // file name (or IDX index) for messages
  const std::vector<std::string>& class_names() const { return class_names_; }
  int classes() const { return static_cast<int>(class_names_.size()); }
  const std::string& path() const { return path_; }
  const std::string& kind() const { return kind_; }

 protected:
  std::string path_, kind_;
  std::vector<std::string> class_names_;
};

enum class DatasetSplit { train, test };

// More classes than any data set has (ImageNet-21k: 21,841): a list file's label beyond this is
// a mistake, and would otherwise build a network of that many outputs.
constexpr int32_t kMaxClasses = 100'000;

// kind: "auto", "folder", "list", "idx". For an IDX directory, `split` picks train-* or t10k-*.
std::unique_ptr<Dataset> open_dataset(const std::string& path, const std::string& kind,
                                      DatasetSplit split);

// Loose image files (label 0 each), for predict, features and similar.
std::unique_ptr<Dataset> files_dataset(const std::vector<std::string>& files);

// An image folder's labels are its class folders' positions among its own classes; to be
// evaluated against a network trained on other data, they must be the training classes'
// positions. For a folder data set this maps each class by name (a class the training set does
// not have is a UserError naming it); other kinds (list, IDX: numeric labels) are returned as is.
std::unique_ptr<Dataset> align_classes(std::unique_ptr<Dataset> data, const std::vector<std::string>& train_classes);

// The first n samples of a data set (quick runs, tests); n <= 0 or >= size: the data set itself.
std::unique_ptr<Dataset> take_prefix(std::unique_ptr<Dataset> data, int64_t n);
// n samples spread evenly over the data set (every size/n-th): every class of a sorted folder.
std::unique_ptr<Dataset> take_spread(std::unique_ptr<Dataset> data, int64_t n);

// Fashion-MNIST's class names, used when an IDX directory is Fashion-MNIST.
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace alexnet
