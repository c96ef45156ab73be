"""The real train_identity file's figures the twin reproduces: device families and id_* values.

Each client keeps one device family (type, info string, OS, browser, screen); the numeric
id_* columns draw from the common values and shares below. Kept apart from the sampling code
so the numbers can be checked against Kaggle's file on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Device:
    """A device family: what an identity row says about the client's device and software."""

    device_type: str
    info: str  # "" when Vesta did not record it
    systems: tuple[str, ...]
    browsers: tuple[str, ...]
    screens: tuple[str, ...]
    depth: float  # id_32 colour depth
    weight: float
    risk: float  # client fraud log-odds


DEVICES = (
    Device(
        "desktop",
        "Windows",
        ("Windows 10", "Windows 7", "Windows 8.1"),
        ("chrome 63.0", "chrome 62.0", "edge 16.0", "firefox 57.0", "edge 15.0", "chrome generic"),
        ("1920x1080", "1366x768", "1600x900", "1280x800", "1440x900"),
        24.0,
        0.33,
        0.0,
    ),
    Device(
        "desktop",
        "Trident/7.0",
        ("Windows 7", "Windows 10"),
        ("ie 11.0 for desktop",),
        ("1366x768", "1920x1080"),
        24.0,
        0.055,
        -0.6,
    ),
    Device(
        "desktop",
        "MacOS",
        ("Mac OS X 10_12_6", "Mac OS X 10_11_6", "Mac OS X 10_13_1", "Mac OS X 10.9"),
        ("safari generic", "chrome 63.0", "firefox 57.0"),
        ("1440x900", "2560x1600", "2880x1800", "1280x800", "5120x2880"),
        32.0,
        0.09,
        -0.4,
    ),
    Device(
        "desktop",
        "rv:11.0",
        ("Windows 7",),
        ("ie 11.0 for desktop",),
        ("1366x768", "1024x768"),
        24.0,
        0.014,
        -0.3,
    ),
    Device(
        "desktop",
        "rv:57.0",
        ("Windows 10", "Linux"),
        ("firefox 57.0", "firefox generic"),
        ("1920x1080", "1366x768"),
        24.0,
        0.012,
        0.7,
    ),
    Device(
        "desktop",
        "",
        ("Windows 10", "Windows 7", "Linux"),
        ("chrome 63.0", "chrome generic", "firefox 57.0"),
        ("1920x1080", "1366x768", "1680x1050"),
        24.0,
        0.1,
        0.3,
    ),
    Device(
        "mobile",
        "iOS Device",
        ("iOS 11.2.1", "iOS 11.1.2", "iOS 11.2.6", "iOS 10.3.3", "iOS 11.0.3", "iOS 11.1.0"),
        ("mobile safari 11.0", "mobile safari generic", "chrome 63.0 for ios"),
        ("1334x750", "2208x1242", "2436x1125", "1136x640", "2048x1536"),
        32.0,
        0.2,
        0.15,
    ),
    Device(
        "mobile",
        "SM-J700M Build/MMB29K",
        ("Android 6.0.1",),
        ("chrome 63.0 for android", "samsung browser 6.2"),
        ("1280x720",),
        32.0,
        0.02,
        1.4,
    ),
    Device(
        "mobile",
        "SM-G610M Build/MMB29K",
        ("Android 6.0.1",),
        ("chrome 63.0 for android", "chrome 62.0 for android"),
        ("1920x1080",),
        32.0,
        0.015,
        1.2,
    ),
    Device(
        "mobile",
        "SM-G531H Build/LMY48B",
        ("Android 5.1.1",),
        ("chrome 54.0 for android", "chrome 62.0 for android"),
        ("960x540",),
        32.0,
        0.012,
        1.6,
    ),
    Device(
        "mobile",
        "SM-G935F Build/NRD90M",
        ("Android 7.0",),
        ("chrome 63.0 for android", "samsung browser 6.2"),
        ("2560x1440",),
        32.0,
        0.015,
        0.5,
    ),
    Device(
        "mobile",
        "SAMSUNG SM-G892A Build/NRD90M",
        ("Android 7.0",),
        ("samsung browser 6.2", "chrome 63.0 for android"),
        ("2220x1080",),
        32.0,
        0.02,
        0.2,
    ),
    Device(
        "mobile",
        "",
        ("Android 7.0", "Android 8.0.0", "Android"),
        ("chrome 63.0 for android", "chrome generic", "mobile safari generic"),
        ("1920x1080", "2220x1080", "1280x720"),
        32.0,
        0.08,
        0.8,
    ),
)


def _vocab(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


DEVICE_TYPES = ("desktop", "mobile")
DEVICE_INFOS = _vocab([d.info for d in DEVICES])
SYSTEMS = _vocab([s for d in DEVICES for s in d.systems])
BROWSERS = _vocab([b for d in DEVICES for b in d.browsers])
SCREENS = _vocab([s for d in DEVICES for s in d.screens])
DEVICE_P = np.array([d.weight for d in DEVICES]) / sum(d.weight for d in DEVICES)
DEVICE_RISK = np.array([d.risk for d in DEVICES])
DEVICE_TYPE_CODE = np.array([DEVICE_TYPES.index(d.device_type) for d in DEVICES])
DEVICE_INFO_CODE = np.array([DEVICE_INFOS.index(d.info) if d.info else -1 for d in DEVICES])
DEVICE_DEPTH = np.array([d.depth for d in DEVICES])

# Numeric identity columns: common values with shares of non-null, then a range for the rest.
ID01 = np.array([-5, 0, -10, -20, -15, -25, -30, -35, -40, -45, -50, -60, -80, -100])
ID01_P = np.array([57, 13.6, 7.8, 7.8, 3.9, 2.5, 2, 1.2, 1, 0.8, 0.7, 0.5, 0.3, 0.3])
ID01_FRAUD_P = np.array([45, 20, 7, 12, 5, 3, 2.5, 1.5, 1, 0.8, 0.7, 0.5, 0.3, 0.3])
ID13 = np.array([52, 49, 64, 33, 27, 20, 14, 25, 18, 43])
ID13_P = np.array([0.456, 0.207, 0.113, 0.079, 0.029, 0.023, 0.02, 0.01, 0.01, 0.01])
# id_14: UTC offsets in minutes.
ID14 = np.array([-300, -360, -480, -420, -600, 60, 0, -180, 120, 330, 480, -240, 180, 540, 600])
ID14_P = np.array([551, 208, 161, 57, 6, 5, 2.4, 3, 2, 2, 2, 2, 1, 1, 1])
ID17 = np.array([166, 225, 102, 159, 100])
ID19 = np.array([266, 410, 427, 529, 312])
ID19_P = np.array([0.142, 0.081, 0.063, 0.058, 0.045])
ID20 = np.array([507, 222, 325, 533, 214])
ID20_P = np.array([0.16, 0.079, 0.058, 0.047, 0.041])
ID18 = np.array([15, 13, 12, 18, 20, 11, 24])
ID18_P = np.array([0.565, 0.298, 0.103, 0.014, 0.008, 0.006, 0.006])
PROXIES = ("IP_PROXY:TRANSPARENT", "IP_PROXY:ANONYMOUS", "IP_PROXY:HIDDEN")
MATCH_STATUS = ("match_status:2", "match_status:1", "match_status:0", "match_status:-1")
ID03_ODD = np.array([1, 3, 2, 5, 4, 6, -5, -6, 7, -1, 10, -13])  # rare id_03 / id_09 values
ID04_ODD = np.array([-5, -6, -8, -4, -1, -11, -12, -10, -28])  # rare id_04 / id_10 values
# id_19 / id_20 values shared by fraud rings: a learnable, sparse signal.
RING_ID19 = np.array([133, 197, 341, 488, 566, 612])
RING_ID20 = np.array([149, 273, 395, 452, 597, 644])
