#!/usr/bin/env python3
"""Speed of the hddnn engine against ONNX Runtime (CPU), side by side, in one run.

For each model and each cell (threads x batch; by default threads 1 and 2 x batch 1 and 50):

* ONNX Runtime runs in its own Python subprocess (CPUExecutionProvider, graph optimizations
  ORT_ENABLE_ALL, intra_op_num_threads = T, inter_op_num_threads = 1, sequential execution,
  input and output bound once with IO binding so that the timed call is the inference alone);
* `hddnn bench --json` runs in its own process;
* both get the same input: the seeded generator of `hddnn bench` (an LCG, ported below), with the
  same warm-up count and the same number of timed runs. The first round sizes the cell: ORT
  measures a run, and the run count is chosen so that one engine's timed runs take about
  --target-seconds (at least 3 runs, so WRN-28-10 at batch 50 stays affordable);
* the engines alternate (round 1: ORT then hddnn; round 2: hddnn then ORT; ...), and for each
  engine the round with the lowest median is reported (median, min and p90 of that round), which
  treats both alike and discards rounds disturbed by other work on the machine;
* peak RSS is each process's own high-water mark (getrusage ru_maxrss), model loading included.
  ORT's figure includes the Python interpreter, NumPy and the onnxruntime library (their share,
  measured before the model is loaded, is in the JSON as baselineRSSMiB).

Both engines' benchmark processes run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from
the environment: this machine's environment may set them (Haswell kernels, a small L2), which
halves OpenBLAS's speed on an AVX-512 CPU, and a user's machine has neither (issue 4). ORT
does not use OpenBLAS (its kernels are MLAS), so in practice this affects hddnn only. Tests and
CI keep the environment as it is.

Also, once per model: `hddnn infer` against ORT on one input (max abs diff; pass when
|ours - ort| <= atol + rtol * |ort|, rtol 1e-3, atol 1e-4), and a profile of where hddnn's time
goes by operator kind (`hddnn bench --profile`, batch 50, 1 thread).

Writes docs/engine-vs-onnxruntime.md and docs/engine-vs-onnxruntime.json (raw results). Text the
engineers write between the markers "<!-- notes:begin -->" and "<!-- notes:end -->" in the
existing Markdown file is carried over when the file is regenerated.

The paper's networks are built once with training/export_random.py (random weights, seed 0,
3x32x32) into a cache folder and reused; the shipped Fashion-MNIST models are read from models/.

Examples:
  bench/compare-ort                                   # everything: 6 models x 4 cells
  bench/compare-ort --quick --models paper-mobilenet  # iteration: 1 thread, batch 1 and 50
  bench/compare-ort --models paper --threads 2
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTOL, ATOL = 1e-3, 1e-4
REMOVED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OLD_CORES = {"prescott", "core2", "penryn", "dunnington", "nehalem", "sandybridge", "katmai", "coppermine",
             "northwood", "banias", "atom", "opteron", "barcelona", "bobcat"}
NOTES_BEGIN, NOTES_END = "<!-- notes:begin -->", "<!-- notes:end -->"

# key, display name, where it comes from, target ratio at batch >= 50 (issue 4: 0.6 for
# ResNet-34 and WRN-28-10 at batch 50, 1.0 for every other cell).
MODELS = [
    ("paper-mobilenet", "MobileNet v1 0.5 (paper, 3x32x32, 20 classes)", "paper", 1.0),
    ("paper-resnet34", "ResNet-34 (paper, 3x32x32, 100 classes)", "paper", 0.6),
    ("paper-wrn28-10", "WRN-28-10 (paper, 3x32x32, 100 classes)", "paper", 0.6),
    ("end-mobilenet", "end-mobilenet (shipped, 1x28x28)", "shipped", 1.0),
    ("edge-resnet", "edge-resnet (shipped, 1x28x28)", "shipped", 1.0),
    ("cloud-wrn", "cloud-wrn (shipped, 1x28x28)", "shipped", 1.0),
]
MODEL_KEYS = [m[0] for m in MODELS]
GROUPS = {"paper": [m[0] for m in MODELS if m[2] == "paper"],
          "shipped": [m[0] for m in MODELS if m[2] == "shipped"], "all": MODEL_KEYS}
EXPORT_SOURCES = ["training/export_random.py", "training/models.py", "training/onnx_export.py"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Shared by both processes


def bench_input(shape: list[int], seed: int):
    """The input `hddnn bench --seed S` feeds: uniform in [-1, 1) from a 64-bit LCG, C order."""
    import numpy as np
    mask = (1 << 64) - 1
    state = (seed + 0x9E3779B97F4A7C15) & mask
    a, c = 6364136223846793005, 1442695040888963407
    n = math.prod(shape)
    out = np.empty(n, np.float64)
    for i in range(n):
        state = (state * a + c) & mask
        out[i] = state >> 40
    return (out / float(1 << 24) * 2 - 1).astype(np.float32).reshape(shape)


def concrete_shape(shape, batch: int) -> list[int]:
    """Dynamic dimensions: the batch for the first, 1 elsewhere (as `hddnn bench` does)."""
    return [d if isinstance(d, int) and d > 0 else (batch if i == 0 else 1) for i, d in enumerate(shape)]


def stats(times_ms_per_image: list[float]) -> dict:
    """Median and p90 as `hddnn bench` computes them (upper median; nearest rank)."""
    t = sorted(times_ms_per_image)
    n = len(t)
    return {"median": t[n // 2], "min": t[0], "p90": t[min(n - 1, math.ceil(n * 0.9) - 1)]}


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# ---------------------------------------------------------------------------------------------
# The ONNX Runtime worker (its own process, so that its peak RSS is its own)


def ort_worker(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="compare_ort.py ort-worker")
    p.add_argument("model")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--runs", type=int, default=0, help="0: size from --target-seconds")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target-seconds", type=float, default=3.0)
    p.add_argument("--warmup-seconds", type=float, default=0.5)
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--max-runs", type=int, default=20000)
    p.add_argument("--api", choices=["iobinding", "run"], default="iobinding")
    a = p.parse_args(argv)

    import numpy as np
    import onnxruntime as ort
    baseline = maxrss_mib()

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - t0
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise SystemExit(f"{a.model}: {len(inputs)} inputs; the comparison feeds one")
    x = bench_input(concrete_shape(inputs[0].shape, a.batch), a.seed)
    feeds = {inputs[0].name: x}
    outputs = sess.run(None, feeds)  # first run: output shapes (counts as warm-up)
    done = 1

    if a.api == "iobinding":
        binding = sess.io_binding()
        binding.bind_ortvalue_input(inputs[0].name, ort.OrtValue.ortvalue_from_numpy(x, "cpu", 0))
        outs = []
        for meta, y in zip(sess.get_outputs(), outputs):
            v = ort.OrtValue.ortvalue_from_shape_and_type(list(y.shape), y.dtype, "cpu", 0)
            binding.bind_ortvalue_output(meta.name, v)
            outs.append(v)

        def once() -> float:
            t = time.perf_counter_ns()
            sess.run_with_iobinding(binding)
            return (time.perf_counter_ns() - t) / 1e6
    else:
        def once() -> float:
            t = time.perf_counter_ns()
            sess.run(None, feeds)
            return (time.perf_counter_ns() - t) / 1e6

    times: list[float] = []
    if a.runs <= 0:  # size the cell from a measured run
        t_run = once()
        if t_run >= 1000:  # a slow model: one warm-up run is enough, and this run counts
            times.append(t_run / a.batch)
        else:
            done += 1
            t_run = once()
            done += 1
        warmup = max(done, min(20, math.ceil(a.warmup_seconds * 1000 / t_run)))
        runs = max(a.min_runs, min(a.max_runs, math.ceil(a.target_seconds * 1000 / t_run)))
    else:
        warmup, runs = max(a.warmup, done), a.runs
    for _ in range(warmup - done):
        once()
    times += [once() / a.batch for _ in range(runs - len(times))]
    print(json.dumps({
        "engine": "onnxruntime", "version": ort.__version__, "api": a.api,
        "model": a.model, "batch": a.batch, "threads": a.threads, "runs": runs, "warmup": warmup,
        "msPerImage": stats(times), "peakRSSMiB": maxrss_mib(), "baselineRSSMiB": baseline,
        "loadSeconds": load_s,
    }))


# ---------------------------------------------------------------------------------------------
# The driver


BENCH_ENV_SET: dict[str, str] = {}  # --openblas-coretype


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in REMOVED_ENV}
    env.update(BENCH_ENV_SET)
    return env


class Launcher:
    """Starts the benchmark processes from a small process.

    On Linux a process's ru_maxrss starts at its parent's resident size when it was forked (the
    kernel carries the old address space's high-water mark across fork and exec), so a benchmark
    started straight from this driver, with NumPy, ONNX Runtime and a model loaded, would report
    at least the driver's size. This helper is started before those imports and stays small; the
    JSON records its high-water mark (rssFloorMiB), the least any benchmark process can report.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "launcher"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def request(self, req: dict) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the launcher process died")
        return json.loads(line)

    def run(self, cmd: list[str], env: dict[str, str], timeout: float) -> dict:
        return self.request({"cmd": cmd, "env": env, "timeout": timeout})

    def floor_mib(self) -> float:
        return self.request({"rss": True})["maxrssMiB"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def launcher_main() -> None:
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("rss"):
            resp = {"maxrssMiB": maxrss_mib()}
        else:
            try:
                r = subprocess.run(req["cmd"], env=req["env"], capture_output=True, text=True,
                                   timeout=req["timeout"])
                resp = {"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr}
            except subprocess.TimeoutExpired:
                resp = {"rc": 124, "stdout": "", "stderr": f"timed out after {req['timeout']} s"}
            except OSError as e:
                resp = {"rc": 127, "stdout": "", "stderr": str(e)}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


LAUNCHER: Launcher | None = None


def run_json(cmd: list[str], env: dict[str, str], timeout: float = 1800) -> dict:
    t0 = time.perf_counter()
    assert LAUNCHER is not None
    r = LAUNCHER.run(cmd, env, timeout)
    if r["rc"] != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({r['rc']}):\n{r['stderr'].strip()[-3000:]}")
    start = r["stdout"].find("{")  # the JSON object is the last thing printed
    if start < 0:
        raise RuntimeError(f"{shlex.join(cmd)}: no JSON on stdout:\n{r['stdout'][-2000:]}")
    out = json.loads(r["stdout"][start:])
    out["wallSeconds"] = time.perf_counter() - t0
    return out


def run_ort(a, model: str, batch: int, threads: int, runs: int = 0, warmup: int = 2) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "ort-worker", model, "--batch", str(batch),
           "--threads", str(threads), "--runs", str(runs), "--warmup", str(warmup),
           "--seed", str(a.seed), "--target-seconds", str(a.target_seconds),
           "--warmup-seconds", str(a.warmup_seconds), "--min-runs", str(a.min_runs),
           "--api", a.ort_api]
    return run_json(cmd, bench_env())


def run_hddnn(a, model: str, batch: int, threads: int, runs: int, warmup: int,
              profile: bool = False) -> dict:
    cmd = [a.hddnn, "bench", model, "--batch", str(batch), "--threads", str(threads),
           "--runs", str(runs), "--warmup", str(warmup), "--seed", str(a.seed), "--json"]
    if profile:
        cmd.append("--profile")
    return run_json(cmd, bench_env())


def file_hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def paper_models(a, keys: list[str]) -> dict[str, str]:
    """Export the selected paper networks into the cache folder unless already there."""
    os.makedirs(a.cache_dir, exist_ok=True)
    stamp_path = os.path.join(a.cache_dir, "compare-ort-stamp.json")
    recipe = {p: file_hash(os.path.join(ROOT, p)) for p in EXPORT_SOURCES if os.path.exists(os.path.join(ROOT, p))}
    try:
        with open(stamp_path) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        stamp = {}
    paths = {k: os.path.join(a.cache_dir, f"{k}.onnx") for k in keys}
    missing = [k for k in keys if a.rebuild_models or not os.path.exists(paths[k])
               or stamp.get(k) != recipe]
    if missing:
        log(f"building {', '.join(missing)} into {a.cache_dir} (training/export_random.py, seed 0)")
        subprocess.run([sys.executable, os.path.join(ROOT, "training/export_random.py"),
                        "--out", a.cache_dir, "--models", *missing, "--no-check"], check=True,
                       stdout=sys.stderr)
        for k in missing:
            stamp[k] = recipe
        with open(stamp_path, "w") as f:
            json.dump(stamp, f, indent=1)
    else:
        log(f"reusing {', '.join(keys)} from {a.cache_dir}")
    return paths


def parity(a, path: str, workdir: str) -> dict:
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = bench_input(concrete_shape(inp.shape, a.parity_batch), a.seed)
    xp, yp = os.path.join(workdir, "x.npy"), os.path.join(workdir, "y.npy")
    np.save(xp, x)
    ref = sess.run(None, {inp.name: x})[0]
    r = subprocess.run([a.hddnn, "infer", path, "--input", xp, "--output", yp, "--threads", str(a.parity_threads)],
                       env=bench_env(), capture_output=True, text=True)
    if r.returncode != 0:
        return {"ok": False, "error": r.stderr.strip()[-1000:], "batch": a.parity_batch}
    y = np.load(yp)
    if y.shape != ref.shape:
        return {"ok": False, "error": f"shape {list(y.shape)} vs ORT {list(ref.shape)}", "batch": a.parity_batch}
    diff = np.abs(y.astype(np.float64) - ref.astype(np.float64))
    bound = ATOL + RTOL * np.abs(ref.astype(np.float64))
    return {"ok": bool(np.all(diff <= bound)), "maxAbsDiff": float(diff.max()),
            "worstDiffOverBound": float((diff / bound).max()), "batch": a.parity_batch,
            "shape": list(ref.shape), "rtol": RTOL, "atol": ATOL}


def machine_info() -> dict:
    info: dict = {"platform": platform.platform(), "python": platform.python_version()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        fields = dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        flags = set(fields.get("Flags", "").split())
        info.update({
            "cpu": fields.get("Model name", "?"), "cpus": fields.get("CPU(s)", "?"),
            "threadsPerCore": fields.get("Thread(s) per core", "?"),
            "l2": fields.get("L2 cache", "?"), "l3": fields.get("L3 cache", "?"),
            "hypervisor": fields.get("Hypervisor vendor", ""),
            "flags": [f for f in ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16",
                                  "amx_tile", "amx_bf16", "amx_int8"] if f in flags],
        })
    except OSError:
        info["cpu"] = platform.processor() or "?"
    try:
        with open("/proc/meminfo") as f:
            kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        info["memoryGiB"] = round(kib / 2**20, 1)
    except (OSError, AttributeError):
        pass
    return info


def git_info() -> dict:
    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    dirty = git("status", "--porcelain", "--", "Sources", "Package.swift")
    return {"commit": git("rev-parse", "--short=10", "HEAD"), "engineSourcesModified": bool(dirty)}


# ---------------------------------------------------------------------------------------------
# Report


def fms(v: float) -> str:
    if v < 1:
        return f"{v:.3f}"
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:.0f}"


def fstats(s: dict) -> str:
    return f"{fms(s['median'])} ({fms(s['min'])} / {fms(s['p90'])})"


def fparity(p: dict | None) -> str:
    if p is None:
        return "not run"
    if "error" in p:
        return "**fails**: " + p["error"].splitlines()[-1][:80]
    return ("ok" if p["ok"] else "**fails**") + f", max abs diff {p['maxAbsDiff']:.1e}"


def old_notes(path: str) -> str | None:
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    i, j = text.find(NOTES_BEGIN), text.find(NOTES_END)
    if i < 0 or j < i:
        return None
    return text[i + len(NOTES_BEGIN):j].strip("\n")


def write_doc(path: str, res: dict) -> None:
    meta, cells = res["meta"], res["cells"]
    m = meta["machine"]
    names = {k: n for k, n, _, _ in MODELS}
    L: list[str] = []
    L.append("# Engine speed: hddnn against ONNX Runtime on CPU")
    L.append("")
    L.append(f"Generated by `bench/compare-ort` on {meta['date']}; do not edit by hand except between the "
             "notes markers in \"Cells not met\", which regeneration keeps. Raw results: "
             f"[{os.path.basename(meta['jsonPath'])}]({os.path.basename(meta['jsonPath'])}). Targets and "
             "levers: issue 4.")
    L.append("")
    if meta["quick"]:
        L.append("> **Quick run** (`--quick`: 1 thread, fewer runs, one round): for iteration only; not "
                 "the comparison of record.")
        L.append("")
    if meta["loadAverage"]["start"][0] > 0.5 or meta["loadAverage"]["end"][0] > 0.5:
        L.append(f"> The machine was not quiet: load average {meta['loadAverage']['start'][0]:.2f} at the start, "
                 f"{meta['loadAverage']['end'][0]:.2f} at the end (1-minute). Treat the figures with care.")
        L.append("")
    L.append("## Conditions")
    L.append("")
    L.append(f"- Command: `{meta['command']}` (took {meta['wallMinutes']:.1f} min)")
    L.append(f"- Machine: {m.get('cpu', '?')}, {m.get('cpus', '?')} CPUs"
             f"{' (' + m['hypervisor'] + ' guest)' if m.get('hypervisor') else ''}, L2 {m.get('l2', '?')}, "
             f"L3 {m.get('l3', '?')}, {m.get('memoryGiB', '?')} GiB; flags: {', '.join(m.get('flags', [])) or 'none of avx2/avx512/amx'}; "
             f"{m.get('platform', '')}")
    L.append(f"- Load average (1/5/15 min): start {' / '.join(f'{x:.2f}' for x in meta['loadAverage']['start'])}, "
             f"end {' / '.join(f'{x:.2f}' for x in meta['loadAverage']['end'])}")
    L.append(f"- ONNX Runtime {meta['ort']['version']} (Python {m.get('python')}, NumPy {meta['ort']['numpy']}): "
             "CPUExecutionProvider, graph optimizations ORT_ENABLE_ALL, intra_op_num_threads = T, "
             f"inter_op_num_threads = 1, sequential; timed call `{'run_with_iobinding' if meta['ortApi'] == 'iobinding' else 'run'}`"
             f"{' (input and outputs bound once, so no per-call copies)' if meta['ortApi'] == 'iobinding' else ''}.")
    L.append(f"- hddnn: `{meta['hddnn']['path']}` (built {meta['hddnn']['mtime']}, sha256 {meta['hddnn']['sha256'][:12]}), "
             f"repository at {meta['git']['commit']}"
             f"{' with uncommitted engine changes' if meta['git']['engineSourcesModified'] else ''}; "
             f"BLAS/kernels: `{meta['hddnn']['blas']}`")
    removed = ", ".join(f"{k}={v}" for k, v in meta["removedEnv"].items()) or "neither was set"
    forced = meta.get("setEnv") or {}
    L.append("- Environment: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are **unset** in every benchmark process, "
             "ORT's and hddnn's alike (issue 4: this machine's environment may pin OpenBLAS to Haswell kernels "
             "and a small L2, which halves its speed on an AVX-512 CPU; a user's machine has neither). ORT does "
             f"not use OpenBLAS (MLAS kernels), so this matters to hddnn only. In the calling environment: {removed}."
             + (f" **This run set {', '.join(f'{k}={v}' for k, v in forced.items())}** (`--openblas-coretype`) "
                "in both engines' processes." if forced else ""))
    core = meta["hddnn"].get("openblasCore")
    if core and "avx512f" in m.get("flags", []) and core.lower() in OLD_CORES:
        L.append(f"- Note: with the variables unset, this OpenBLAS build chose its `{core}` kernels on an AVX-512 "
                 "CPU it does not recognise; a newer OpenBLAS (or `--openblas-coretype SkylakeX`) would pick "
                 "AVX-512 kernels. This affects hddnn only where it calls OpenBLAS.")
    L.append(f"- Method: each engine in its own process per cell; same input (the seeded generator of "
             f"`hddnn bench`, seed {meta['seed']}), same warm-up and number of timed runs (sized so one engine's "
             f"timed runs take about {meta['targetSeconds']} s, at least {meta['minRuns']}); {meta['rounds']} "
             "round(s) alternating which engine goes first; per engine the round with the lowest median is "
             "reported. ms/image = time of one batch / batch size: median (min / p90).")
    L.append("- Peak RSS: each process's high-water mark (getrusage), model loading included. ORT's includes the "
             "Python interpreter, NumPy and the onnxruntime library "
             f"(about {meta['ortBaselineRSSMiB']:.0f} MiB before the model is loaded). Both are started from a "
             f"small launcher ({meta['rssFloorMiB']:.0f} MiB), since on Linux a child's ru_maxrss starts at its "
             "parent's size.")
    L.append(f"- Parity: `hddnn infer` against ORT on the same input (batch {meta['parityBatch']}, "
             f"{meta.get('parityThreads', 1)} hddnn thread(s)); "
             f"pass when |hddnn - ORT| <= {ATOL:g} + {RTOL:g} |ORT| everywhere.")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("| model | threads | batch | ORT ms/image | hddnn ms/image | hddnn/ORT | target | met? | "
             "peak RSS MiB ORT / hddnn | RSS met? | parity |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|")
    for c in cells:
        o, h = c["ort"], c["hddnn"]
        L.append(f"| {names[c['model']]} | {c['threads']} | {c['batch']} | {fstats(o['msPerImage'])} | "
                 f"{fstats(h['msPerImage'])} | {c['ratio']:.2f} | {c['target']:.1f} | "
                 f"{'yes' if c['met'] else '**no**'} | {o['peakRSSMiB']:.0f} / {h['peakRSSMiB']:.0f} | "
                 f"{'yes' if c['rssMet'] else '**no**'} | {fparity(res['parity'].get(c['model']))} |")
    L.append("")
    n_met = sum(c["met"] for c in cells)
    n_rss = sum(c["rssMet"] for c in cells)
    par = res["parity"]
    n_par = sum(1 for p in par.values() if p.get("ok"))
    L.append(f"Speed target met in {n_met} of {len(cells)} cells; peak RSS at most ORT's in {n_rss} of "
             f"{len(cells)}; outputs within tolerance for {n_par} of {len(par)} models.")
    L.append("")
    L.append("GFLOP/s (hddnn's count of convolution and matrix-product MACs x 2, for both engines):")
    L.append("")
    L.append("| model | threads | batch | ORT GFLOP/s | hddnn GFLOP/s |")
    L.append("|---|---:|---:|---:|---:|")
    for c in cells:
        L.append(f"| {names[c['model']]} | {c['threads']} | {c['batch']} | {c['ort']['gflops']:.1f} | "
                 f"{c['hddnn']['gflops']:.1f} |")
    L.append("")

    L.append("## Cells not met")
    L.append("")
    misses = []
    for c in cells:
        label = f"{names[c['model']]}, {c['threads']} thread{'s' if c['threads'] > 1 else ''}, batch {c['batch']}"
        o, h = c["ort"]["msPerImage"]["median"], c["hddnn"]["msPerImage"]["median"]
        if not c["met"]:
            goal = c["target"] * o
            misses.append(f"- {label}: hddnn {fms(h)} ms/image, ORT {fms(o)}: ratio {c['ratio']:.2f} against "
                          f"target {c['target']:.1f}, {c['ratio'] / c['target']:.2f}x over; meeting it needs "
                          f"<= {fms(goal)} ms/image, {100 * (1 - goal / h):.0f}% less time.")
        if not c["rssMet"]:
            ro, rh = c["ort"]["peakRSSMiB"], c["hddnn"]["peakRSSMiB"]
            misses.append(f"- {label}, peak RSS: hddnn {rh:.0f} MiB, ORT {ro:.0f} MiB ({rh - ro:+.0f} MiB, "
                          f"{rh / ro:.2f}x).")
    for k, p in par.items():
        if not p.get("ok"):
            misses.append(f"- {names[k]}, parity: {fparity(p)}"
                          + (f" (worst element at {p['worstDiffOverBound']:.1f}x the tolerance)" if "worstDiffOverBound" in p else ""))
    L.extend(misses or ["None: every measured cell meets its speed and memory targets, and every output agrees."])
    L.append("")
    L.append("What would close them (written by the engineers; kept when this file is regenerated):")
    L.append("")
    L.append(NOTES_BEGIN)
    L.append(res.get("notes") or "_Not written yet._")
    L.append(NOTES_END)
    L.append("")

    L.append("## Where hddnn's time goes")
    L.append("")
    if not res["profiles"]:
        L.append("Not profiled in this run (`--no-profile`).")
    for k, pr in res["profiles"].items():
        prof = pr.get("profile") or {}
        total = sum(prof.values())
        med = pr["msPerImage"]["median"]
        L.append(f"### {names[k]}")
        L.append("")
        L.append(f"`hddnn bench --profile`, batch {pr['batch']}, {pr['threads']} thread, {pr['runs']} runs: "
                 f"timed median {fms(med)} ms/image; operators sum to {fms(total)} ms/image in the observed runs"
                 + (f" (about {fms(med - total)} ms/image, {100 * (med - total) / med:.0f}%, outside operator kernels)"
                    if med > total else "") + ".")
        L.append("")
        L.append("| operator kind | ms/image | share |")
        L.append("|---|---:|---:|")
        for op, ms in sorted(prof.items(), key=lambda kv: -kv[1]):
            L.append(f"| {op} | {fms(ms)} | {100 * ms / total:.1f}% |")
        L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/compare-ort", description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="iteration mode: 1 thread, batch 1 and 50, one round, ~0.75 s per engine and cell")
    p.add_argument("--models", nargs="+", default=["all"], metavar="MODEL",
                   help=f"models or groups (comma or space separated): {', '.join(MODEL_KEYS)}; "
                        "paper, shipped, all (default all)")
    p.add_argument("--threads", nargs="+", type=int, default=None, help="thread counts (default 1 2; quick: 1)")
    p.add_argument("--batches", nargs="+", type=int, default=None, help="batch sizes (default 1 50)")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds per cell (default 2; quick: 1)")
    p.add_argument("--target-seconds", type=float, default=None,
                   help="timed seconds per engine, cell and round (default 3; quick: 0.75)")
    p.add_argument("--min-runs", type=int, default=3, help="fewest timed runs in a cell (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the input (default 0)")
    p.add_argument("--parity-batch", type=int, default=16,
                   help="batch of the output check (default 16: enough for every batched path, "
                        "Winograd, dense small planes, the batch split)")
    p.add_argument("--parity-threads", type=int, default=2, help="hddnn threads in the output check (default 2)")
    p.add_argument("--no-profile", dest="profile", action="store_false", help="skip the per-operator profile")
    p.add_argument("--ort-api", choices=["iobinding", "run"], default="iobinding",
                   help="ORT's timed call: run_with_iobinding with pre-bound tensors (default) or run()")
    p.add_argument("--openblas-coretype", default=None, metavar="NAME",
                   help="set OPENBLAS_CORETYPE=NAME in both engines' processes (default: unset, as issue 4 asks)")
    p.add_argument("--hddnn", default=os.path.join(ROOT, ".build/release/hddnn"), help="the hddnn binary")
    p.add_argument("--cache-dir", default=os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                                       "hddnn", "paper-models"),
                   help="where the paper networks are built and reused")
    p.add_argument("--rebuild-models", action="store_true", help="export the paper networks again")
    p.add_argument("--out", default=os.path.join(ROOT, "docs/engine-vs-onnxruntime.md"), help="Markdown report")
    p.add_argument("--json-out", default=None, help="raw results (default: --out with .json)")
    a = p.parse_args(argv)
    keys: list[str] = []
    for item in a.models:
        for k in filter(None, item.split(",")):
            if k in GROUPS:
                keys += GROUPS[k]
            elif k in MODEL_KEYS:
                keys.append(k)
            else:
                p.error(f"unknown model {k!r}; choose from {', '.join(MODEL_KEYS)}, paper, shipped, all")
    a.model_keys = [k for k in MODEL_KEYS if k in keys]
    a.threads = a.threads or ([1] if a.quick else [1, 2])
    a.batches = a.batches or [1, 50]
    a.rounds = a.rounds or (1 if a.quick else 2)
    a.target_seconds = a.target_seconds or (0.75 if a.quick else 3.0)
    a.warmup_seconds = 0.25 if a.quick else 0.5
    a.json_out = a.json_out or os.path.splitext(a.out)[0] + ".json"
    if not os.access(a.hddnn, os.X_OK):
        p.error(f"no hddnn binary at {a.hddnn}; build it with `swift build -c release` or pass --hddnn")
    return a


def main(argv: list[str]) -> None:
    global LAUNCHER
    if argv and argv[0] == "ort-worker":
        ort_worker(argv[1:])
        return
    if argv and argv[0] == "launcher":
        launcher_main()
        return
    a = parse_args(argv)
    LAUNCHER = Launcher()  # before NumPy and ONNX Runtime are loaded here: see Launcher
    import numpy as np
    import onnxruntime as ort

    started = time.perf_counter()
    load_start = list(os.getloadavg())
    if load_start[0] > 0.5:
        log(f"warning: load average {load_start[0]:.2f}; other work on the machine will disturb the timings")
    removed = {k: os.environ[k] for k in REMOVED_ENV if k in os.environ}
    if a.openblas_coretype:
        BENCH_ENV_SET["OPENBLAS_CORETYPE"] = a.openblas_coretype
    log(f"benchmark processes run without {', '.join(REMOVED_ENV)}"
        + (f" (here: {', '.join(f'{k}={v}' for k, v in removed.items())})" if removed else ""))

    paths = {}
    paper_keys = [k for k in a.model_keys if k in GROUPS["paper"]]
    if paper_keys:
        paths.update(paper_models(a, paper_keys))
    for k in a.model_keys:
        if k in GROUPS["shipped"]:
            paths[k] = os.path.join(ROOT, "models", f"{k}.onnx")
            if not os.path.exists(paths[k]):
                raise SystemExit(f"missing {paths[k]} (see docs/trained-models.md)")

    cells, par, profiles = [], {}, {}
    targets = {k: t for k, _, _, t in MODELS}
    plan = [(k, t, b) for k in a.model_keys for t in a.threads for b in a.batches]
    blas = None
    ort_baseline = None
    with tempfile.TemporaryDirectory(prefix="compare-ort-") as work:
        i = 0
        for k in a.model_keys:
            path = paths[k]
            log(f"== {k}: {path}")
            par[k] = parity(a, path, work)
            log(f"   parity: {fparity(par[k])}")
            sizing = {}
            for t in a.threads:
                for b in a.batches:
                    i += 1
                    rounds = {"ort": [], "hddnn": []}
                    runs = warmup = None
                    for r in range(a.rounds):
                        order = ["ort", "hddnn"] if r % 2 == 0 else ["hddnn", "ort"]
                        for eng in order:
                            if eng == "ort":
                                res = run_ort(a, path, b, t, runs or 0, warmup or 2)
                                runs, warmup = res["runs"], res["warmup"]
                            else:
                                res = run_hddnn(a, path, b, t, runs, warmup)
                                blas = blas or res.get("blas")
                            rounds[eng].append(res)
                    best = {e: min(rs, key=lambda x: x["msPerImage"]["median"]) for e, rs in rounds.items()}
                    macs = best["hddnn"].get("macsPerImage", 0)
                    for e in best:
                        best[e] = dict(best[e])
                        best[e]["gflops"] = 2 * macs / (best[e]["msPerImage"]["median"] * 1e6)
                        best[e]["peakRSSMiB"] = max(x["peakRSSMiB"] for x in rounds[e])
                    ort_baseline = ort_baseline or best["ort"].get("baselineRSSMiB")
                    target = targets[k] if b >= 50 else 1.0
                    ratio = best["hddnn"]["msPerImage"]["median"] / best["ort"]["msPerImage"]["median"]
                    cell = {"model": k, "path": path, "threads": t, "batch": b, "runs": runs, "warmup": warmup,
                            "ort": best["ort"], "hddnn": best["hddnn"], "ratio": ratio, "target": target,
                            "met": ratio <= target,
                            "rssMet": best["hddnn"]["peakRSSMiB"] <= best["ort"]["peakRSSMiB"],
                            "rounds": rounds}
                    cells.append(cell)
                    sizing[(t, b)] = runs
                    log(f"[{i}/{len(plan)}] {k} threads {t} batch {b} ({runs} runs x {a.rounds}): "
                        f"ORT {fms(best['ort']['msPerImage']['median'])} ms/image, hddnn "
                        f"{fms(best['hddnn']['msPerImage']['median'])}: {ratio:.2f}x (target {target:.1f}: "
                        f"{'met' if ratio <= target else 'NOT met'}); RSS {best['ort']['peakRSSMiB']:.0f} / "
                        f"{best['hddnn']['peakRSSMiB']:.0f} MiB")
            if a.profile:
                pruns = max(2, math.ceil((sizing.get((1, 50)) or 2) / 2))
                profiles[k] = run_hddnn(a, path, 50, 1, pruns, 1, profile=True)
                top = sorted((profiles[k].get("profile") or {}).items(), key=lambda kv: -kv[1])[:4]
                log(f"   profile (batch 50, 1 thread): " + ", ".join(f"{op} {fms(ms)}" for op, ms in top))

    rss_floor = LAUNCHER.floor_mib()
    LAUNCHER.close()
    binary = os.path.realpath(a.hddnn)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(["bench/compare-ort", *argv]),
        "quick": a.quick, "models": a.model_keys, "threads": a.threads, "batches": a.batches,
        "rounds": a.rounds, "targetSeconds": a.target_seconds, "minRuns": a.min_runs, "seed": a.seed,
        "parityBatch": a.parity_batch, "parityThreads": a.parity_threads, "ortApi": a.ort_api, "removedEnv": removed, "setEnv": dict(BENCH_ENV_SET),
        "machine": machine_info(), "git": git_info(),
        "ort": {"version": ort.__version__, "numpy": np.__version__},
        "ortBaselineRSSMiB": ort_baseline or 0.0, "rssFloorMiB": rss_floor,
        "hddnn": {"path": os.path.relpath(binary, ROOT) if binary.startswith(ROOT) else binary,
                  "blas": blas or "?", "openblasCore": (re.search(r"core=(\w+)", blas or "") or [None, None])[1],
                  "sha256": file_hash(binary),
                  "mtime": datetime.datetime.fromtimestamp(os.path.getmtime(binary), datetime.timezone.utc)
                  .strftime("%Y-%m-%d %H:%M UTC")},
        "loadAverage": {"start": load_start, "end": list(os.getloadavg())},
        "wallMinutes": (time.perf_counter() - started) / 60,
        "jsonPath": os.path.relpath(a.json_out, ROOT),
    }
    results = {"meta": meta, "cells": cells, "parity": par, "profiles": profiles,
               "notes": old_notes(a.out)}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    write_doc(a.out, results)
    with open(a.json_out, "w") as f:
        json.dump({k: v for k, v in results.items() if k != "notes"}, f, indent=1)
        f.write("\n")
    log(f"wrote {a.out} and {a.json_out} ({meta['wallMinutes']:.1f} min)")


if __name__ == "__main__":
    main(sys.argv[1:])
