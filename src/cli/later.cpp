#include "cli/commands.hpp"
namespace alexnet::cli {
void add_prepare(CLI::App&) {}
void add_plot(CLI::App&) {}
void add_filters(CLI::App&) {}
void add_features(CLI::App&) {}
void add_similar(CLI::App&) {}
}  // namespace alexnet::cli
