#include "image/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <opencv2/imgproc.hpp>

namespace alexnet {

namespace {

cv::Mat to_mat(const Image& img) {
  cv::Mat m(img.height, img.width, CV_8UC3);
  std::memcpy(m.data, img.rgb.data(), img.rgb.size());
  return m;
}

Image from_mat(const cv::Mat& m) {
  Image img;
  img.height = m.rows;
  img.width = m.cols;
  img.rgb.resize(static_cast<size_t>(m.rows) * m.cols * 3);
  for (int y = 0; y < m.rows; ++y) std::memcpy(img.row(y), m.ptr<uint8_t>(y), static_cast<size_t>(m.cols) * 3);
  return img;
}

const cv::Scalar kColors[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189}, {140, 86, 75}};

std::string num(double v) {
  char b[32];
  if (std::abs(v) >= 100 || v == std::floor(v)) std::snprintf(b, sizeof b, "%.0f", v);
  else if (std::abs(v) >= 1) std::snprintf(b, sizeof b, "%.1f", v);
  else std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

}  // namespace

std::vector<double> nice_ticks(double& lo, double& hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> t;
  for (double v = lo; v <= hi + step * 1e-6; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::vector<double> log_ticks(double lo, double hi) {
  // The sparsest mantissas that give four ticks: 1-2-5 over decades, denser within one.
  const std::vector<std::vector<double>> mantissas = {{1, 2, 5}, {1, 2, 3, 5}, {1, 1.5, 2, 3, 4, 5, 6, 8}};
  std::vector<double> t;
  for (const auto& ms : mantissas) {
    t.clear();
    for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= std::ceil(std::log10(hi)); ++e)
      for (double m : ms) {
        const double v = e >= 0 ? m * std::pow(10.0, e) : m / std::pow(10.0, -e);  // 0.3, not 0.30000000000000004
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
      }
    if (t.size() >= 4) break;
  }
  return t;
}

namespace {

// The axes' data ranges (y in axis units: log10 on a log axis) and their ticks.
struct Axes {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  std::vector<double> xt, yt;
};

Axes fit_axes(const std::vector<Series>& series, bool log_y) {
  Axes a;
  auto ty = [&](double y) { return log_y ? std::log10(std::max(y, 1e-6)) : y; };
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      a.x0 = std::min(a.x0, s.x[i]), a.x1 = std::max(a.x1, s.x[i]);
      a.y0 = std::min(a.y0, ty(s.y[i])), a.y1 = std::max(a.y1, ty(s.y[i]));
    }
  if (a.x0 > a.x1) a.x0 = 0, a.x1 = 1, a.y0 = 0, a.y1 = 1;
  if (a.x1 - a.x0 < 1e-12) a.x1 = a.x0 + 1;
  if (a.y1 - a.y0 < 1e-12) a.y1 = a.y0 + 1;
  // Ticks at round values (epochs 0, 5, 10; errors 10, 20, 30 %), the axes ending on ticks; a
  // log axis ticks at 1, 2, 5 x 10^k. Data that are all >= 0 get no negative tick.
  const bool nonneg = !log_y && a.y0 >= 0;
  a.xt = nice_ticks(a.x0, a.x1, 6);
  if (log_y) {
    a.y0 = std::floor(a.y0 * 10) / 10, a.y1 = std::ceil(a.y1 * 10) / 10;
    a.yt = log_ticks(std::pow(10.0, a.y0), std::pow(10.0, a.y1));
    if (a.yt.size() < 2) {
      double lo = std::pow(10.0, a.y0), hi = std::pow(10.0, a.y1);  // (the range nice_ticks widens is not kept)
      a.yt = nice_ticks(lo, hi, 4);
      a.yt.erase(std::remove_if(a.yt.begin(), a.yt.end(), [](double v) { return v <= 0; }), a.yt.end());
    }
    for (double& v : a.yt) v = std::log10(v);
  } else {
    a.yt = nice_ticks(a.y0, a.y1, 5);
    if (nonneg && a.y0 < 0)
      a.y0 = 0, a.yt.erase(std::remove_if(a.yt.begin(), a.yt.end(), [](double v) { return v < 0; }), a.yt.end());
  }
  return a;
}

}  // namespace

Image line_chart(const std::string& title, const std::string& xlabel, const std::vector<Series>& series,
                 bool log_y, int width, int height) {
  cv::Mat m(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const int left = 60, right = 20, top = 36, bottom = 44;
  const Axes a = fit_axes(series, log_y);
  const double x0 = a.x0, x1 = a.x1, y0 = a.y0, y1 = a.y1;
  const std::vector<double>& xt = a.xt;
  const std::vector<double>& yt = a.yt;
  auto ty = [&](double y) { return log_y ? std::log10(std::max(y, 1e-6)) : y; };
  auto px = [&](double x) { return left + static_cast<int>((x - x0) / (x1 - x0) * (width - left - right)); };
  // y in axis units (log10 on a log axis), and y in data units
  auto py_raw = [&](double t) { return height - bottom - static_cast<int>((t - y0) / (y1 - y0) * (height - top - bottom)); };
  auto py = [&](double y) { return py_raw(ty(y)); };
  const cv::Scalar ink(40, 40, 40), light(225, 225, 225);
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  for (double yv : yt) {  // grid and ticks
    const int yy = py_raw(yv);
    cv::line(m, {left, yy}, {width - right, yy}, light, 1);
    cv::putText(m, num(log_y ? std::pow(10.0, yv) : yv), {4, yy + 4}, font, 0.38, ink, 1, cv::LINE_AA);
  }
  for (double xv : xt) {
    const int xx = px(xv);
    cv::line(m, {xx, top}, {xx, height - bottom}, light, 1);
    cv::putText(m, num(xv), {xx - 8, height - bottom + 16}, font, 0.38, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(m, {left, top}, {width - right, height - bottom}, ink, 1);
  cv::putText(m, title, {left, 24}, font, 0.55, ink, 1, cv::LINE_AA);
  cv::putText(m, xlabel, {width / 2 - 20, height - 8}, font, 0.42, ink, 1, cv::LINE_AA);
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const cv::Scalar c = kColors[k % 6];
    for (size_t i = 0; i + 1 < s.x.size(); ++i)
      if (std::isfinite(s.y[i]) && std::isfinite(s.y[i + 1]))
        cv::line(m, {px(s.x[i]), py(s.y[i])}, {px(s.x[i + 1]), py(s.y[i + 1])}, c, 2, cv::LINE_AA);
    if (s.x.size() == 1) cv::circle(m, {px(s.x[0]), py(s.y[0])}, 3, c, -1);
    const int ly = top + 16 + 16 * static_cast<int>(k);
    cv::line(m, {width - right - 150, ly - 4}, {width - right - 130, ly - 4}, c, 2);
    cv::putText(m, s.label, {width - right - 125, ly}, font, 0.4, ink, 1, cv::LINE_AA);
  }
  return from_mat(m);
}

Image hstack(const std::vector<Image>& panels) {
  std::vector<cv::Mat> ms;
  for (const Image& p : panels) ms.push_back(to_mat(p));
  cv::Mat out;
  cv::hconcat(ms, out);
  return from_mat(out);
}

Image grid(const std::vector<Image>& tiles, int columns, int zoom, int gap) {
  if (tiles.empty()) return {};
  const int th = tiles[0].height * zoom, tw = tiles[0].width * zoom;
  const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;
  cv::Mat m(rows * (th + gap) + gap, columns * (tw + gap) + gap, CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < tiles.size(); ++i) {
    cv::Mat t = to_mat(tiles[i]), big;
    cv::resize(t, big, cv::Size(tw, th), 0, 0, cv::INTER_NEAREST);
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    big.copyTo(m(cv::Rect(gap + c * (tw + gap), gap + r * (th + gap), tw, th)));
  }
  return from_mat(m);
}

std::vector<std::string> wrap_text(const std::string& text, int width) {
  const auto fits = [&](const std::string& s) {
    int baseline = 0;
    return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, 0.4, 1, &baseline).width <= width;
  };
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (!line.empty() && !fits(line + c)) {
      // Break after the last space or '/' of the line when there is one, else here.
      const size_t at = line.find_last_of(" /");
      const size_t keep = at == std::string::npos || at == 0 ? line.size() : at + 1;
      lines.push_back(line.substr(0, keep));
      line = line.substr(keep);
    }
    line += c;
  }
  if (!line.empty()) lines.push_back(line);
  for (auto& l : lines)
    while (!l.empty() && l.back() == ' ') l.pop_back();
  return lines;
}

Image caption(const Image& img, const std::string& text) {
  cv::Mat m = to_mat(img);
  const std::vector<std::string> lines = wrap_text(text, m.cols - 8);
  const int line_height = 16;
  cv::Mat out(m.rows + 6 + line_height * static_cast<int>(lines.size()), m.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  m.copyTo(out(cv::Rect(0, 0, m.cols, m.rows)));
  for (size_t i = 0; i < lines.size(); ++i)
    cv::putText(out, lines[i], {4, m.rows + 15 + line_height * static_cast<int>(i)}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(40, 40, 40), 1, cv::LINE_AA);
  return from_mat(out);
}

}  // namespace alexnet
