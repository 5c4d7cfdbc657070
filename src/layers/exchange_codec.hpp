// What of a hybrid exchange's activations has to travel. Much of it need not:
//
//  - units the next layer's dropout zeroes: its mask is a pure function of the step's key and
//    the unit's place in the global batch (layers/dropout.hpp), so every rank knows them;
//  - forward, units that are zero after a ReLU: the sender marks them in a bitmask of one bit
//    per kept unit and sends only the rest;
//  - backward, the gradients of units that were zero (when the activation is a ReLU's output,
//    through a max pool or not): the ReLU's backward zeroes them (dL/dx = dL/dy only where
//    y > 0), and every rank knows which they are from the gathered activation.
//
// So the exchanges stay exact (the same results as sending everything) and move about a
// quarter of the bytes with dropout 0.5 and half the units zero.
//
// The gathered activation is [rows, width]; each rank's part of it is a block, a sub-matrix,
// laid out in the rank's own tensor row by row.
#pragma once
#include <cstdint>
#include <vector>

namespace alexnet {

class Dropout;

struct Block {
  int64_t row = 0, rows = 0, col = 0, cols = 0;
  int64_t size() const { return rows * cols; }
};

// How one exchanged activation [rows, width] travels: which units the next layer keeps, and
// (once the forward has seen them) which gradients matter. Each block travels row by row, so
// that its rows are packed and unpacked in parallel.
class ExchangeCodec {
 public:
  // next: the dropout that takes the gathered activation, or null; relu_output: zeros in the
  // activation stop their gradients.
  void setup(int64_t rows, int64_t width, const Dropout* next, bool relu_output);

  // Forward, first: which units the next dropout keeps this step.
  void start_forward();
  // A block's message: for each row, its kept units' nonzero bits (32 to a float's bits, a row
  // starting a new word), then the nonzero values, row by row.
  std::vector<float> pack_values(const float* block_values, const Block& b) const;
  // Writes the block's units into the gathered activation (zero where dropped or zero), and
  // notes which of their gradients will travel back.
  void unpack_values(const float* message, int64_t message_size, const Block& b, float* gathered);

  // Backward, after unpack_values of every block: the block's gradients that travel, in order.
  int64_t pack_gradients(const float* d_gathered, const Block& b, float* out) const;
  void unpack_gradients(const float* packed, const Block& b, float* block_d) const;

 private:
  // Per row of block b: how many of its units `marks` flags, and the running total before it.
  std::vector<int64_t> row_offsets(const std::vector<uint8_t>& marks, const Block& b) const;

  int64_t width_ = 0;
  const Dropout* next_ = nullptr;
  bool relu_output_ = false;
  std::vector<uint8_t> kept_;          // per unit of the gathered activation, this step
  std::vector<uint8_t> travels_back_;  // per unit: its gradient matters
};

}  // namespace alexnet
