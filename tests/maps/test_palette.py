"""Roads cannot be mistaken for threat zones or congestion, with normal or colour-deficient vision.

Colour-vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes (2009,
severity 1.0, on linear RGB); colours are compared as CIE 1976 ΔE*ab in CIELAB (D65). A ΔE of
15 or more is a plainly visible difference.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from evacsim.maps.layers import ZONE_COLORS
from evacsim.maps.run_map import _CONGESTION
from evacsim.maps.styles import ROAD_STYLES

VISION = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}  # fmt: skip
MIN_DELTA_E = 15.0


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    rgb = np.clip(linear_rgb, 0.0, 1.0)
    srgb_to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = srgb_to_xyz @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str) -> float:
    m = VISION[vision]
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


ROADS = sorted({colour for colour, _, _ in ROAD_STYLES.values()})
HAZARD = [*ZONE_COLORS.values(), *(colour for _, colour, _ in _CONGESTION)]


def test_the_oracle_sees_red_and_green_merge_for_deuteranopes() -> None:
    # a pair known to be confused: red and green of the same lightness
    assert delta_e("#d62728", "#2ca02c", "normal") > 50
    assert delta_e("#d62728", "#2ca02c", "deuteranopia") < 30


@pytest.mark.parametrize("vision", VISION)
def test_roads_differ_from_every_zone_and_congestion_colour(vision: str) -> None:
    for road, hazard in itertools.product(ROADS, HAZARD):
        assert delta_e(road, hazard, vision) >= MIN_DELTA_E, (road, hazard, vision)


def test_roads_are_grey() -> None:
    for road in ROADS:
        _, a, b = _lab(_linear(road))
        assert np.hypot(a, b) < 2.0, road  # no hue a road could share with a warning colour


@pytest.mark.parametrize("vision", VISION)
def test_congestion_classes_stay_apart(vision: str) -> None:
    colours = [colour for _, colour, _ in _CONGESTION]
    for a, b in itertools.pairwise(colours):
        assert delta_e(a, b, vision) >= MIN_DELTA_E, (a, b, vision)
