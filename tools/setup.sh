#!/usr/bin/env bash
# Installs everything the project needs from Debian's archive. Idempotent: packages already
# present are left alone, and apt is only asked when something is missing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      libdnnl-dev                                   # every tensor operation
      libopencv-imgcodecs-dev libopencv-imgproc-dev # decoding and resizing images, writing PNGs
      nlohmann-json3-dev libcli11-dev               # safetensors headers, the command line
      libgtest-dev libbenchmark-dev                 # tests and micro-benchmarks
      zlib1g-dev                                    # gzipped IDX files
      libprotobuf-dev protobuf-compiler             # TensorBoard event files (and ONNX)
      libopenmpi-dev openmpi-bin                    # data-parallel training over MPI
      libboost-dev                                  # alexnet serve: Boost.Beast and Asio (headers)
      libcpp-httplib-dev                            # the HTTP client of the tests and load tools
      libzip-dev libonnx-dev                        # .pth (zip) and ONNX weights in, ONNX out
      libopencv-dnn-dev                             # tests: OpenCV runs our exported ONNX
      dataset-fashion-mnist                         # the embedded default data set
      pybind11-dev python3-dev python3-numpy        # the Python module (pip install .)
      help2man dpkg-dev file                        # the man page; the Debian package (cpack)
      python3-venv python3-pip python3-setuptools python3-wheel python3-pytest)
# The page of `alexnet serve` in a real browser (ServeTest.PageInARealBrowser; skipped without).
[ "${WITH_BROWSER:-0}" = 1 ] && pkgs+=(chromium chromium-driver python3-selenium)
# The peers of bench/compare.py: PyTorch on OpenBLAS (on the reference BLAS it runs ~4x
# slower, no peer at its best), onnx for the ONNX Runtime graphs, node for ONNX Runtime.
# (A node from elsewhere, e.g. NodeSource's, carries its own npm and conflicts with Debian's.)
if [ "${WITH_TORCH:-0}" = 1 ]; then
  pkgs+=(python3-torch python3-numpy libopenblas0 python3-onnx)
  command -v npm > /dev/null || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
