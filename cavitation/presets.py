"""Named joints, each with its usual loading and the sources of its numbers.

Five joints: the knuckle (metacarpophalangeal, MCP), and four spinal joints: the
atlanto-occipital (C0-C1) and atlanto-axial (C1-C2) joints of the upper neck that the
upper-cervical pages speak of, a mid-cervical facet (C3-C4) and a lumbar facet (L5-S1).
The knuckle's numbers are documented on the fields themselves
(:mod:`cavitation.joint`, :mod:`cavitation.fluid`, :mod:`cavitation.listener`); each
spinal preset states in ``sources`` where every number it changes comes from, or that
it is an assumption. Figures are per joint (one side).

Facet capsules hold about 1 ml or less and are far more compliant than a finger's
(0.3 ml of saline raises a lumbar facet's pressure by 15-40 kPa); with 100 times the
knuckle's compliance the cavity rings against the capsule at about 1 kHz instead of
2-3 kHz. Under suction a capsule is stiffer than when inflated (Knight & Levick 1982),
so the compliances below are several times lower than the inflation figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .joint import KNUCKLE, Joint, Loading, RampAndHold, Thrust
from .parameters import Parameters, describe, names, renamed, replace

__all__ = ["PRESETS", "Preset", "configure", "get_preset", "parameter_values"]


@dataclass(frozen=True)
class Preset:
    """A named joint, its usual loading, and where its numbers come from.

    Attributes
    ----------
    name : str
        Short name, also the output file stem.
    description : str
        One line for listings.
    joint : Joint
        The joint's parameters (one side).
    loading : Loading
        Its usual loading (for a spinal joint, its share of a thrust).
    sources : dict
        For each parameter this preset sets: its source, or "assumption: ..." and why.
        Parameters not listed keep the knuckle's value and source.
    """

    name: str
    description: str
    joint: Joint
    loading: Loading
    sources: dict[str, str] = field(default_factory=dict)

    def source(self, name: str) -> str:
        """Where the value of parameter ``name`` (dotted for nested) comes from."""
        if name in self.sources:
            return self.sources[name]
        docs = {row.name: row.doc for row in describe(self.joint)}
        shared = self.sources.get("fluid, nucleation")
        if shared and name.split(".")[0] in ("fluid", "nucleation"):
            return f"{shared}: {docs.get(name, '')}"
        return docs.get(name, "")


_SPINAL_FLUID_AND_NUCLEATION = (
    "synovial fluid, gas and nucleation as the knuckle's: the same fluid and the same"
    " tensile strength of water with ordinary nuclei")

_CERVICAL_CAPSULE = {
    "capsule.compliance_m3_pa": "assumption: a cervical facet capsule holds under 1 ml"
    " (musculoskeletalkey.com, intra-articular injection); lumbar inflation gives about"
    " 1e-11 m^3/Pa (0.3 ml for 15-40 kPa), and under suction a capsule is stiffer"
    " (Knight & Levick 1982): 1e-12 m^3/Pa",
    "stiffness_n_m": "assumption: capsule and ligaments against distraction, 20 N/mm;"
    " a human cervical capsular ligament fails near 220 N (Ndu 2007)",
    "body.tissue_mode_hz": "none: the top of the range, 40 kHz. Between a facet joint and"
    " the skin the tissue moves as an incompressible liquid in the cavity's near field"
    " (a wavelength is 1.5 m at 1 kHz) and absorbs about 0.01 dB at 2 kHz over 4 cm"
    " (1.4 dB/cm/MHz; cavitation.listener.absorption_db); the skin's give under a sensor"
    " is the sensor's mount (cavitation.listener.Accelerometer), so the pitch at the skin"
    " is the cavity's and the joint's",
    "body.bone_mode_hz": "unused: bone_gain is 0",
    "body.bone_gain": "0: the sound reaches the skin through muscle, not along a bone;"
    " bone absorbs 15 dB/cm/MHz, 0.03 dB over 1 cm at 2 kHz",
    "capsule.rest_pressure_gauge_pa": "as the knuckle's: -5 mmHg, human knee (Wood,"
    " Ferrell & Baxendale 1988); no figure for a facet joint found",
}

#: The body between a spinal joint and the skin: no soft-tissue mode and no bone
#: resonance (see the sources of ``body.tissue_mode_hz`` and ``body.bone_gain``).
SPINAL_BODY = {"body.tissue_mode_hz": 40e3, "body.bone_mode_hz": 3000.0, "body.bone_gain": 0.0}

_CERVICAL_THRUST = (
    "cervical toggle thrust: peak 117.7 +- 15.6 N over 101.7 +- 14.7 ms (Kawchuk, Herzog"
    " & Hasler 1992, JMPT 15:275); manipulation about 97 ms (Dunning 2012). Per joint:"
    " a preload of 20 N and a peak of 70 N (assumption: the thrust shared by the joints"
    " it opens)")


def _spinal(name: str, **changes: object) -> Joint:
    """A spinal joint: the knuckle's fluid and nucleation, the given changes."""
    return replace(KNUCKLE, name=name, **changes)


KNUCKLE_PRESET = Preset(
    name="knuckle",
    description="metacarpophalangeal joint of a finger, pulled to 60 N over 0.6 s",
    joint=KNUCKLE,
    loading=RampAndHold(peak_force_n=60.0, ramp_time_s=0.6, hold_time_s=0.4),
    sources={"loading": "a slow knuckle pull of 0.5-1 s (../shared/REFERENCES.md); the"
             " crack comes at tens of N (Unsworth 1971)"},
)

def _cervical(name: str, description: str, *, area_m2: float, mass_kg: float,
              damping_n_s_m: float, depth_m: float, peak_force_n: float,
              sources: dict[str, str]) -> Preset:
    """A cervical joint: the shared capsule, tissue, film and thrust, its own anatomy."""
    joint = _spinal(
        name, area_m2=area_m2, mass_kg=mass_kg, stiffness_n_m=2e4, damping_n_s_m=damping_n_s_m,
        rest_gap_m=2e-4, **{"capsule.compliance_m3_pa": 1e-12,
                            "body.depth_m": depth_m,
                            **SPINAL_BODY})
    loading = Thrust(preload_n=20.0, peak_force_n=peak_force_n, thrust_time_s=0.1,
                     preload_time_s=0.2)
    shared = {
        "damping_n_s_m": "assumption: damping ratio about 0.3, as the knuckle's",
        "rest_gap_m": "assumption: a 0.2 mm fluid film",
        "loading": _CERVICAL_THRUST.replace("peak of 70 N", f"peak of {peak_force_n:g} N"),
        "fluid, nucleation": _SPINAL_FLUID_AND_NUCLEATION,
        **_CERVICAL_CAPSULE,
    }
    return Preset(name, description, joint, loading, shared | sources)


ATLANTO_OCCIPITAL = _cervical(
    "atlanto-occipital", "C0-C1: occipital condyle on the atlas, one side, in a cervical thrust",
    area_m2=1.76e-4, mass_kg=2.0, damping_n_s_m=120.0, depth_m=0.045, peak_force_n=70.0,
    sources={
        "area_m2": "occipital condyle 21.3 x 10.5 mm (Thintharua & Chentanez 2023, Anat"
        " Cell Biol); atlas upper facet 21.5 x 11.2 mm (Kaur): an ellipse, 176 mm^2",
        "mass_kg": "assumption: half the head (4-5 kg) moves on each condyle",
        "body.depth_m": "assumption: 45 mm of suboccipital muscle and skin; no depth"
        " found for the upper cervical joints",
    },
)

ATLANTO_AXIAL = _cervical(
    "atlanto-axial", "C1-C2: lateral mass joint of atlas and axis, one side, in a cervical"
    " thrust",
    area_m2=2.06e-4, mass_kg=1.0, damping_n_s_m=85.0, depth_m=0.04, peak_force_n=70.0,
    sources={
        "area_m2": "atlas lower facet 17.5 x 15.0 mm, axis upper facet 17.4 x 15.3 mm"
        " (Kaur): an ellipse, 206 mm^2",
        "mass_kg": "assumption: the atlas with the head's share it carries in rotation",
        "body.depth_m": "assumption: 40 mm; no depth found for the upper cervical joints",
    },
)

MID_CERVICAL = _cervical(
    "mid-cervical", "C3-C4 facet (zygapophysial) joint, one side, in a cervical thrust",
    area_m2=1.06e-4, mass_kg=0.5, damping_n_s_m=60.0, depth_m=0.03, peak_force_n=60.0,
    sources={
        "area_m2": "C3 lower facet 11.7 x 12.9 mm, 105.7 mm^2 (Panjabi 1993, Spine, as"
        " tabulated by Patel et al. 2007)",
        "mass_kg": "assumption: a mid-cervical vertebra with the neck above it that"
        " moves with it in a thrust",
        "body.depth_m": "assumption: 30 mm of posterior neck muscle and skin (the lumbar"
        " facets lie 31.5 mm deep, Galiano 2005)",
    },
)

LUMBAR_FACET = Preset(
    name="lumbar-facet",
    description="L5-S1 facet joint, one side, in a side-posture lumbar thrust",
    joint=_spinal(
        "lumbar-facet", area_m2=1.97e-4, mass_kg=2.0, stiffness_n_m=5e4,
        damping_n_s_m=250.0, rest_gap_m=2e-4,
        **{"capsule.compliance_m3_pa": 1.5e-12,
           "body.depth_m": 0.0315, **SPINAL_BODY}),
    loading=Thrust(preload_n=70.0, peak_force_n=200.0, thrust_time_s=0.14,
                   preload_time_s=0.3),
    sources={
        "area_m2": "L5 lower facet 15.6 x 18.4 mm, 197.3 mm^2 (Panjabi 1993, as tabulated"
        " by Patel et al. 2007)",
        "mass_kg": "assumption: the lumbar segment's effective mass in a side-posture thrust",
        "stiffness_n_m": "assumption: 50 N/mm; a lumbar capsular ligament is 36 N/mm below"
        " 25 % strain and stiffer beyond (model inputs quoted in PMC8147546)",
        "damping_n_s_m": "assumption: damping ratio about 0.4",
        "rest_gap_m": "assumption: a 0.2 mm fluid film",
        "capsule.compliance_m3_pa": "assumption: lumbar facets hold 1 ml or less and 0.3 ml"
        " of saline gives 15-40 kPa (about 1e-11 m^3/Pa inflated); stiffer under suction"
        " (Knight & Levick 1982): 1.5e-12 m^3/Pa",
        "body.depth_m": "facet joints 3.15 +- 0.5 cm below the skin, L1-S1 (Galiano 2005,"
        " Anesth Analg)",
        "body.tissue_mode_hz": _CERVICAL_CAPSULE["body.tissue_mode_hz"],
        "body.bone_mode_hz": _CERVICAL_CAPSULE["body.bone_mode_hz"],
        "body.bone_gain": _CERVICAL_CAPSULE["body.bone_gain"],
        "capsule.rest_pressure_gauge_pa": _CERVICAL_CAPSULE["capsule.rest_pressure_gauge_pa"],
        "loading": "side-posture lumbar thrust: preload 69.7 N, thrust 167 ms (J Chiropr"
        " Educ 37:73); manipulation 139 ms (Mourad 2019). Per joint: preload 70 N, peak"
        " 200 N over 140 ms (assumption: the share of one facet)",
        "fluid, nucleation": _SPINAL_FLUID_AND_NUCLEATION,
    },
)

PRESETS: dict[str, Preset] = {p.name: p for p in (
    KNUCKLE_PRESET, ATLANTO_OCCIPITAL, ATLANTO_AXIAL, MID_CERVICAL, LUMBAR_FACET)}
"""Every preset, by name."""


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ``ValueError`` listing the presets if there is none."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid choices: {', '.join(PRESETS)}")
    return PRESETS[name]


def parameter_values(preset: Preset) -> dict[str, object]:
    """Every settable name of a preset and its value: joint fields, and ``loading.X``."""
    return settable_values(preset.joint, preset.loading)


def settable_values(joint: Joint, loading: Loading) -> dict[str, object]:
    """Every settable name of a joint and its loading (``loading.X``, where the loading
    is a parameter set), and its value, as ``--set`` names them."""
    values = {row.name: row.value for row in describe(joint)}
    if isinstance(loading, Parameters):
        values |= {f"loading.{row.name}": row.value for row in describe(loading)}
    return values


def settable_names(joint: Joint, loading: Loading) -> list[str]:
    """The names of :func:`settable_values`, in its order, without their values' rows
    (a sweep configures every run: the rows took a twentieth of a run)."""
    loading_names = names(loading) if isinstance(loading, Parameters) else []
    return [*names(joint), *(f"loading.{name}" for name in loading_names)]


def configure(preset: Preset, changes: Mapping[str, object]) -> tuple[Joint, Loading]:
    """The preset's joint and loading with ``changes`` applied, each name checked.

    Joint fields are named as in :func:`cavitation.parameters.names` (dotted for
    nested sets: ``capsule.compliance_m3_pa``), the loading's as ``loading.NAME``.

    Raises
    ------
    ValueError
        On an unknown name (listing the valid ones) or an out-of-range value.
    """
    valid = settable_names(preset.joint, preset.loading)
    joint_changes: dict[str, object] = {}
    loading_changes: dict[str, object] = {}
    for name, value in changes.items():
        if name not in valid:
            raise ValueError(f"unknown parameter {name!r}; valid names: {', '.join(valid)}")
        if name.startswith("loading."):
            loading_changes[name.removeprefix("loading.")] = value
        else:
            joint_changes[name] = value
    loading = preset.loading
    if loading_changes and isinstance(loading, Parameters):  # else none is settable
        try:
            loading = replace(loading, **loading_changes)
        except ValueError as err:
            raise renamed(err, loading, "loading") from None
    return replace(preset.joint, **joint_changes), loading
