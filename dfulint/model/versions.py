"""What changed in which SDK release, as facts of a target.

A rule does not compare versions: it asks one of these. Each answers for every version the project
may be on (`SdkVersion.range`; for Kconfig behaviour the catalogue's NCS versions,
`Target.kconfig_range`, plain Zephyr mapped onto NCS): True when all of them have the behaviour,
False when none has, None when it depends on the version (the rule then says so, or stays quiet).
External-flash releases are in `model/extflash.py`; a rule that applies only from or before a
release says so in its `@rule(..., ncs=...)` instead.
"""
from __future__ import annotations

TYPE_CHECKING = False      # (typing.TYPE_CHECKING without importing typing)
if TYPE_CHECKING:
    from typing import Optional


def _since(rng, v: tuple) -> Optional[bool]:
    low, high = (tuple(x) for x in rng)
    if low >= v:
        return True
    return False if high < v else None


def _kconfig_since(t, *v) -> Optional[bool]:
    return _since(t.kconfig_range, tuple(v) + (0,) * (3 - len(v)))


def _sdk_since(t, *v) -> Optional[bool]:
    return _since(t.sdk.range, tuple(v) + (0,) * (3 - len(v)))


def sysbuild_confirms_flashed_image(t) -> bool:
    """The build marks the image it flashes confirmed in a revert mode, for some version the project
    may be on: NCS 2.8+ sysbuild (sdk-nrf v2.8.0 release notes), Zephyr 4.2+ (MCUBOOT_GENERATE_CONFIRMED_IMAGE
    implied by the revert modes, zephyr v4.2.0 modules/Kconfig.mcuboot)."""
    if t.app.framework == "ncs":
        return t.sysbuild is not None and _kconfig_since(t, 2, 8) is not False
    return t.app.framework == "zephyr" and _sdk_since(t, 4, 2) is not False


def app_mode_symbols(t) -> Optional[bool]:
    """The application's MCUBOOT_BOOTLOADER_MODE_* symbols exist (NCS 2.2 / Zephyr 3.2 on)."""
    return _kconfig_since(t, 2, 2) if t.app.framework == "ncs" else True


def mcumgr_transport_names(t) -> Optional[bool]:
    """MCUmgr's transports are MCUMGR_TRANSPORT_* (NCS 2.4 / Zephyr 3.3 on; MCUMGR_SMP_* before)."""
    return _kconfig_since(t, 2, 4)


def mcumgr_own_workqueue(t) -> Optional[bool]:
    """MCUmgr runs its handlers on its own SMP work queue (NCS 2.1 / Zephyr 3.1 on; the system work
    queue before)."""
    return _kconfig_since(t, 2, 1) if t.app.framework == "ncs" else True


def downgrade_prevention_any_mode(t) -> Optional[bool]:
    """MCUBOOT_DOWNGRADE_PREVENTION works in the swap modes too (NCS 2.2 on; overwrite-only before)."""
    return _kconfig_since(t, 2, 2) if t.app.framework == "ncs" else True


def sysbuild_by_default(t) -> Optional[bool]:
    """`west build` uses sysbuild for this app by default: NCS 2.7 on (sdk-nrf v2.7.0 release notes)."""
    return _sdk_since(t, 2, 7)


def sysbuild_default_everywhere(t) -> Optional[bool]:
    """Sysbuild is the default also for an app outside the SDK (NCS 2.9 on; 2.7 and 2.8 build such
    an app with child images unless --sysbuild is given)."""
    return _sdk_since(t, 2, 9)


def child_images_removed(t) -> bool:
    """The version assumed for the project is NCS 3.0 or later, which removed child images."""
    return t.sdk.version >= (3, 0, 0)


def child_images_allowed(t) -> bool:
    """The app may still be built with child images instead of sysbuild (`west build --no-sysbuild`):
    NCS before 3.0 (sdk-nrf v3.0.0 release notes: child images removed), at the version the
    catalogue is read for."""
    return t.app.framework == "ncs" and t.kconfig_version < (3, 0, 0)
