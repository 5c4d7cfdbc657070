// The command-line front: one file per command, each adding its subcommand to the app.
// Commands only parse flags and call the library.
#pragma once
#include <CLI/CLI.hpp>

namespace alexnet::cli {

void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_predict(CLI::App& app);
void add_bench(CLI::App& app);
void add_stats(CLI::App& app);
void add_prepare(CLI::App& app);
void add_plot(CLI::App& app);
void add_filters(CLI::App& app);
void add_features(CLI::App& app);
void add_similar(CLI::App& app);
void add_serve(CLI::App& app);
void add_convert(CLI::App& app);
void add_arch(CLI::App& app);
void add_tune(CLI::App& app);
void add_quantize(CLI::App& app);

// Set by a command's callback; main returns it.
extern int exit_code;

}  // namespace alexnet::cli
