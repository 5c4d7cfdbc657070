// docs/spec.md §2's transforms from an S x S image (already brought to the shorter side S and centre
// cropped) to the network's float input C x C:
//   training: a random C x C crop, a horizontal flip with probability 1/2, fancy-PCA colour
//             noise (sum_i alpha_i lambda_i p_i, alpha_i ~ N(0, 0.1^2) per image and use);
//   test:     the centre crop, or the 10 crops (4 corners + centre, and their mirrors);
// then mean subtraction (per-pixel mean image, the paper) or per-channel normalisation.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "image/image.hpp"
#include "model/arch.hpp"
#include "util/rng.hpp"

namespace alexnet {

struct Crop {
  int y = 0, x = 0;
  bool flip = false;
  bool operator==(const Crop&) const = default;
};

// RGB covariance of the training pixels on the 0-1 scale: eigenvalues and eigenvectors
// (vectors[i] is p_i). Defaults: ImageNet's (docs/spec.md §2).
struct ColorPca {
  std::array<float, 3> values{0.2175f, 0.0188f, 0.0045f};
  std::array<std::array<float, 3>, 3> vectors{{{-0.5675f, -0.5808f, -0.5836f},
                                               {0.7192f, -0.0045f, -0.6948f},
                                               {0.4009f, -0.8140f, 0.4203f}}};
};

struct TransformConfig {
  int resize = 256;  // S
  int crop = 227;    // C
  bool flip = true;
  float pca_std = 0.1f;  // 0 turns the colour noise off
  ColorPca pca;
  Normalization norm;           // per channel of the network's input, 0-255 scale
  bool bgr = false;             // the network takes B, G, R (Caffe): channels swapped on writing
  std::vector<float> mean_image;  // optional: S x S x 3 (HWC, 0-255); replaces norm.mean
};

// The test-time transform: docs/spec.md §2's sizes for the architecture, the given normalisation (the
// weights') or else the architecture's default.
TransformConfig test_transform(const ArchSpec& arch, const std::optional<Normalization>& norm,
                               const std::vector<float>& mean_image);

Crop random_crop(int s, int c, bool flip, Rng& rng);
Crop center_crop(int s, int c);
std::array<Crop, 10> ten_crops(int s, int c);

// The RGB offset (0-255 scale) that fancy PCA adds to every pixel of one image.
std::array<float, 3> pca_offset(const ColorPca& pca, float std, Rng& rng);

// Writes the crop of `img` (S x S) as plain CHW floats into `out` (3 x C x C).
void crop_to_tensor(const Image& img, const Crop& crop, const TransformConfig& cfg,
                    const std::array<float, 3>& offset, float* out);

}  // namespace alexnet
