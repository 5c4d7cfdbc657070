// Kernels chosen by measuring them on the machine that runs them, as FFTW's wisdom and cuDNN's
// benchmark mode do. kernels/choice.cpp names, for each decision (a layer's pass at a shape,
// mode and batch size), the kernels that can compute it, the table's choice first; here they
// are timed briefly and the fastest kept. Choices are remembered:
//   - in this process, so a network set up again (another batch size, a server's batches)
//     measures nothing twice;
//   - in a cache file per machine, $XDG_CACHE_HOME/alexnet/kernels-<id>.json (~/.cache when
//     the variable is unset), whose id covers the CPU model, the instruction set oneDNN and our
//     own loops dispatch, the thread count and this build; a file that is unreadable, from
//     another machine or build, or names a kernel no longer offered is ignored (one line under
//     --verbose) and measured again;
//   - in a training run's folder (kernels.json), which --resume forces, so a resumed run
//     computes with the same kernels, bit for bit, even on another machine of the same kind.
// ALEXNET_TUNE=off takes the table's choice everywhere (the tests run so: their results do
// not depend on a machine's measurements); ALEXNET_TUNE=again measures anew and rewrites.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace alexnet {

// How a kernel came to be chosen: what `bench --layers` and `alexnet tune` say.
enum class ChoiceSource { table, measured, cached, recorded };
const char* choice_source_name(ChoiceSource s);

struct Choice {
  std::string kernel;
  ChoiceSource source = ChoiceSource::table;
  std::vector<std::string> offered;  // every candidate's name, the table's first
};

// One kernel that can compute a decision: prepare() builds it apart from the layer's own (on
// scratch buffers) and returns one timed run of the passes it would compute.
struct Candidate {
  std::string name;
  std::function<std::function<void()>()> prepare;
};

// Where a decision is: the layer's signature (kind, geometry, input layout, mode, passes)
// and the batch size. Sizes never measured take the nearest measured size's choice when
// measuring is not allowed (a server after start-up).
struct DecisionPoint {
  std::string signature;
  int64_t batch = 0;
  std::string key() const;  // "signature @ batch"
};

// The kernel for `point`: recorded, then this process's, then the cache's, then measured; the
// table's (candidates[0]) when tuning is off or there is one candidate. A measured choice other
// than the table's must beat it by 2%, so that noise never trades the table's kernel for one as
// fast; each candidate runs in interleaved rounds and keeps its minimum (a busy moment slows
// one round, not a choice).
Choice choose_kernel(const DecisionPoint& point, const std::vector<Candidate>& candidates);

// The tuning mode of this process: ALEXNET_TUNE (on, off, again), read on each decision.
enum class TuneMode { on, off, again };
TuneMode tune_mode();
// A server measures at start-up only: afterwards sizes never measured take the nearest one's.
void allow_measuring(bool on);
// Choices to take as they are (a training run's kernels.json); replaces earlier ones.
void force_choices(const std::map<std::string, std::string>& by_key);
// Every choice this process made, by key.
std::map<std::string, Choice> choices_made();
// This machine's identity as the cache keys it, and the cache file's path ("" when neither
// XDG_CACHE_HOME nor HOME is set: nothing is remembered across processes then).
std::string machine_identity();
std::string tuning_cache_path();

// The choices as a JSON text {"machine": ..., "choices": {key: kernel}} (a run folder's
// kernels.json), and back; read_choices throws UserError naming `what` on a malformed text.
std::string choices_text(const std::map<std::string, Choice>& choices);
std::map<std::string, std::string> read_choices(const std::string& text, const std::string& what);

}  // namespace alexnet
