// How `alexnet eval` reports an evaluation: one JSON object, or a page of text with the
// per-class accuracy and the confusion matrix when there are at most 20 classes.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/evaluate.hpp"

namespace alexnet {

struct EvalReport {
  std::string weights, data;
  bool ten_crop = false;
  std::vector<std::string> class_names;  // may be empty: classes go by index
};

constexpr int kMaxClassesReported = 20;  // per-class lines and the confusion matrix up to this

nlohmann::json eval_json(const EvalResult& r, const EvalReport& about);
void print_eval_report(const EvalResult& r, const EvalReport& about);

}  // namespace alexnet
