"""Delay distributions for warning and preparation times.

A scenario names a distribution in TOML as a small table, for example
``warning = { dist = "lognormal", median_s = 600, sigma = 0.6 }``. Each model validates its own
parameters (pydantic) and draws non-negative delays in seconds from a ``numpy.random.Generator``.

The shapes are the ones used for evacuation trip-generation curves: NUREG/CR-7002 (2011) §2.3
describes mobilisation as a warning-diffusion time followed by a preparation time, each with a
right-skewed distribution; Lindell & Perry fit lognormal and Weibull forms; the Rayleigh form is
the classic "S-curve" of trip generation used by several ETE codes. Parameters are the planner's.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DelayDistribution",
    "Fixed",
    "LogNormal",
    "Normal",
    "Rayleigh",
    "Uniform",
    "Weibull",
]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample_s(self, rng: np.random.Generator, n: int, *, scale: float = 1.0) -> np.ndarray:
        """Draw ``n`` delays in seconds, each multiplied by ``scale`` (e.g. a night factor)."""
        return np.maximum(self._draw(rng, n), 0.0) * scale

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def cdf(self, t_s: np.ndarray) -> np.ndarray:  # pragma: no cover
        """Cumulative probability of a delay <= ``t_s`` (for goodness-of-fit tests)."""
        raise NotImplementedError


class Fixed(_Dist):
    """Everyone at exactly ``value_s`` seconds (deterministic runs, verification)."""

    dist: Literal["fixed"] = "fixed"
    value_s: float = Field(ge=0)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value_s)

    def cdf(self, t_s: np.ndarray) -> np.ndarray:
        return (np.asarray(t_s) >= self.value_s).astype(float)


class Uniform(_Dist):
    """Uniform between ``low_s`` and ``high_s``."""

    dist: Literal["uniform"] = "uniform"
    low_s: float = Field(ge=0)
    high_s: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high_s < self.low_s:
            raise ValueError(f"high_s ({self.high_s}) must be >= low_s ({self.low_s})")
        return self

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low_s, self.high_s, n)

    def cdf(self, t_s: np.ndarray) -> np.ndarray:
        width = max(self.high_s - self.low_s, 1e-12)
        return np.clip((np.asarray(t_s) - self.low_s) / width, 0.0, 1.0)


class Normal(_Dist):
    """Normal with ``mean_s`` and ``sd_s``; negative draws are clipped to 0."""

    dist: Literal["normal"] = "normal"
    mean_s: float = Field(ge=0)
    sd_s: float = Field(gt=0)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean_s, self.sd_s, n)

    def cdf(self, t_s: np.ndarray) -> np.ndarray:
        z = (np.asarray(t_s, dtype=float) - self.mean_s) / (self.sd_s * math.sqrt(2.0))
        return 0.5 * (1.0 + np.vectorize(math.erf)(z))


class LogNormal(_Dist):
    """Lognormal with median ``median_s`` and log-standard deviation ``sigma``."""

    dist: Literal["lognormal"] = "lognormal"
    median_s: float = Field(gt=0)
    sigma: float = Field(gt=0, le=5)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median_s), self.sigma, n)

    def cdf(self, t_s: np.ndarray) -> np.ndarray:
        t = np.maximum(np.asarray(t_s, dtype=float), 1e-300)
        z = (np.log(t) - math.log(self.median_s)) / (self.sigma * math.sqrt(2.0))
        return 0.5 * (1.0 + np.vectorize(math.erf)(z))


class Weibull(_Dist):
    """Weibull with scale ``scale_s`` and shape ``shape`` (k)."""

    dist: Literal["weibull"] = "weibull"
    scale_s: float = Field(gt=0)
    shape: float = Field(gt=0, le=20)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.scale_s * rng.weibull(self.shape, n)

    def cdf(self, t_s: np.ndarray) -> np.ndarray:
        t = np.maximum(np.asarray(t_s, dtype=float), 0.0)
        return 1.0 - np.exp(-((t / self.scale_s) ** self.shape))


class Rayleigh(_Dist):
    """Rayleigh with scale ``scale_s`` (the mode), the trip-generation S-curve."""

    dist: Literal["rayleigh"] = "rayleigh"
    scale_s: float = Field(gt=0)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.rayleigh(self.scale_s, n)

    def cdf(self, t_s: np.ndarray) -> np.ndarray:
        t = np.maximum(np.asarray(t_s, dtype=float), 0.0)
        return 1.0 - np.exp(-(t**2) / (2.0 * self.scale_s**2))


DelayDistribution = Annotated[
    Fixed | Uniform | Normal | LogNormal | Weibull | Rayleigh, Field(discriminator="dist")
]
