// alexnet: train, evaluate and use AlexNet (docs/spec.md). Errors a user can cause are printed
// as one line naming the file, tensor or flag, with exit code 2; runtime failures exit with 1;
// a bug (a broken internal invariant) says so and exits with 3.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <oneapi/dnnl/dnnl.hpp>

#include "cli/commands.hpp"
#include "cli/version.hpp"
#include "image/image.hpp"
#include "parallel/comm.hpp"
#include "util/error.hpp"
#include "util/verbose.hpp"

namespace {
// Under mpirun an error on one rank must end them all, not leave them waiting in a collective.
// A failed command ends here at once, without the libraries' exit handlers: after running out
// of memory, OpenBLAS (which OpenCV loads) joins a thread that retries its allocation forever,
// and the process hung after printing its error. What the command wrote is already complete
// (files are written atomically); only stdio needs flushing.
int finish(int code) {
  if (code == 0) return 0;
  if (alexnet::comm().distributed()) alexnet::comm().abort(code);
  std::fflush(nullptr);
  std::_Exit(code);
}

void add_commands(CLI::App& app) {
  app.require_subcommand(1);
  // --verbose anywhere on the line (the commands pass what they do not know to the app):
  // what was decided quietly (util/verbose.hpp).
  app.fallthrough();
  app.set_help_all_flag("--help-all", "help for every command");
  app.set_version_flag("--version", alexnet::cli::version_report,
                       "the version, and the instruction sets and threads it computes with here");
  alexnet::cli::add_train(app);
  alexnet::cli::add_eval(app);
  alexnet::cli::add_predict(app);
  alexnet::cli::add_bench(app);
  alexnet::cli::add_stats(app);
  alexnet::cli::add_prepare(app);
  alexnet::cli::add_plot(app);
  alexnet::cli::add_filters(app);
  alexnet::cli::add_features(app);
  alexnet::cli::add_similar(app);
  alexnet::cli::add_serve(app);
  alexnet::cli::add_convert(app);
  alexnet::cli::add_arch(app);
  alexnet::cli::add_tune(app);
  alexnet::cli::add_quantize(app);
  app.add_flag_callback("-v,--verbose", [] { alexnet::set_verbose(true); }, "say what was decided quietly (kernel choices, caches)");
}

}  // namespace

int main(int argc, char** argv) {
  alexnet::comm();  // MPI_Init, when started by mpirun, before any thread exists
  alexnet::init_image_decoding();
  CLI::App app{"AlexNet (Krizhevsky, Sutskever, Hinton 2012) on oneDNN: train, evaluate, predict"};
  add_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (see %s --help)\n", e.what(), argv[0]);
    return finish(2);
  } catch (const alexnet::UserError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return finish(2);
  } catch (const alexnet::InternalError& e) {
    std::fprintf(stderr, "error: %s; please report it\n", e.what());
    return finish(3);
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_out_of_memory)
      std::fprintf(stderr, "error: out of memory (oneDNN: %s; try a smaller --batch)\n", e.what());
    else
      std::fprintf(stderr, "error: oneDNN: %s\n", e.what());
    return finish(1);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory (try a smaller --batch)\n");
    return finish(1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return finish(1);
  }
  return finish(alexnet::cli::exit_code);
}
