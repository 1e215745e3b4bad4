"""Two-sided p-value of the two-sample Kolmogorov-Smirnov statistic, as ``scipy.stats.ks_2samp`` (asymp).

scipy evaluates ``kstwo.sf(D, en)`` with ``en = round(n*m/(n+m))``. For large ``en`` and
``2.2 <= en*D² < 370`` that is ``2 * scipy.special.smirnov(en, D)``, whose exact sum takes about a second
at ``en = 500 000``. Here that one branch sums the same series (Birnbaum-Tingey) vectorised in log space:

    smirnov(n, x) = x · Σ_{j=0}^{⌊n(1-x)⌋} C(n, j) (x + j/n)^(j-1) (1 - x - j/n)^(n-j)

which agrees with scipy to far below 1e-9 (tested) in a fraction of the time. Every other case calls
``kstwo.sf`` itself.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats


def _smirnov(n: int, x: float) -> float:
    """One-sided exact Smirnov survival function, summed in log space."""
    j = np.arange(0, math.floor(n * (1.0 - x)) + 1, dtype=np.float64)
    log_terms = (
        special.gammaln(n + 1.0)
        - special.gammaln(j + 1.0)
        - special.gammaln(n - j + 1.0)
        + (j - 1.0) * np.log(x + j / n)
    )
    with np.errstate(divide="ignore"):
        log_terms += (n - j) * np.log(np.maximum(1.0 - x - j / n, 0.0))
    peak = float(np.max(log_terms))
    return x * math.exp(peak) * float(np.sum(np.exp(log_terms - peak)))


def ks_pvalue(statistic: float, n_reference: int, n_current: int) -> float:
    """Two-sided asymptotic p-value of the KS statistic for samples of these sizes."""
    m, n = sorted((float(n_reference), float(n_current)), reverse=True)
    effective = int(np.round(m * n / (m + n)))
    x = float(statistic)
    spread = effective * x * x
    if effective > 140 and 0.0 < x < 0.5 and 1.0 < effective * x < effective - 1 and 2.2 <= spread < 370.0:
        return float(np.clip(2.0 * _smirnov(effective, x), 0.0, 1.0))
    return float(np.clip(stats.kstwo.sf(x, effective), 0.0, 1.0))
