#include "data/stats.hpp"

#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <thread>

#include "formats/caffe_model.hpp"
#include "formats/safetensors.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

// Sums over images: per pixel and channel (for the mean image), per channel, and the channels'
// products (for the covariance).
struct Sums {
  std::vector<double> pixel;
  double s[3] = {0, 0, 0}, ss[3][3] = {{0}};
  int64_t images = 0;

  void add(const Image& img) {
    for (size_t p = 0; p < pixel.size() / 3; ++p) {
      double v[3];
      for (int c = 0; c < 3; ++c) {
        v[c] = img.rgb[3 * p + c];
        pixel[3 * p + c] += v[c];
        s[c] += v[c];
      }
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) ss[i][j] += v[i] * v[j];
    }
    ++images;
  }
  void add(const Sums& o) {
    for (size_t i = 0; i < pixel.size(); ++i) pixel[i] += o.pixel[i];
    for (int i = 0; i < 3; ++i) {
      s[i] += o.s[i];
      for (int j = 0; j < 3; ++j) ss[i][j] += o.ss[i][j];
    }
    images += o.images;
  }
};

// Every `take`-th image of the set, spread over it, in `workers` threads; images that do not
// decode are left out.
Sums sum_images(const Dataset& data, int resize, int64_t take, int workers) {
  const int64_t n = data.size();
  const size_t values = static_cast<size_t>(resize) * resize * 3;
  std::vector<Sums> part(std::max(1, workers));
  std::vector<std::thread> threads;
  for (int w = 0; w < static_cast<int>(part.size()); ++w)
    threads.emplace_back([&, w] {
      part[w].pixel.assign(values, 0.0);
      for (int64_t t = w; t < take; t += static_cast<int64_t>(part.size())) {
        try {
          part[w].add(resize_shorter_center(data.read(t * n / take), resize));
        } catch (const DecodeError&) {
        }
      }
    });
  for (auto& t : threads) t.join();
  Sums total;
  total.pixel.assign(values, 0.0);
  for (const Sums& p : part) total.add(p);
  return total;
}

}  // namespace

DataStats compute_stats(const Dataset& data, int resize, int64_t max_images, int workers) {
  const int64_t take = max_images > 0 ? std::min(max_images, data.size()) : data.size();
  const Sums total = sum_images(data, resize, take, workers);
  if (total.images == 0) fail(data.path() + ": no image decoded, cannot compute statistics");
  DataStats st;
  st.resize = resize;
  st.images = total.images;
  st.mean_image.resize(total.pixel.size());
  for (size_t i = 0; i < total.pixel.size(); ++i) st.mean_image[i] = static_cast<float>(total.pixel[i] / total.images);
  const double count = static_cast<double>(total.images) * resize * resize;
  double mean[3];
  for (int c = 0; c < 3; ++c) mean[c] = total.s[c] / count;
  cv::Mat cov(3, 3, CV_64F);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      cov.at<double>(i, j) = (total.ss[i][j] / count - mean[i] * mean[j]) / (255.0 * 255.0);
  for (int c = 0; c < 3; ++c) {
    st.norm.mean[c] = static_cast<float>(mean[c]);
    st.norm.std[c] = static_cast<float>(std::sqrt(std::max(cov.at<double>(c, c), 1e-12)) * 255.0);
  }
  cv::Mat values, vectors;  // eigenvalues descending, eigenvectors as rows
  cv::eigen(cov, values, vectors);
  for (int i = 0; i < 3; ++i) {
    st.pca.values[i] = static_cast<float>(std::max(0.0, values.at<double>(i)));
    for (int c = 0; c < 3; ++c) st.pca.vectors[i][c] = static_cast<float>(vectors.at<double>(i, c));
  }
  return st;
}

void save_stats(const std::string& path, const DataStats& s) {
  SafetensorsFile f;
  f.tensors["mean_image"] = {{s.resize, s.resize, 3}, s.mean_image};
  f.metadata["resize"] = std::to_string(s.resize);
  f.metadata["images"] = std::to_string(s.images);
  f.metadata["mean"] = nlohmann::json(s.norm.mean).dump();
  f.metadata["std"] = nlohmann::json(s.norm.std).dump();
  f.metadata["pca_values"] = nlohmann::json(s.pca.values).dump();
  f.metadata["pca_vectors"] = nlohmann::json(s.pca.vectors).dump();
  write_safetensors(path, f);
}

// Caffe's mean image alone (imagenet_mean.binaryproto): the colour statistics stay ImageNet's.
DataStats stats_from_caffe_mean(const std::string& path) {
  const MeanImage m = read_caffe_mean(path);
  DataStats s;
  s.resize = m.size;
  s.mean_image = m.rgb;
  const size_t px = m.rgb.size() / 3;
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (size_t p = 0; p < px; ++p) sum += m.rgb[p * 3 + c];
    s.norm.mean[c] = static_cast<float>(sum / static_cast<double>(px));
  }
  return s;
}

DataStats load_stats(const std::string& path) {
  if (path.ends_with(".binaryproto")) return stats_from_caffe_mean(path);
  SafetensorsFile f = read_safetensors(path);
  DataStats s;
  try {
    s.resize = std::stoi(f.metadata.at("resize"));
    s.images = std::stoll(f.metadata.at("images"));
    s.norm.mean = nlohmann::json::parse(f.metadata.at("mean")).get<std::array<float, 3>>();
    s.norm.std = nlohmann::json::parse(f.metadata.at("std")).get<std::array<float, 3>>();
    s.pca.values = nlohmann::json::parse(f.metadata.at("pca_values")).get<std::array<float, 3>>();
    s.pca.vectors = nlohmann::json::parse(f.metadata.at("pca_vectors")).get<std::array<std::array<float, 3>, 3>>();
  } catch (const std::exception&) {
    fail(path + ": not a statistics file of `alexnet stats` (metadata missing or malformed)");
  }
  auto it = f.tensors.find("mean_image");
  if (it == f.tensors.end() || it->second.shape != std::vector<int64_t>{s.resize, s.resize, 3})
    fail(path + ": tensor 'mean_image' is missing or not [S, S, 3]");
  s.mean_image = it->second.data;
  return s;
}

}  // namespace alexnet
