"""Benchmark: balm's growth model against statsmodels MixedLM and R's lme4.

Simulates a large evaluation data set (by default 10,000 participants x 13 weekly
timepoints, weeks 0-12, some observations missing at random), fits
``score ~ week + (week | participant)`` by REML with

- balm (:func:`balm.change.mixed.fit_growth_model`),
- statsmodels ``MixedLM`` (about a minute at this size; ``--no-statsmodels`` skips it),
- R's lme4 via ``Rscript`` when it is installed (only the ``lmer`` call is timed,
  inside R, with ``system.time``; ``--no-r`` skips it),

and prints the wall-clock times and the largest absolute difference between balm's
estimates (fixed effects, random-effect SDs and correlation, residual SD) and each
other implementation's, plus the difference in log-likelihood.  It measures and
prints; it never asserts a timing.

Run: ``python bench/change_mixed.py [--participants 10000] [--no-statsmodels]``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from balm.change.mixed import GrowthModelResult, empirical_bayes_slopes, fit_growth_model

R_SCRIPT = """
if (!requireNamespace("lme4", quietly = TRUE)) {
  cat("NO_LME4\\n")
  quit(status = 3)
}
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$pid <- factor(d$pid)
tm <- system.time(m <- lmer(score ~ week + (week | pid), data = d, REML = TRUE))
vc <- as.data.frame(VarCorr(m))
cat("elapsed", tm[["elapsed"]], "\\n")
cat("fixef", sprintf("%.12g", fixef(m)), "\\n")
cat("sdcor", sprintf("%.12g", vc$sdcor), "\\n")
cat("loglik", sprintf("%.12g", as.numeric(logLik(m))), "\\n")
cat("version", as.character(packageVersion("lme4")), "\\n")
"""


def simulate(participants: int, weeks: int, missing: float, seed: int) -> pd.DataFrame:
    """Weekly scores with correlated random intercepts and slopes, MCAR missingness."""
    rng = np.random.default_rng(seed)
    cov = np.array([[16.0, -0.4], [-0.4, 0.25]])  # SD 4 and 0.5, correlation -0.2
    effects = rng.multivariate_normal([0.0, 0.0], cov, size=participants)
    pid = np.repeat(np.arange(participants), weeks)
    week = np.tile(np.arange(weeks), participants).astype(float)
    score = (
        20.0
        + effects[pid, 0]
        + (-0.8 + effects[pid, 1]) * week
        + rng.normal(0.0, 3.0, participants * weeks)
    )
    frame = pd.DataFrame({"pid": pid, "week": week, "score": score})
    return frame[rng.random(len(frame)) >= missing].reset_index(drop=True)


def _estimates(result: GrowthModelResult) -> dict[str, float]:
    return {
        "intercept": float(result.fixed_effects.loc["intercept", "estimate"]),
        "week": float(result.fixed_effects.loc["week", "estimate"]),
        "sd_intercept": result.sd_intercept,
        "sd_slope": result.sd_slope,
        "corr": result.corr,
        "sd_residual": result.sd_residual,
    }


def _max_difference(ours: dict[str, float], other: dict[str, float]) -> tuple[float, str]:
    worst, name = 0.0, ""
    for key, value in ours.items():
        if key == "loglik":
            continue
        difference = abs(value - other[key])
        if difference >= worst:
            worst, name = difference, key
    return worst, name


def _report(label: str, ours: dict[str, float], other: dict[str, float], loglik: float) -> None:
    worst, name = _max_difference(ours, other)
    print(f"  max |balm - {label}| over estimates: {worst:.3g} (in {name})")
    print(f"  log-likelihood balm - {label}: {ours['loglik'] - loglik:+.3g}")


def run_balm(frame: pd.DataFrame, repeats: int) -> tuple[GrowthModelResult, list[float]]:
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit_growth_model(frame, id="pid", time="week", outcome="score")
        times.append(time.perf_counter() - start)
    assert result is not None
    return result, times


def run_statsmodels(frame: pd.DataFrame, method: str) -> tuple[dict[str, float], float, list[str]]:
    import statsmodels.formula.api as smf

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = smf.mixedlm("score ~ week", frame, groups=frame["pid"], re_formula="~week")
        # "default" leaves statsmodels' own optimiser sequence (bfgs, lbfgs, cg).
        fit = model.fit(reml=True, method=None if method == "default" else method)
    elapsed = time.perf_counter() - start
    cov = fit.cov_re.to_numpy()
    estimates = {
        "intercept": float(fit.fe_params["Intercept"]),
        "week": float(fit.fe_params["week"]),
        "sd_intercept": math.sqrt(cov[0, 0]),
        "sd_slope": math.sqrt(cov[1, 1]),
        "corr": cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]),
        "sd_residual": math.sqrt(fit.scale),
        "loglik": float(fit.llf),
    }
    return estimates, elapsed, sorted({str(w.message) for w in caught})


def run_lme4(frame: pd.DataFrame) -> tuple[dict[str, float], float, str] | str:
    """Fit with lme4 through Rscript; return estimates, lmer time and version, or why not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found on PATH"
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "data.csv"
        script_path = Path(tmp) / "fit.R"
        frame.to_csv(data_path, index=False)
        script_path.write_text(R_SCRIPT)
        proc = subprocess.run(
            [rscript, "--vanilla", str(script_path), str(data_path)],
            capture_output=True,
            text=True,
            check=False,
        )
    if "NO_LME4" in proc.stdout:
        return "the R package lme4 is not installed"
    if proc.returncode != 0:
        return f"Rscript failed ({proc.returncode}): {proc.stderr.strip()[-500:]}"
    fields = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines() if line}
    fixef = [float(v) for v in fields["fixef"]]
    sdcor = [float(v) for v in fields["sdcor"]]  # sd int, sd slope, corr, sd residual
    estimates = {
        "intercept": fixef[0],
        "week": fixef[1],
        "sd_intercept": sdcor[0],
        "sd_slope": sdcor[1],
        "corr": sdcor[2],
        "sd_residual": sdcor[3],
        "loglik": float(fields["loglik"][0]),
    }
    return estimates, float(fields["elapsed"][0]), fields["version"][0]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=13, help="timepoints: weeks 0..weeks-1")
    parser.add_argument("--missing", type=float, default=0.15, help="share missing at random")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeats", type=int, default=5, help="balm fits to time")
    parser.add_argument("--no-statsmodels", action="store_true", help="skip statsmodels")
    parser.add_argument(
        "--statsmodels-method",
        default="lbfgs",
        help=(
            "optimiser passed to MixedLM.fit, or 'default' for statsmodels' own sequence "
            "(which often stalls on these data)"
        ),
    )
    parser.add_argument("--no-r", action="store_true", help="skip R/lme4")
    args = parser.parse_args(argv)

    frame = simulate(args.participants, args.weeks, args.missing, args.seed)
    print(
        f"data: {frame['pid'].nunique()} participants, {len(frame)} observations "
        f"(weeks 0-{args.weeks - 1}, {args.missing:.0%} missing at random)"
    )

    result, times = run_balm(frame, args.repeats)
    ours = _estimates(result) | {"loglik": result.loglik}
    print(
        f"balm:        {statistics.median(times):8.3f} s median of {len(times)} "
        f"(first {times[0]:.3f} s, min {min(times):.3f} s); converged={result.converged}"
    )
    start = time.perf_counter()
    empirical_bayes_slopes(frame, id="pid", time="week", outcome="score")
    print(
        f"  empirical_bayes_slopes (fit + per-participant slopes): "
        f"{time.perf_counter() - start:.3f} s"
    )
    print("  estimates: " + ", ".join(f"{key}={value:.6g}" for key, value in ours.items()))

    if args.no_statsmodels:
        print("statsmodels: skipped (--no-statsmodels)")
    else:
        sm, elapsed, messages = run_statsmodels(frame, args.statsmodels_method)
        print(f"statsmodels: {elapsed:8.3f} s (MixedLM.fit method={args.statsmodels_method!r})")
        for message in messages:
            print(f"  warning: {message}")
        _report("statsmodels", ours, sm, sm["loglik"])

    if args.no_r:
        print("lme4:        skipped (--no-r)")
    else:
        outcome = run_lme4(frame)
        if isinstance(outcome, str):
            print(f"lme4:        skipped ({outcome})")
        else:
            lme4, elapsed, version = outcome
            print(f"lme4:        {elapsed:8.3f} s (lmer only, system.time in R; lme4 {version})")
            _report("lme4", ours, lme4, lme4["loglik"])


if __name__ == "__main__":
    main()
