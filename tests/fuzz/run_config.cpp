// A run's config.json as `alexnet train --resume RUN` reads and checks it.
#include "fuzz_target.hpp"
#include "train/plan.hpp"

ALEXNET_FUZZ_TARGET({
  const std::string run = alexnet::fuzz::scratch_dir();
  alexnet::fuzz::write_bytes(run + "/checkpoint.safetensors", "");  // resume asks that one exists
  alexnet::fuzz::write_bytes(run + "/config.json", bytes);
  alexnet::TrainRequest q;
  q.resume = run;
  alexnet::plan_training(std::move(q));
})
