"""Fuzz the whole chain over every documented range: what comes out of N random cases.

Run: ``python benchmarks/fuzz.py [--cases 2000] [--seed 0] [--budget 20] [--jobs 2]``.
Each case is one preset with some of its parameters (joint and loading) drawn over
their valid ranges (log-uniform where a range spans decades, its ends included now and
then), a listener, a distance, a sample rate, a level and a sample format, rendered and
saved as ``cavitation render`` would. Every case runs in its own process with a budget
of wall time. The outcomes:

- ``cracked`` / ``no crack``: a rendering written;
- ``documented error``: a ``ValueError`` (a named parameter, the calibration clipping, a
  crack below the format's resolution);
- ``too stiff (documented)``: an ``IntegrationError``, the integrators failing or past
  their budget, counted apart so that it can be watched;
- ``traceback``: any other exception: a defect;
- ``over budget``: killed after ``--budget`` seconds: a defect;
- ``silent crack``: reported cracked, yet the file holds only zeros: a defect.

The cases behind every defect are written to ``--log`` (JSON lines), to be replayed
with ``--replay``. Measured here, never asserted in tests: the suite keeps a small
seeded slice (``tests/test_robustness.py``).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import multiprocessing as mp
import tempfile
import time
import traceback
from queue import Empty

import numpy as np

from cavitation import audio, listener
from cavitation.bubble import IntegrationError
from cavitation.presets import PRESETS, configure, get_preset
from cavitation.render import AudioSettings, render, save

#: Chance that any one parameter is drawn rather than left at the preset's value.
DRAWN = 0.3
#: Chance that a drawn parameter sits on one end of its range.
AT_AN_END = 0.1


def _draw(low: float, high: float, rng: np.random.Generator) -> float:
    if rng.random() < AT_AN_END:
        return float(low if rng.random() < 0.5 else high)
    if low > 0 and high / low > 100:
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    return float(rng.uniform(low, high))


def _ranges(preset_name: str) -> dict[str, tuple[float, float]]:
    """Every numeric parameter of a preset (joint and loading) with its valid range."""
    import dataclasses

    preset = get_preset(preset_name)
    ranges = {}
    for params, prefix in ((preset.joint, ""), (preset.loading, "loading.")):
        stack = [(params, prefix)]
        while stack:
            obj, pre = stack.pop()
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if dataclasses.is_dataclass(value):
                    stack.append((value, f"{pre}{f.name}."))
                elif "low" in f.metadata and isinstance(value, float):
                    low, high = f.metadata["low"], f.metadata["high"]
                    low = max(low, -1e12)
                    high = min(high, 1e12)
                    if f.metadata.get("low_open"):
                        low = low + abs(low) * 1e-6 + 1e-12
                    if f.metadata.get("high_open"):
                        high = high - abs(high) * 1e-6
                    ranges[f"{pre}{f.name}"] = (low, high)
    return ranges


#: The file's shape, drawn over the ranges of AudioSettings: padding, trimming and the
#: loudness target (used by the level "loudness"); channels apart.
SHAPES = {"pad_before_s": (0.0, 5.0), "pad_after_s": (0.0, 5.0), "trim_db": (0.0, 120.0),
          "target_loudness_lufs": (-70.0, 0.0)}


def draw_case(rng: np.random.Generator) -> dict:
    """One case: a preset, its changes, and how it is heard and saved."""
    preset = str(rng.choice(list(PRESETS)))
    changes = {name: _draw(low, high, rng) for name, (low, high) in _ranges(preset).items()
               if rng.random() < DRAWN}
    file_format = str(rng.choice(["wav", "flac"]))
    subtypes = ["PCM_16", "PCM_24"] + (["FLOAT"] if file_format == "wav" else [])
    shape = {name: _draw(low, high, rng) for name, (low, high) in SHAPES.items()
             if rng.random() < DRAWN}
    if rng.random() < DRAWN:
        shape["channels"] = int(rng.integers(0, 3))
    return {"preset": preset, "set": changes,
            "listener": str(rng.choice(listener.LISTENERS)),
            "distance_m": _draw(0.01, 100.0, rng),
            "samplerate_hz": int(rng.choice(audio.SAMPLERATES_HZ)),
            "level": str(rng.choice(audio.LEVELS)),
            "format": file_format, "subtype": str(rng.choice(subtypes)), "shape": shape}


def run_case(case: dict) -> dict:
    """Render and save one case; its outcome (see the module notes)."""
    try:
        joint, loading = configure(get_preset(case["preset"]), case["set"])
        rendering = render(joint, loading, listener_kind=case["listener"],
                           samplerate_hz=case["samplerate_hz"], level=case["level"],
                           settings=AudioSettings(air_distance_m=case["distance_m"],
                                                  **case.get("shape", {})))
        with tempfile.TemporaryDirectory() as out:
            save(rendering, out, "case", file_format=case["format"],
                 subtype=case["subtype"], figures=())
    except IntegrationError as err:
        return {"outcome": "too stiff (documented)", "detail": str(err)[:160]}
    except ValueError as err:
        return {"outcome": "documented error", "detail": str(err).split(";")[0][:120]}
    except Exception as err:
        return {"outcome": "traceback", "detail": f"{type(err).__name__}: {err}"[:200],
                "trace": traceback.format_exc()[-1500:]}
    if not rendering.crack.cracked:
        return {"outcome": "no crack"}
    if not np.any(rendering.samples):
        return {"outcome": "silent crack"}
    return {"outcome": "cracked"}


def _worker(case: dict, queue) -> None:
    queue.put(run_case(case))


def warm_up() -> None:
    """Run every preset once here, so that each forked case starts with the compiled
    code loaded (loading it costs each new process about 0.8 s, ten times a case)."""
    for preset in PRESETS:
        run_case({"preset": preset, "set": {}, "listener": listener.LISTENERS[0],
                  "distance_m": 0.1, "samplerate_hz": audio.SAMPLERATES_HZ[0],
                  "level": audio.LEVELS[0], "format": "wav", "subtype": "PCM_24"})


DEFECTS = ("traceback", "over budget", "silent crack")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once")
    parser.add_argument("--log", default="fuzz_defects.jsonl",
                        help="where the defective cases go (JSON lines)")
    parser.add_argument("--replay", default=None, metavar="FILE",
                        help="run the cases of an earlier --log instead of drawing")
    args = parser.parse_args()
    if args.replay:
        with open(args.replay) as f:
            cases = [json.loads(line)["case"] for line in f if line.strip()]
    else:
        streams = np.random.SeedSequence(args.seed).spawn(args.cases)
        cases = [draw_case(np.random.default_rng(s)) for s in streams]
    warm_up()
    counts: collections.Counter = collections.Counter()
    seconds = []
    start = time.perf_counter()
    with open(args.log, "w") as log:
        pending: list = []
        index = 0
        ctx = mp.get_context("fork")
        while index < len(cases) or pending:
            while index < len(cases) and len(pending) < args.jobs:
                queue = ctx.Queue()
                process = ctx.Process(target=_worker, args=(cases[index], queue))
                process.start()
                pending.append((index, process, queue, time.perf_counter()))
                index += 1
            time.sleep(0.01)
            for item in list(pending):
                i, process, queue, began = item
                elapsed = time.perf_counter() - began
                if process.is_alive() and elapsed < args.budget:
                    try:
                        result = queue.get_nowait()
                    except Empty:  # not finished yet
                        continue
                elif process.is_alive():
                    process.kill()
                    result = {"outcome": "over budget"}
                else:
                    try:
                        result = queue.get(timeout=1.0)
                    except Empty:  # not finished yet
                        result = {"outcome": "traceback", "detail": f"exit {process.exitcode}"}
                process.join()
                pending.remove(item)
                result["seconds"] = elapsed
                counts[result["outcome"]] += 1
                seconds.append(elapsed)
                if result["outcome"] in DEFECTS:
                    log.write(json.dumps({"case": cases[i], **result}) + "\n")
                    log.flush()
                done = sum(counts.values())
                if done % 100 == 0:
                    so_far = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                    print(f"{done}/{len(cases)} cases, {time.perf_counter() - start:.0f} s:"
                          f" {so_far}", flush=True)
    print(f"\n{len(cases)} cases (seed {args.seed}, budget {args.budget:g} s each):\n")
    print("| outcome | cases |\n|---|---|")
    for outcome in ("cracked", "no crack", "documented error", "too stiff (documented)",
                    *DEFECTS):
        print(f"| {outcome} | {counts.get(outcome, 0)} |")
    seconds = np.array(seconds)
    print(f"| over 5 s (of all) | {np.count_nonzero(seconds > 5.0)} |")
    print(f"\nWall time per case: median {np.median(seconds):.3f} s, 99th percentile"
          f" {np.percentile(seconds, 99):.2f} s, longest {seconds.max():.1f} s;"
          f" {len(cases) / (time.perf_counter() - start):.0f} cases/s")
    print(f"\nDefective cases: {args.log}")


if __name__ == "__main__":
    main()
