"""Physics of the hazard models against the published worked examples.

Oracles: /work/shared/reference/hazard_reference.md (NUREG-1805 spreadsheet, CCPS propane BLEVE,
Kinney–Graham scaled distances, EPA RMP 1-psi rule) and hand calculations written out here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from evacsim import hazard as hm
from evacsim.errors import HazardError
from evacsim.hazard.substances import SUBSTANCES, get_substance

FT2_TO_M2 = 0.09290304
FT_TO_M = 0.3048


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


class TestPoolFire:
    area_m2 = 2545 * FT2_TO_M2  # NUREG-1805 spreadsheet default dike area

    def test_nureg_1805_heat_release_published(self) -> None:
        q = hm.pool_fire_hrr_kw(
            self.area_m2, burning_rate_kg_m2_s=0.045, heat_of_combustion_kj_kg=44_400,
            k_beta_per_m=2.1,
        )  # fmt: skip
        assert rel(q, 472_403.60) < 1e-6  # published HRR of the spreadsheet
        assert rel(hm.pool_diameter_m(self.area_m2), 17.35) < 1e-3

    def test_nureg_1805_flux_at_target(self) -> None:
        q = hm.pool_fire_hrr_kw(
            self.area_m2, burning_rate_kg_m2_s=0.045, heat_of_combustion_kj_kg=44_400,
            k_beta_per_m=2.1,
        )  # fmt: skip
        assert rel(float(hm.point_source_flux_kw_m2(q, 130 * FT_TO_M)), 7.18) < 0.01
        assert rel(float(hm.point_source_flux_kw_m2(q, 130 * FT_TO_M + 17.35 / 2)), 4.83) < 0.01

    def test_gasoline_distances_to_aloha_levels(self) -> None:
        gas = get_substance("gasoline")
        q = hm.pool_fire_hrr_kw(
            self.area_m2,
            burning_rate_kg_m2_s=gas.burning_rate_kg_m2_s or 0.0,
            heat_of_combustion_kj_kg=gas.heat_of_combustion_kj_kg or 0.0,
            k_beta_per_m=gas.k_beta_per_m or 0.0,
        )
        assert rel(q, 568_279) < 1e-3
        for flux, dist in ((10, 36.8), (5, 52.1), (2, 82.4)):
            assert rel(hm.point_source_distance_m(q, flux), dist) < 0.01

    def test_small_pool_is_not_optically_thick(self) -> None:
        # D = 1 m heptane: Q = 0.101 * 44600 * (π/4) * (1 - e^-1.1) by hand
        q = hm.pool_fire_hrr_kw(
            math.pi / 4, burning_rate_kg_m2_s=0.101, heat_of_combustion_kj_kg=44_600,
            k_beta_per_m=1.1,
        )  # fmt: skip
        assert q == pytest.approx(4504.6 * 0.785398 * 0.667129, rel=1e-4)

    def test_flux_falls_with_inverse_square(self) -> None:
        f = hm.point_source_flux_kw_m2(1000.0, np.array([10.0, 20.0]))
        assert f[0] / f[1] == pytest.approx(4.0)


class TestBleve:
    mass_kg = 22.7 * 585.3 * 0.90  # propane tank truck, 90 % full

    def test_ccps_propane_truck_published(self) -> None:
        assert rel(self.mass_kg, 11_957.7) < 1e-4
        d = hm.fireball_diameter_m(self.mass_kg)
        assert rel(d, 132.6) < 0.01
        assert rel(hm.fireball_duration_s(self.mass_kg), 10.3) < 0.01
        assert rel(float(hm.fireball_view_factor(100.0, d)), 0.255) < 0.01
        assert rel(float(hm.fireball_flux_kw_m2(100.0, d)), 89.1) < 0.01

    def test_threat_distance_solves_the_flux_equation(self) -> None:
        d = hm.fireball_diameter_m(self.mass_kg)
        for flux in (10.0, 5.0, 2.0):
            x = hm.fireball_distance_m(flux, d)
            assert float(hm.fireball_flux_kw_m2(x, d)) == pytest.approx(flux, rel=1e-6)
            assert float(hm.fireball_flux_kw_m2(1.01 * x, d)) < flux
        # far-field check: Fv -> r²/X², so q(X) ≈ E r²/X² at large X
        r = d / 2
        x2 = hm.fireball_distance_m(2.0, d)
        assert rel(x2, math.sqrt(350 * r * r / 2.0)) < 0.01

    def test_large_mass_duration_branch(self) -> None:
        assert rel(hm.fireball_duration_s(1e6), 2.6 * 1e6 ** (1 / 6)) < 1e-12

    def test_unreachable_flux_gives_zero(self) -> None:
        assert hm.fireball_distance_m(1000.0, 50.0) == 0.0


class TestVce:
    @pytest.mark.parametrize(
        ("psi", "z_free", "z_ground"), [(8.0, 3.615, 4.55), (3.5, 5.570, 7.02), (1.0, 13.45, 16.9)]
    )
    def test_kinney_graham_scaled_distances(
        self, psi: float, z_free: float, z_ground: float
    ) -> None:
        z = hm.scaled_distance_for_overpressure(psi)
        assert rel(z, z_free) < 0.01
        assert rel(z * 2 ** (1 / 3), z_ground) < 0.01

    def test_worked_example_gasoline_cloud(self) -> None:
        w = hm.tnt_equivalent_kg(1000, 43_700, yield_factor=0.10, tnt_energy_kj_kg=4680)
        assert rel(w, 933.8) < 1e-3
        assert rel(hm.overpressure_distance_m(w, 1.0), 166.0) < 0.01
        assert rel(hm.overpressure_distance_m(w, 1.0, ground_burst=False), 131.5) < 0.01
        w10 = hm.tnt_equivalent_kg(10_000, 43_700, yield_factor=0.10, tnt_energy_kj_kg=4680)
        assert rel(hm.overpressure_distance_m(w10, 1.0), 358.0) < 0.01
        assert rel(hm.overpressure_distance_m(w10, 1.0, ground_burst=False), 283.0) < 0.01

    def test_epa_one_psi_rule(self) -> None:
        # EPA RMP: R(1 psi) ≈ 17 W^(1/3) m for a ground burst
        assert rel(hm.overpressure_distance_m(1.0, 1.0), 17.0) < 0.01

    def test_out_of_fit_overpressure_refused(self) -> None:
        with pytest.raises(HazardError, match="thresholds"):
            hm.scaled_distance_for_overpressure(1e-5)


class TestPlume:
    def test_briggs_class_d_by_hand(self) -> None:
        sy, sz = hm.briggs_sigmas_m(1000.0, "D")
        assert float(sy) == pytest.approx(80.0 / math.sqrt(1.1))
        assert float(sz) == pytest.approx(60.0 / math.sqrt(2.5))

    @pytest.mark.parametrize(
        ("cls", "sy", "sz"),
        # Briggs (1973) open country at x = 1 km, by hand from Turner's Workbook table:
        # σy = a x (1+0.0001x)^-0.5; σz per class
        [
            ("A", 220 / math.sqrt(1.1), 200.0),
            ("B", 160 / math.sqrt(1.1), 120.0),
            ("C", 110 / math.sqrt(1.1), 80 / math.sqrt(1.2)),
            ("D", 80 / math.sqrt(1.1), 60 / math.sqrt(2.5)),
            ("E", 60 / math.sqrt(1.1), 30 / 1.3),
            ("F", 40 / math.sqrt(1.1), 16 / 1.3),
        ],
    )
    def test_briggs_all_classes(self, cls: str, sy: float, sz: float) -> None:
        got_y, got_z = hm.briggs_sigmas_m(1000.0, cls)
        assert float(got_y) == pytest.approx(sy)
        assert float(got_z) == pytest.approx(sz)

    @pytest.mark.parametrize(
        ("cls", "sy", "sz"),
        # Briggs (1973) urban (McElroy–Pooler), Boubel et al. Table 19-6, at x = 1 km; the values
        # worked out in the reference addendum §2: A–B 270.4 / 339.4, C 185.9 / 200.0,
        # D 135.2 / 122.8, E–F 93.0 / 50.6 m
        [
            ("A", 270.4, 339.4),
            ("B", 270.4, 339.4),
            ("C", 185.9, 200.0),
            ("D", 135.2, 122.8),
            ("E", 93.0, 50.6),
            ("F", 93.0, 50.6),
        ],
    )
    def test_briggs_urban_published(self, cls: str, sy: float, sz: float) -> None:
        got_y, got_z = hm.briggs_sigmas_m(1000.0, cls, dispersion="urban")
        assert float(got_y) == pytest.approx(sy, abs=0.05)
        assert float(got_z) == pytest.approx(sz, abs=0.05)

    def test_briggs_urban_a_sigma_z_grows_faster_than_x(self) -> None:
        # the one positive exponent of the urban table (a public R package gets class D's wrong)
        _, sz = hm.briggs_sigmas_m(np.array([1000.0, 4000.0]), "A", dispersion="urban")
        assert sz[1] / sz[0] == pytest.approx(4 * math.sqrt(5.0 / 2.0))
        _, sz_d = hm.briggs_sigmas_m(np.array([1000.0, 4000.0]), "D", dispersion="urban")
        assert sz_d[1] / sz_d[0] == pytest.approx(4 * math.sqrt(1.3 / 2.2))

    def test_urban_centreline_is_lower_by_the_sigma_ratio(self) -> None:
        # ground release: C ∝ 1/(σy σz), so class D rural is 5.7× the urban value at 1 km
        rural = hm.GaussianPlume(1.0, 3.0, "D", 70.90, (20.0, 2.0, 0.5))
        urban = hm.GaussianPlume(1.0, 3.0, "D", 70.90, (20.0, 2.0, 0.5), dispersion="urban")
        ratio = float(rural.centreline_ppm(1000.0) / urban.centreline_ppm(1000.0))
        assert ratio == pytest.approx(135.2 * 122.8 / (76.3 * 37.9), rel=2e-3)
        assert ratio == pytest.approx(5.7, abs=0.05)

    def test_unknown_dispersion_refused(self) -> None:
        with pytest.raises(HazardError, match=r"hazard\.dispersion"):
            hm.briggs_sigmas_m(1000.0, "D", dispersion="suburban")

    def test_stability_ordering(self) -> None:
        widths = [float(hm.briggs_sigmas_m(2000.0, c)[0]) for c in "ABCDEF"]
        assert widths == sorted(widths, reverse=True)

    def test_centreline_concentration_by_hand(self) -> None:
        plume = hm.GaussianPlume(1.0, 3.0, "D", 70.90, (20.0, 2.0, 0.5), temperature_c=20.0)
        sy, sz = 80.0 / math.sqrt(1.1), 60.0 / math.sqrt(2.5)
        c_mg_m3 = 1e6 / (math.pi * sy * sz * 3.0)
        ppm = c_mg_m3 * 22.414 * (293.15 / 273.15) / 70.90
        assert float(plume.centreline_ppm(1000.0)) == pytest.approx(ppm, rel=1e-9)
        # elevated source: the exp(-H²/2σz²) factor
        high = hm.GaussianPlume(1.0, 3.0, "D", 70.90, (20.0, 2.0, 0.5), source_height_m=30.0)
        ratio = float(high.centreline_ppm(1000.0) / plume.centreline_ppm(1000.0))
        assert ratio == pytest.approx(math.exp(-(30.0**2) / (2 * sz * sz)))

    def test_footprint_boundary_is_the_isoline(self) -> None:
        plume = hm.GaussianPlume(2.0, 3.0, "D", 70.90, (20.0, 2.0, 0.5))
        poly, length, width = plume.footprint_local(2.0)
        assert float(plume.centreline_ppm(length)) == pytest.approx(2.0, rel=1e-3)
        assert float(plume.centreline_ppm(1.02 * length)) < 2.0
        coords = shapely.get_coordinates(poly)
        inner = coords[(coords[:, 0] > 0.05 * length) & (coords[:, 0] < 0.95 * length)]
        c = plume.local_ppm(inner[:, 0], inner[:, 1])
        assert np.allclose(c, 2.0, rtol=1e-6)
        assert len(coords) <= 201
        assert width == pytest.approx(2 * np.abs(coords[:, 1]).max())


def test_substance_table_has_sources_and_aegl_order() -> None:
    for sub in SUBSTANCES.values():
        assert sub.source
        for aegl1, aegl2, aegl3 in sub.aegl_ppm.values():
            assert aegl1 < aegl2 < aegl3


def test_chlorine_aegl_exponent_is_about_two() -> None:
    # ten Berge C^n t = k across the AEGL-3 durations: n = ln(t1/t2)/ln(C2/C1)
    a = get_substance("chlorine").aegl_ppm
    n_10_60 = math.log(60 / 10) / math.log(a[10][2] / a[60][2])
    n_30_60 = math.log(60 / 30) / math.log(a[30][2] / a[60][2])
    assert n_10_60 == pytest.approx(2.0, rel=0.05)
    assert n_30_60 == pytest.approx(2.0, rel=0.05)


def test_volatility_from_the_flash_point() -> None:
    # a liquid gives a flammable vapour only at or above its flash point; a liquefied gas always
    assert get_substance("gasoline").volatile_at(20.0)
    assert get_substance("propane").volatile_at(-30.0)
    assert not get_substance("diesel").volatile_at(35.0)
    assert not get_substance("heavy fuel oil").volatile_at(40.0)
    kerosene = get_substance("jet_fuel")
    assert not kerosene.volatile_at(20.0) and kerosene.volatile_at(40.0)  # Jet A-1 min 38 °C


def test_substance_aliases_and_unknown() -> None:
    assert get_substance("汽油").name == "gasoline"
    assert get_substance("LPG").name == "propane"
    with pytest.raises(
        HazardError, match=r"field 'hazard.substance': unknown substance 'unobtain'"
    ):
        get_substance("unobtain")
