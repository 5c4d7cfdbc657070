// Writes files so that a reader (or a run killed with SIGKILL) sees either the old file or
// the complete new one, never a half-written file: temporary file, fsync, rename, fsync dir.
#pragma once
#include <string>
#include <string_view>

namespace alexnet {

void write_file_atomic(const std::string& path, std::string_view bytes);
std::string read_file(const std::string& path);  // throws UserError naming the file
// The first n bytes (fewer when the file is shorter), with read_file's errors.
std::string read_file_head(const std::string& path, size_t n);

}  // namespace alexnet
