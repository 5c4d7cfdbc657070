// The machine's limits, for the speed table: FP32 FMA throughput with 256-bit (AVX2) and, where
// the CPU has it, 512-bit (AVX-512) vectors on every OpenMP thread, and oneDNN's SGEMM rate
// (4096^3) under whatever ISA oneDNN dispatches (ONEDNN_MAX_CPU_ISA included); and the memory's
// bandwidth as STREAM measures it (the triad a = b + s c over three 128 MB arrays) and as the fc
// layers at batch 1 use it (one pass reading a 256 MB array, as fc6-fc8 read their 235 MB of
// weights). Prints one JSON line: {"fma_avx2_gflops", "fma_avx512_gflops" (0 without AVX-512),
// "sgemm_gflops", "triad_gbs", "read_gbs", "threads"}. Heavy for a few seconds: run it alone.
#include <immintrin.h>
#include <sys/mman.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <oneapi/dnnl/dnnl.h>
#include <vector>

namespace {

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// 12 independent accumulators: enough to cover FMA latency x pipes on current x86 cores.
// Always inlined into run256/run512, whose target attributes it then compiles under (the file
// itself is built for any x86-64).
template <typename V, V (*Fma)(V, V, V), V (*Set)(float)>
[[gnu::always_inline]] inline float fma_chain(long iters) {
  V a = Set(0.999999f), b = Set(1e-7f), c[12];
  for (int j = 0; j < 12; ++j) c[j] = Set(1.f + 0.1f * j);
  for (long i = 0; i < iters; ++i)
    for (int j = 0; j < 12; ++j) c[j] = Fma(c[j], a, b);
  float sink = 0;
  for (int j = 0; j < 12; ++j) sink += reinterpret_cast<float*>(&c[j])[0];
  return sink;
}

__attribute__((target("avx2,fma"))) __m256 fma256(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
__attribute__((target("avx2,fma"))) __m256 set256(float x) { return _mm256_set1_ps(x); }
__attribute__((target("avx512f"))) __m512 fma512(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
__attribute__((target("avx512f"))) __m512 set512(float x) { return _mm512_set1_ps(x); }

__attribute__((target("avx2,fma"))) float run256(long n) { return fma_chain<__m256, fma256, set256>(n); }
__attribute__((target("avx512f"))) float run512(long n) { return fma_chain<__m512, fma512, set512>(n); }

// GFLOP/s of all threads together, the best of 5.
double fma_peak(float (*run)(long), int lanes) {
  const long iters = 20'000'000;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    volatile float sink = 0;
    const double t0 = seconds();
#pragma omp parallel
    { sink = sink + run(iters); }
    const double s = seconds() - t0;
    best = std::max(best, 2.0 * lanes * 12 * iters * omp_get_max_threads() / s / 1e9);
  }
  return best;
}

double sgemm_rate(int n) {
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n, 0.f);
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    const double t0 = seconds();
    dnnl_sgemm('N', 'N', n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
    const double s = seconds() - t0;
    if (rep > 0) best = std::max(best, 2.0 * n * n * n / s / 1e9);
  }
  return best;
}

// n floats on 2 MB pages, as the network keeps its weights (tensor/huge_pages.cpp): on 4 KB
// pages a virtual machine's nested page walks cost a third of the bandwidth.
struct HugeArray {
  explicit HugeArray(size_t n, float value) : n(n) {
    const size_t bytes = (n * sizeof(float) + (2u << 20) - 1) / (2u << 20) * (2u << 20);
    p = static_cast<float*>(std::aligned_alloc(2u << 20, bytes));
    madvise(p, bytes, MADV_HUGEPAGE);
    std::fill(p, p + n, value);
  }
  ~HugeArray() { std::free(p); }
  float& operator[](size_t i) { return p[i]; }
  float* data() { return p; }
  size_t n;
  float* p;
};

// GB/s, the best of 5: STREAM's triad (bytes counted as STREAM does: 3 arrays), and a read-only sum.
double triad_rate() {
  const size_t n = size_t(32) << 20;  // 128 MB a array: far beyond any cache
  HugeArray a(n, 0.f), b(n, 1.f), c(n, 2.f);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = seconds();
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; ++i) a[i] = b[i] + 3.f * c[i];
    best = std::max(best, 3.0 * n * sizeof(float) / (seconds() - t0) / 1e9);
  }
  return a[n / 2] == 7.f ? best : 0;
}

// Sums [begin, end) of w as four streams a quarter of the range apart, each with its own 256-bit
// accumulator: as a matrix-vector product reads four rows at once, enough loads in flight for
// the memory rather than one prefetcher to set the pace (the file is built for any x86-64, so
// plain loops would be SSE2 at best).
__attribute__((target("avx2"))) double sum256(const float* w, size_t begin, size_t end) {
  __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  const size_t quarter = (end - begin) / 4 / 8 * 8;
  for (size_t i = begin; i < begin + quarter; i += 8)
    for (int j = 0; j < 4; ++j) s[j] = _mm256_add_ps(s[j], _mm256_loadu_ps(w + i + j * quarter));
  alignas(32) float out[8];
  _mm256_store_ps(out, _mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])));
  double total = 0;
  for (float v : out) total += v;
  return total;
}

double read_rate() {
  const size_t n = size_t(64) << 20;  // 256 MB
  HugeArray w(n, 1.f);
  double best = 0, total = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = seconds();
    double sum = 0;
#pragma omp parallel reduction(+ : sum)
    {
      const size_t per = n / omp_get_num_threads() / 32 * 32, first = per * omp_get_thread_num();
      sum += sum256(w.data(), first, omp_get_thread_num() == omp_get_num_threads() - 1 ? n : first + per);
    }
    best = std::max(best, n * sizeof(float) / (seconds() - t0) / 1e9);
    total += sum;
  }
  return total > 0 ? best : 0;
}

}  // namespace

int main() {
  const double avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? fma_peak(run256, 8) : 0;
  const double avx512 = __builtin_cpu_supports("avx512f") ? fma_peak(run512, 16) : 0;
  const double sgemm = sgemm_rate(4096);
  const double triad = triad_rate(), read = read_rate();
  std::printf("{\"fma_avx2_gflops\": %.1f, \"fma_avx512_gflops\": %.1f, \"sgemm_gflops\": %.1f, \"triad_gbs\": %.1f, "
              "\"read_gbs\": %.1f, \"threads\": %d}\n",
              avx2, avx512, sgemm, triad, read, omp_get_max_threads());
}
