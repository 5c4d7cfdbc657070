// Pictures people would rather see than read: line charts (training curves) and image grids
// (conv1 kernels, nearest neighbours), drawn with OpenCV's imgproc and written as PNG.
#pragma once
#include <string>
#include <vector>

#include "image/image.hpp"

namespace alexnet {

struct Series {
  std::string label;
  std::vector<double> x, y;
};

// One panel with axes, ticks, a legend; y may be log scale.
Image line_chart(const std::string& title, const std::string& xlabel, const std::vector<Series>& series,
                 bool log_y, int width = 640, int height = 400);
// Round tick values (steps of 1, 2, 2.5 or 5 x 10^k, about `target` of them) covering
// [lo, hi], which are widened to the first and last tick.
std::vector<double> nice_ticks(double& lo, double& hi, int target);
// Panels side by side.
Image hstack(const std::vector<Image>& panels);
// Tiles of equal size in a grid with a `gap`-pixel border, scaled up by `zoom` (nearest).
Image grid(const std::vector<Image>& tiles, int columns, int zoom, int gap);
// Ticks of a log axis over [lo, hi] (lo > 0): 1, 2, 5 x 10^k, or denser mantissas (1-2-3-5,
// then 1-1.5-2-3-4-5-6-8) where those give fewer than four.
std::vector<double> log_ticks(double lo, double hi);
// A caption strip under an image, the text wrapped to its width (after a space or a '/'
// where it can).
Image caption(const Image& img, const std::string& text);
// The lines `text` wraps to in the captions' font, none wider than `width` pixels.
std::vector<std::string> wrap_text(const std::string& text, int width);

}  // namespace alexnet
