// A copy of a data set brought to the shorter side S and centre-cropped, as the paper did before
// training, so that training reads small files: DST/<class>/<image>.jpg (IDX sets: lossless
// .png at their own size unless S is given). Parallel, resumable (files already in DST are
// kept), atomic per file; files that do not decode are skipped and listed in DST/failed.txt.
#pragma once
#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace alexnet {

struct PrepareResult {
  int64_t written = 0, kept = 0, skipped = 0;
};

// size 0: the images' own size.
PrepareResult prepare_dataset(const Dataset& data, const std::string& dst, int size, int jpeg_quality, int workers);

}  // namespace alexnet
