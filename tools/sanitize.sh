#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: builds the library, the
# command and the tests in build-asan (tools/asan_build.sh: clang-16, the same build the fuzz
# targets use) and runs ctest there. An out-of-bounds access, a use after free, a leak or
# undefined behaviour stops the test it happens in, which then fails.
#   tools/sanitize.sh                 every test with the native kernels (the Python module's
#                                     tests are left out: the interpreter is not sanitized; the
#                                     release suite runs the other instruction sets)
#   tools/sanitize.sh -R Golden       what ctest's own arguments select as well
set -euo pipefail
cd "$(dirname "$0")/.."
B=build-asan
tools/asan_build.sh
# Leaks: what libraries keep until exit by design (Open MPI's and OpenCV's globals) is listed in
# tests/sanitizer/lsan.supp; everything of ours must be freed.
export ASAN_OPTIONS=abort_on_error=0:detect_stack_use_after_return=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0
ctest --test-dir $B --output-on-failure -j2 -L native -E '^(PythonModule|Mpi\.)' "$@"
# Open MPI's ranks leak from plugins it has already unloaded (their frames have no names to
# suppress by): the MPI tests are checked for memory errors and undefined behaviour, not leaks.
ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 ctest --test-dir $B --output-on-failure -j2 -L native -R '^Mpi\.' "$@"
