// A training checkpoint as a resume reads it: the metadata (model info, train_state), the
// position and the lr schedule, the weights, momenta and weights' average into an alexnet-mini
// of 10 classes.
#include <vector>

#include "fuzz_target.hpp"
#include "model/arch.hpp"
#include "train/checkpoint.hpp"
#include "train/schedule.hpp"

ALEXNET_FUZZ_TARGET({
  static alexnet::Network net(alexnet::arch_by_name("alexnet-mini"), 10);
  const std::string path = alexnet::fuzz::scratch_dir() + "/checkpoint.safetensors";
  alexnet::fuzz::write_bytes(path, bytes);
  nlohmann::json state;
  if (alexnet::peek_checkpoint(path, &state).arch != "alexnet-mini") return 0;
  // The position first, so that small inputs (no tensors) reach it; the full-size tensors, as
  // the run loads them, only after (the safetensors target fuzzes their bytes).
  const alexnet::RunPosition at = alexnet::run_position(state, path);
  alexnet::ScheduleConfig sc;
  sc.kind = alexnet::ScheduleKind::cosine;
  sc.epochs = 30;
  alexnet::LrSchedule schedule(sc);
  try {
    schedule.restore(at.schedule);
  } catch (const nlohmann::json::exception&) {  // the run turns this into a UserError
  }
  static std::vector<float> average(static_cast<size_t>(net.num_params()));
  alexnet::load_checkpoint(path, net, average.data());
})
