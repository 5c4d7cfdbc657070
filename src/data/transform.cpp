#include "data/transform.hpp"

namespace alexnet {

TransformConfig test_transform(const ArchSpec& arch, const std::optional<Normalization>& norm,
                               const std::vector<float>& mean_image) {
  TransformConfig tf;
  tf.resize = arch.resize;
  tf.crop = arch.crop;
  tf.flip = false;
  tf.pca_std = 0;
  tf.norm = norm ? *norm : arch.default_norm;
  tf.mean_image = mean_image;
  tf.bgr = arch.bgr;
  return tf;
}

Crop random_crop(int s, int c, bool flip, Rng& rng) {
  Crop k;
  k.y = static_cast<int>(rng.below(static_cast<uint32_t>(s - c + 1)));
  k.x = static_cast<int>(rng.below(static_cast<uint32_t>(s - c + 1)));
  k.flip = flip && rng.uniform() < 0.5;
  return k;
}

Crop center_crop(int s, int c) { return {(s - c) / 2, (s - c) / 2, false}; }

std::array<Crop, 10> ten_crops(int s, int c) {
  const int e = s - c, m = (s - c) / 2;
  std::array<Crop, 10> k{};
  const int ys[5] = {0, 0, e, e, m}, xs[5] = {0, e, 0, e, m};
  for (int i = 0; i < 5; ++i) {
    k[i] = {ys[i], xs[i], false};
    k[i + 5] = {ys[i], xs[i], true};
  }
  return k;
}

std::array<float, 3> pca_offset(const ColorPca& pca, float std, Rng& rng) {
  std::array<float, 3> off{0, 0, 0};
  if (std <= 0) return off;
  for (int i = 0; i < 3; ++i) {
    const float a = static_cast<float>(rng.normal()) * std * pca.values[i];
    for (int ch = 0; ch < 3; ++ch) off[ch] += a * pca.vectors[i][ch] * 255.f;
  }
  return off;
}

void crop_to_tensor(const Image& img, const Crop& k, const TransformConfig& cfg,
                    const std::array<float, 3>& offset, float* out) {
  const int c = cfg.crop, s = img.width;
  const bool per_pixel = !cfg.mean_image.empty();
  // Output channel ch reads source (RGB) channel src[ch]; norm is in output order, the colour
  // offset and the mean image in the image's RGB order.
  const int src[3] = {cfg.bgr ? 2 : 0, 1, cfg.bgr ? 0 : 2};
  float inv_std[3], shift[3];
  for (int ch = 0; ch < 3; ++ch) {
    inv_std[ch] = 1.f / cfg.norm.std[ch];
    shift[ch] = offset[src[ch]] - (per_pixel ? 0.f : cfg.norm.mean[ch]);
  }
  for (int y = 0; y < c; ++y) {
    const uint8_t* row = img.row(k.y + y);
    const float* mrow = per_pixel ? cfg.mean_image.data() + static_cast<size_t>(k.y + y) * s * 3 : nullptr;
    for (int x = 0; x < c; ++x) {
      // A mirrored crop reads its columns right to left. The mean image is subtracted at the
      // source pixel, as the paper subtracts it from the whole image before cropping.
      const int sx = k.x + (k.flip ? c - 1 - x : x);
      for (int ch = 0; ch < 3; ++ch) {
        float v = row[sx * 3 + src[ch]] + shift[ch];
        if (per_pixel) v -= mrow[sx * 3 + src[ch]];
        out[(static_cast<size_t>(ch) * c + y) * c + x] = v * inv_std[ch];
      }
    }
  }
}

}  // namespace alexnet
