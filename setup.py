"""Builds alexnet._alexnet with CMake, into the build folder the command uses (ALEXNET_BUILD_DIR,
default ./build), so that a clone whose command is built only compiles the module. The rest of
the package is in pyproject.toml."""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def base_interpreter():
    """The interpreter behind a virtualenv's python: the module is built for its headers and ABI,
    and the build folder's cache must outlive the virtualenv (which may be a temporary one)."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.abspath(os.environ.get("ALEXNET_BUILD_DIR", os.path.join(ROOT, "build")))
        subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DALEXNET_PYTHON=ON",
                        f"-DPYTHON_EXECUTABLE={base_interpreter()}"], check=True)
        jobs = str(os.cpu_count() or 2)
        subprocess.run(["cmake", "--build", build, "--target", "_alexnet", "-j", jobs], check=True)
        built = os.path.join(build, "python", "alexnet", os.path.basename(self.get_ext_filename(ext.name)))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[Extension("alexnet._alexnet", sources=[])], cmdclass={"build_ext": CMakeBuild})
