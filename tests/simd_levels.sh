#!/usr/bin/env bash
# Shows from the binary itself that it carries every instruction-set level of the project's own
# kernels, whatever machine built it, and that nothing else in it needs more than x86-64:
#  - functions of simd_avx512:: use 512-bit registers (zmm), those of simd_avx2:: 256-bit ones
#    (ymm) and none wider, and simd_generic:: exists;
#  - no other function of ours uses a VEX or EVEX instruction, so a CPU without AVX reaches
#    none of them (the kernels it cannot run are never called: kernels/simd_level.cpp).
#   tests/simd_levels.sh BINARY...
set -euo pipefail
for bin in "$@"; do
  objdump -d -C --no-show-raw-insn "$bin" | awk -v bin="$bin" '
    /^[0-9a-f]+ <.*>:$/ { fn = $0; if (fn ~ /alexnet::simd_generic::/) generic = 1; next }
    /%zmm|%xmm(1[6-9]|2[0-9]|3[01])|%k[1-7]/ { wide[fn] = 1 }
    /%ymm/ { ymm[fn] = 1 }
    /\tv[a-z0-9]+ / { vex[fn] = 1 }
    END {
      for (f in wide) { if (f ~ /simd_avx512::/) zmm512++; else { print bin ": AVX-512 outside simd_avx512: " f; bad++ } }
      for (f in ymm) { if (f ~ /simd_avx2::/) ymm2++ }
      for (f in vex) if (f !~ /simd_avx2::|simd_avx512::/) { print bin ": AVX outside the SIMD levels: " f; bad++ }
      if (!zmm512) { print bin ": no AVX-512 code in simd_avx512"; bad++ }
      if (!ymm2) { print bin ": no AVX2 code in simd_avx2"; bad++ }
      if (!generic) { print bin ": no simd_generic functions"; bad++ }
      if (bad) exit 1
      printf "%s: AVX-512 in %d functions of simd_avx512, AVX2 in %d of simd_avx2, generic present, nothing else above x86-64\n", bin, zmm512, ymm2
    }'
done
