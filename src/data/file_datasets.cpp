// Image folders (root/<class>/<image>, classes in sorted order) and list files (`path label`
// per line, paths relative to the list's folder unless absolute), and the detection of kinds.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/dataset.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace fs = std::filesystem;

std::unique_ptr<Dataset> make_idx_dataset(const std::string& dir, DatasetSplit split);

namespace {

// Whether a file a user named exists; a name the system cannot even look up (too long, a loop
// of links, a folder without permission) is an error that says so, not an exception.
bool user_file_exists(const fs::path& p, const std::string& where) {
  std::error_code ec;
  const bool found = fs::exists(p, ec);
  if (ec) fail(where + ": cannot look up " + p.string() + " (" + ec.message() + ")");
  return found;
}

bool is_image_name(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  for (const char* x : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm",
                        ".pbm", ".pnm", ".jpe"})
    if (e == x) return true;
  return false;
}

class FileDataset : public Dataset {
 public:
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int32_t label(int64_t i) const override { return labels_[i]; }
  Image read(int64_t i) const override { return decode_image(files_[i]); }
  std::string name_of(int64_t i) const override { return files_[i]; }

 protected:
  std::vector<std::string> files_;
  std::vector<int32_t> labels_;
};

class FolderDataset : public FileDataset {
 public:
  explicit FolderDataset(const std::string& root) {
    path_ = root;
    kind_ = "folder";
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory() && e.path().filename().string()[0] != '.') dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    if (dirs.empty()) fail(root + ": no class folders (expected root/<class>/<image>)");
    for (size_t c = 0; c < dirs.size(); ++c) {
      class_names_.push_back(dirs[c].filename().string());
      std::vector<std::string> files;
      for (const auto& e : fs::recursive_directory_iterator(dirs[c]))
        if (e.is_regular_file() && is_image_name(e.path())) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      for (auto& f : files) {
        files_.push_back(std::move(f));
        labels_.push_back(static_cast<int32_t>(c));
      }
    }
    if (files_.empty()) fail(root + ": the class folders hold no image files");
  }
};

class ListDataset : public FileDataset {
 public:
  ListDataset(const std::string& list, const std::vector<std::string>& names) {
    path_ = list;
    kind_ = "list";
    std::ifstream in(list);
    if (!in) fail(list + ": cannot open list file");
    const fs::path base = fs::path(list).parent_path();
    std::string line;
    int lineno = 0, max_label = -1;
    while (std::getline(in, line)) {
      ++lineno;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
      const size_t sp = line.find_last_of(" \t");
      const std::string where = list + ":" + std::to_string(lineno);
      if (sp == std::string::npos) fail(where + ": expected `path label`");
      std::string file = line.substr(0, sp);
      file.erase(file.find_last_not_of(" \t") + 1);
      const std::string lab = line.substr(sp + 1);
      int32_t label;
      try {
        size_t used;
        label = std::stoi(lab, &used);
        if (used != lab.size()) throw std::invalid_argument("");
      } catch (const std::exception&) {
        fail(where + ": label '" + lab + "' is not an integer");
      }
      if (label < 0) fail(where + ": negative label " + lab);
      if (label >= kMaxClasses) fail(where + ": label " + lab + " is beyond any data set (at most " + std::to_string(kMaxClasses - 1) + ")");
      if (!names.empty() && label >= static_cast<int32_t>(names.size()))
        fail(where + ": label " + lab + " is out of range for " + std::to_string(names.size()) + " classes");
      fs::path p(file);
      if (p.is_relative()) p = base / p;
      if (!user_file_exists(p, where)) fail(where + ": missing file " + p.string());
      files_.push_back(p.string());
      labels_.push_back(label);
      max_label = std::max(max_label, label);
    }
    if (files_.empty()) fail(list + ": the list file names no images");
    class_names_ = names;
    for (int c = static_cast<int>(class_names_.size()); c <= max_label; ++c)
      class_names_.push_back(std::to_string(c));
  }
};

bool is_idx_dir(const fs::path& p) {
  for (const char* f : {"train-images-idx3-ubyte", "t10k-images-idx3-ubyte"})
    if (fs::exists(p / f) || fs::exists(p / (std::string(f) + ".gz"))) return true;
  return false;
}

class LooseFiles : public FileDataset {
 public:
  explicit LooseFiles(const std::vector<std::string>& files) {
    path_ = files.empty() ? "" : files.front();
    kind_ = "files";
    for (const auto& f : files) {
      if (!user_file_exists(f, f)) fail(f + ": no such file");
      files_.push_back(f);
      labels_.push_back(0);
    }
    if (files_.empty()) fail("no input files");
    class_names_ = {"?"};
  }
};

class Relabeled : public Dataset {
 public:
  Relabeled(std::unique_ptr<Dataset> d, std::vector<int32_t> map, std::vector<std::string> names)
      : d_(std::move(d)), map_(std::move(map)) {
    path_ = d_->path();
    kind_ = d_->kind();
    class_names_ = std::move(names);
  }
  int64_t size() const override { return d_->size(); }
  int32_t label(int64_t i) const override { return map_[d_->label(i)]; }
  Image read(int64_t i) const override { return d_->read(i); }
  std::string name_of(int64_t i) const override { return d_->name_of(i); }

 private:
  std::unique_ptr<Dataset> d_;
  std::vector<int32_t> map_;
};

// n samples of a data set: the first n, or n spread evenly over it (sample i * size / n).
class Prefix : public Dataset {
 public:
  Prefix(std::unique_ptr<Dataset> d, int64_t n, bool spread = false)
      : d_(std::move(d)), n_(n), size_(spread ? d_->size() : n) {
    path_ = d_->path();
    kind_ = d_->kind();
    class_names_ = d_->class_names();
  }
  int64_t size() const override { return n_; }
  int32_t label(int64_t i) const override { return d_->label(at(i)); }
  Image read(int64_t i) const override { return d_->read(at(i)); }
  std::string name_of(int64_t i) const override { return d_->name_of(at(i)); }
  int64_t at(int64_t i) const { return i * size_ / n_; }

 private:
  std::unique_ptr<Dataset> d_;
  int64_t n_, size_;
};

}  // namespace

std::unique_ptr<Dataset> files_dataset(const std::vector<std::string>& files) {
  return std::make_unique<LooseFiles>(files);
}

std::unique_ptr<Dataset> align_classes(std::unique_ptr<Dataset> data, const std::vector<std::string>& train) {
  if (data->kind() != "folder" || data->class_names() == train || train.empty()) return data;
  std::vector<int32_t> map;
  for (const std::string& c : data->class_names()) {
    const auto it = std::find(train.begin(), train.end(), c);
    if (it == train.end())
      fail(data->path() + ": class '" + c + "' is not one of the " + std::to_string(train.size()) +
           " classes the network knows");
    map.push_back(static_cast<int32_t>(it - train.begin()));
  }
  return std::make_unique<Relabeled>(std::move(data), std::move(map), train);
}

std::unique_ptr<Dataset> take_prefix(std::unique_ptr<Dataset> data, int64_t n) {
  if (n <= 0 || n >= data->size()) return data;
  return std::make_unique<Prefix>(std::move(data), n);
}

std::unique_ptr<Dataset> take_spread(std::unique_ptr<Dataset> data, int64_t n) {
  if (n <= 0 || n >= data->size()) return data;
  return std::make_unique<Prefix>(std::move(data), n, true);
}

std::unique_ptr<Dataset> open_dataset(const std::string& path, const std::string& kind,
                                      DatasetSplit split) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path + ": no such file or directory");
  std::string k = kind;
  if (k == "auto") {
    if (fs::is_directory(path)) k = is_idx_dir(path) ? "idx" : "folder";
    else k = "list";
  }
  if (k == "idx") {
    if (!fs::is_directory(path)) fail(path + ": an IDX data set is a directory");
    return make_idx_dataset(path, split);
  }
  if (k == "folder") {
    if (!fs::is_directory(path)) fail(path + ": an image folder data set is a directory");
    return std::make_unique<FolderDataset>(path);
  }
  if (k == "list") {
    if (fs::is_directory(path)) fail(path + ": a list data set is a file of `path label` lines");
    return std::make_unique<ListDataset>(path, std::vector<std::string>{});
  }
  fail("--data-kind: unknown kind '" + kind + "' (auto, folder, list, idx)");
}

}  // namespace alexnet
