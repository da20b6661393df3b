//! The few dense linear-algebra steps a small Poisson GLM needs: a Cholesky factorisation of a
//! symmetric positive definite matrix (row-major, `n × n`), solves and one inverse element.

/// Lower-triangular Cholesky factor of `a`, or `None` when `a` is not numerically positive
/// definite (a pivot below `1e-12` times the largest diagonal entry): the design is singular
/// or a fit is running off to infinity.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let max_diag = (0..n).map(|i| a[i * n + i]).fold(0.0f64, f64::max);
    if max_diag.is_nan() || max_diag <= 0.0 || !max_diag.is_finite() {
        return None;
    }
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-12 * max_diag {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L Lᵀ x = b` in place.
pub fn solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Element `(0, 0)` of `(L Lᵀ)⁻¹`: the variance of the first coefficient.
pub fn inverse_00(l: &[f64], n: usize) -> f64 {
    let mut e = vec![0.0; n];
    e[0] = 1.0;
    solve(l, n, &mut e);
    e[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_system_and_refuses_a_singular_one() {
        let a = [4.0, 2.0, 0.6, 2.0, 2.0, 0.5, 0.6, 0.5, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let mut b = [1.0, 2.0, 3.0];
        solve(&l, 3, &mut b);
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| a[i * 3 + j] * b[j]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
    }
}
