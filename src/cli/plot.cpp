// alexnet plot RUN_DIR: the training curves as a PNG (loss; top-1 and top-5 error, train and
// validation, per epoch), from the run's metrics.jsonl.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "image/plot.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_plot(CLI::App& app) {
  auto* c = app.add_subcommand("plot", "draw a run's training curves as a PNG");
  auto run = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  c->add_option("run_dir", *run, "run directory (with metrics.jsonl)")->required();
  c->add_option("--out", *out, "PNG file (default: RUN_DIR/curves.png)");
  c->callback([run, out] {
    const std::string log = *run + "/metrics.jsonl";
    std::ifstream in(log);
    if (!in) fail(log + ": cannot open (is " + *run + " a run directory?)");
    Series tl{"train loss", {}, {}}, vl{"val loss", {}, {}};
    Series t1{"train top-1", {}, {}}, v1{"val top-1", {}, {}}, v5{"val top-5", {}, {}};
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.empty()) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        fail(log + ":" + std::to_string(lineno) + ": not a JSON line");
      }
      if (j.value("type", "") != "epoch") continue;
      const double e = j.value("epoch", 0);
      tl.x.push_back(e), tl.y.push_back(j.value("train_loss", NAN));
      t1.x.push_back(e), t1.y.push_back(100 * j.value("train_top1_error", NAN));
      if (j.contains("val_loss")) {
        vl.x.push_back(e), vl.y.push_back(j["val_loss"].get<double>());
        v1.x.push_back(e), v1.y.push_back(100 * j["val_top1_error"].get<double>());
        v5.x.push_back(e), v5.y.push_back(100 * j["val_top5_error"].get<double>());
      }
    }
    if (tl.x.empty()) fail(log + ": no finished epoch yet");
    std::vector<Series> loss{tl}, err{t1};
    if (!vl.x.empty()) loss.push_back(vl), err.push_back(v1), err.push_back(v5);
    const Image img = hstack({line_chart("loss", "epoch", loss, true),
                              line_chart("error (%)", "epoch", err, false)});
    const std::string path = out->empty() ? *run + "/curves.png" : *out;
    write_png(path, img);
    std::printf("%s\n", path.c_str());
  });
}

}  // namespace alexnet::cli
