"""Package build step: dfulint's knowledge tables, parsed from their YAML once, ship as JSON, and
the Kconfig trees dfulint generates from its symbol catalogue ship generated.

A new dfulint process then loads them in about a millisecond instead of parsing 150 KiB of YAML
and generating a tree per image (see dfulint/knowledge/build.py). Editable installs read the YAML
and generate the trees (or use the files `python -m dfulint.knowledge.build` writes).
"""
from __future__ import annotations

import importlib.util
import subprocess
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class KnowledgeTables(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location(
            "_dfulint_knowledge_build", root / "dfulint" / "knowledge" / "build.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        self._tmp = tempfile.TemporaryDirectory()
        out = Path(self._tmp.name) / mod.FILE_NAME
        mod.write(out, root / "dfulint" / "knowledge")
        build_data["force_include"][str(out)] = f"dfulint/knowledge/{mod.FILE_NAME}"
        # the trees come from dfulint's own generator: run it from this source tree, in a process of
        # its own so that nothing of it stays imported in the build's
        trees = Path(self._tmp.name) / mod.TREES_NAME
        subprocess.run(mod.trees_command(root, trees), check=True)
        build_data["force_include"][str(trees)] = f"dfulint/knowledge/{mod.TREES_NAME}"

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
