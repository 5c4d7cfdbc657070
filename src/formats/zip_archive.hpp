// Read-only access to a zip archive held in memory (PyTorch's .pth files are zips), through
// libzip. Entries are read whole, each bounded by a size the caller states, so a zip bomb (an
// entry that inflates far past what is wanted) fails with a UserError instead of filling memory.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

typedef struct zip zip_t;

namespace alexnet {

class ZipArchive {
 public:
  ZipArchive(const std::string& bytes, const std::string& name);  // the bytes must outlive it
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  std::vector<std::string> names() const;
  bool has(const std::string& entry) const;
  uint64_t size_of(const std::string& entry) const;  // uncompressed, as the directory says
  // The whole entry; a UserError if it is absent, larger than max_bytes, or does not inflate to
  // the size the directory claims.
  std::string read(const std::string& entry, uint64_t max_bytes) const;

 private:
  int64_t index_of(const std::string& entry) const;
  zip_t* zip_ = nullptr;
  std::string name_;
};

}  // namespace alexnet
