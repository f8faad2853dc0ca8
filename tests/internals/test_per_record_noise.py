"""GaussianNoise's per-record noise generator, checked directly: standard normal, independent
across columns, keyed by every entry of the row, and the same for -0.0 and 0.0.

This test imports the defenses' private module on purpose (see README.md in this folder): the
public GaussianNoise clips and renormalises the noisy row, so the draws themselves cannot be
read back through it. Its public promises are in tests/defenses/test_defense_transformers.py.
"""

import numpy as np
from scipy import stats

from tabinvert.defenses._transformers import _per_record_normals


def test_per_record_normals_are_standard_normal_and_independent():
    rows = np.random.default_rng(1).dirichlet(np.ones(3), size=3000)
    noise = _per_record_normals(rows, key=5)
    assert stats.kstest(noise.ravel(), "norm").pvalue > 1e-3
    correlation = np.corrcoef(noise.T)
    assert np.abs(correlation[np.triu_indices(3, 1)]).max() < 0.06
    assert not np.array_equal(noise, _per_record_normals(rows, key=6))
    # Every entry of the row matters, not only the first one.
    same_first = np.array([[0.2, 0.3, 0.5], [0.2, 0.5, 0.3], [0.2, 0.3, 0.5]])
    noise = _per_record_normals(same_first, key=5)
    assert not np.isin(noise[0], noise[1]).any() and np.array_equal(noise[0], noise[2])
    # -0.0 and 0.0 are the same probability.
    np.testing.assert_array_equal(
        _per_record_normals(np.array([[-0.0, 1.0]]), key=5),
        _per_record_normals(np.array([[0.0, 1.0]]), key=5),
    )
