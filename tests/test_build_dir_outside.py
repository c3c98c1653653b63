"""A build folder named with --build-dir is read even when it lies outside the app's repository
(west workspaces and CI runners keep build folders elsewhere); it is still read confined."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from dfulint import engine

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed_bl653_dvk"

# what Partition Manager wrote for the seed once the primary was pinned to the secondary's size
PARTITIONS = """\
app:
  address: 0xc200
  end_address: 0x45000
  region: flash_primary
  size: 0x38e00
external_flash:
  address: 0x0
  end_address: 0x80000
  region: external_flash
  size: 0x80000
mcuboot:
  address: 0x0
  end_address: 0xc000
  region: flash_primary
  size: 0xc000
mcuboot_pad:
  address: 0xc000
  end_address: 0xc200
  region: flash_primary
  size: 0x200
mcuboot_primary:
  address: 0xc000
  end_address: 0x45000
  orig_span: &id001
  - mcuboot_pad
  - app
  region: flash_primary
  size: 0x39000
  span: *id001
mcuboot_primary_app:
  address: 0xc200
  end_address: 0x45000
  orig_span: &id002
  - app
  region: flash_primary
  size: 0x38e00
  span: *id002
mcuboot_secondary:
  address: 0x0
  end_address: 0x39000
  device: IS25
  region: external_flash
  size: 0x39000
settings_storage:
  address: 0x7e000
  end_address: 0x80000
  region: flash_primary
  size: 0x2000
"""


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "product"
    shutil.copytree(SEED, repo / "app")
    (repo / ".git").mkdir()
    build = tmp_path / "builds" / "seed"
    build.mkdir(parents=True)
    (build / "partitions.yml").write_text(PARTITIONS)
    return repo / "app", build


def test_build_dir_outside_the_repository_is_read(tmp_path):
    app, build = _setup(tmp_path)
    before = engine.run([app], engine.Options())
    assert "DFU201" in {f.code for f in before.findings}
    r = engine.run([app], engine.Options(build_dir=build))
    codes = {f.code for f in r.findings}
    assert "DFU008" not in codes, [f.message for f in r.findings if f.code == "DFU008"]
    (t,) = r.apps[0].targets
    assert t.flash.origin == "build"
    assert t.flash.get("mcuboot_primary").size == 0x39000
    assert "DFU201" not in codes, "the build's layout (equal slots) replaces the prediction"


def test_a_link_out_of_the_build_dir_is_still_refused(tmp_path):
    app, build = _setup(tmp_path)
    secret = tmp_path / "secret.yml"
    secret.write_text("token: hunter2\n")
    (build / "partitions.yml").unlink()
    os.symlink(secret, build / "partitions.yml")
    r = engine.run([app], engine.Options(build_dir=build))
    assert "DFU008" in {f.code for f in r.findings}
    assert not any("hunter2" in (f.message + f.fix + f.headline) for f in r.findings)
