#include "formats/zip_archive.hpp"

#include <zip.h>

#include "util/error.hpp"

namespace alexnet {

ZipArchive::ZipArchive(const std::string& bytes, const std::string& name) : name_(name) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (src) zip_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!zip_) {
    const std::string why = zip_error_strerror(&err);
    if (src) zip_source_free(src);
    zip_error_fini(&err);
    fail(name + ": not a readable zip archive (" + why + ")");
  }
  zip_error_fini(&err);
}

ZipArchive::~ZipArchive() {
  if (zip_) zip_discard(zip_);
}

std::vector<std::string> ZipArchive::names() const {
  std::vector<std::string> out;
  const zip_int64_t n = zip_get_num_entries(zip_, 0);
  for (zip_int64_t i = 0; i < n; ++i)
    if (const char* s = zip_get_name(zip_, static_cast<zip_uint64_t>(i), 0)) out.emplace_back(s);
  return out;
}

int64_t ZipArchive::index_of(const std::string& entry) const { return zip_name_locate(zip_, entry.c_str(), 0); }

bool ZipArchive::has(const std::string& entry) const { return index_of(entry) >= 0; }

uint64_t ZipArchive::size_of(const std::string& entry) const {
  const int64_t i = index_of(entry);
  zip_stat_t st;
  if (i < 0 || zip_stat_index(zip_, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    fail(name_ + ": no entry '" + printable(entry) + "' in the archive");
  return st.size;
}

std::string ZipArchive::read(const std::string& entry, uint64_t max_bytes) const {
  const uint64_t size = size_of(entry);
  if (size > max_bytes)
    fail(name_ + ": entry '" + printable(entry) + "' is " + std::to_string(size) + " bytes, more than the " +
         std::to_string(max_bytes) + " expected");
  zip_file_t* f = zip_fopen_index(zip_, static_cast<zip_uint64_t>(index_of(entry)), 0);
  if (!f) fail(name_ + ": entry '" + printable(entry) + "' cannot be opened (" + zip_strerror(zip_) + ")");
  std::string out(size, '\0');
  uint64_t got = 0;
  while (got < size) {
    const zip_int64_t n = zip_fread(f, out.data() + got, size - got);
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  // One byte more must not come: the entry must inflate to exactly its stated size.
  char extra;
  const bool longer = got == size && zip_fread(f, &extra, 1) > 0;
  zip_fclose(f);
  if (got != size || longer)
    fail(name_ + ": entry '" + printable(entry) + "' does not inflate to its stated " + std::to_string(size) +
         " bytes (corrupt or truncated archive)");
  return out;
}

}  // namespace alexnet
