"""Build hook: compiles the C readers (app/ingest/_lfasr.c) into the wheel, or, for an editable
install, next to their source. Where no C compiler is at hand the build goes on without them and
callqa reads those formats in Python (the same results, slower); the build log says so."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

EXTENSIONS = {"app.ingest._lfasr": "app/ingest/_lfasr.c"}


def _compile(name: str, source: Path, out_dir: Path) -> Path:
    """The built extension module, made by setuptools' build_ext (the compiler and flags this
    Python was built with)."""
    from setuptools import Distribution, Extension

    dist = Distribution({"name": "callqa-readers", "ext_modules": [Extension(name, [str(source)])]})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = str(out_dir / "lib")
    cmd.build_temp = str(out_dir / "temp")
    cmd.ensure_finalized()
    cmd.run()
    return Path(cmd.get_ext_fullpath(name))


class CompiledReaders(BuildHookInterface):
    PLUGIN_NAME = "custom"

    _tmp: str | None = None

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        self._tmp = tempfile.mkdtemp(prefix="callqa-build-")
        for name, rel in EXTENSIONS.items():
            source = root / rel
            if not source.is_file():  # (a build of the dependencies alone, in the Dockerfile)
                continue
            try:
                built = _compile(name, source, Path(self._tmp))
            except Exception as exc:  # no compiler, no Python headers: read in Python instead
                print(f"callqa: {name} not compiled ({exc}); that format is read in Python, more slowly",
                      file=sys.stderr)
                continue
            target = Path(*name.split(".")[:-1]) / built.name
            if version == "editable":  # imported from the source tree
                shutil.copy2(built, root / target)
            else:
                build_data["force_include"][str(built)] = str(target)
                build_data["pure_python"] = False
                build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
