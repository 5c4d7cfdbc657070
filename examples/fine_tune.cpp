// fine_tune WEIGHTS DATA OUT [EPOCHS]: keeps conv1-conv5 of trained weights, draws fc6-fc8
// afresh for DATA's classes (a folder per class), trains, and prints the progress it is given.
#include <alexnet/alexnet.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s WEIGHTS DATA OUT [EPOCHS]\n", argv[0]);
    return 2;
  }
  alexnet::TrainingRequest request;
  request.init_from = argv[1];
  request.reinit = "fc6-fc8";
  request.data = argv[2];
  request.out = argv[3];
  request.epochs = argc > 4 ? std::stoi(argv[4]) : 10;
  request.flags = {"--freeze", "conv1-conv3"};
  alexnet::TrainingOptions options;
  options.on_progress = [](const alexnet::TrainingProgress& p) {
    if (p.kind == "epoch")
      std::printf("epoch %d: loss %.4f, validation error %.4f\n", p.epoch, p.loss, p.val_error);
    return true;  // false would stop at a checkpoint that request.resume continues
  };
  try {
    const alexnet::TrainingResult r = alexnet::train(request, options);
    std::printf("%s: %s\n", r.status == alexnet::TrainingStatus::done ? "done" : "stopped",
                r.best_weights.c_str());
    return r.status == alexnet::TrainingStatus::done ? 0 : 1;
  } catch (const alexnet::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
