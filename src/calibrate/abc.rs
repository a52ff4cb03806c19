//! ABC-SMC with adaptive tolerances: the adaptive population Monte Carlo
//! scheme of Lenormand, Jabot & Deffuant (2013, *Statistics and Computing*
//! 23:493-508). Pure: no I/O, no simulation; the caller evaluates particles.
//!
//! Generation 0 draws `ceil(n / alpha)` parameter vectors from the prior and
//! keeps the `n` closest to the data; its largest kept distance is the first
//! tolerance. Each later generation draws `ceil(n / alpha) - n` new vectors
//! from a Gaussian kernel around the kept ones (covariance twice their
//! weighted covariance), weights each by prior / kernel density, merges them
//! with the kept ones and again keeps the `n` closest: the tolerance falls to
//! the `n`-th distance. The share of new vectors closer than the previous
//! tolerance is the acceptance rate; the run stops when it falls below
//! `min_acceptance` (or the budget is spent).
//!
//! Every draw comes from a stream keyed by (seed, generation, slot), so a
//! generation's proposals do not depend on the thread count or on which were
//! evaluated first.

use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use crate::rng::{StreamRng, key};
use crate::sweep::design::{normal_cdf, normal_ppf};

/// The shape of a prior on `[min, max]`.
#[derive(Clone, Debug, PartialEq)]
pub enum PriorDist {
    Uniform,
    LogUniform,
    /// A normal distribution truncated to `[min, max]`.
    Normal {
        mean: f64,
        sd: f64,
    },
}

/// The prior of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Prior {
    /// A `--set` key (`schools.practice_effect`), or `offset` / `scale`.
    pub key: String,
    pub label: String,
    pub dist: PriorDist,
    pub min: f64,
    pub max: f64,
    /// The lever takes whole numbers: values are rounded when applied.
    pub integer: bool,
}

impl Prior {
    /// The `u`-quantile.
    pub fn quantile(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        let x = match self.dist {
            PriorDist::Uniform => self.min + u * (self.max - self.min),
            PriorDist::LogUniform => (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp(),
            PriorDist::Normal { mean, sd } => {
                let a = normal_cdf((self.min - mean) / sd);
                let b = normal_cdf((self.max - mean) / sd);
                mean + sd * normal_ppf(a + u * (b - a))
            }
        };
        x.clamp(self.min, self.max)
    }

    /// The density at `x` (0 outside the range).
    pub fn density(&self, x: f64) -> f64 {
        if !(self.min..=self.max).contains(&x) {
            return 0.0;
        }
        match self.dist {
            PriorDist::Uniform => 1.0 / (self.max - self.min),
            PriorDist::LogUniform => 1.0 / (x * (self.max / self.min).ln()),
            PriorDist::Normal { mean, sd } => {
                let z = (x - mean) / sd;
                let mass = normal_cdf((self.max - mean) / sd) - normal_cdf((self.min - mean) / sd);
                (-0.5 * z * z).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt() * mass)
            }
        }
    }

    /// The prior's variance (by quadrature over its quantiles).
    pub fn variance(&self) -> f64 {
        let k = 2000;
        let xs: Vec<f64> = (0..k)
            .map(|i| self.quantile((i as f64 + 0.5) / k as f64))
            .collect();
        let m = xs.iter().sum::<f64>() / k as f64;
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / k as f64
    }

    /// Words for the prior: "uniform from 10 to 80".
    pub fn describe(&self) -> String {
        match self.dist {
            PriorDist::Uniform => format!("uniform from {} to {}", self.min, self.max),
            PriorDist::LogUniform => format!("log-uniform from {} to {}", self.min, self.max),
            PriorDist::Normal { mean, sd } => format!(
                "normal (mean {mean}, sd {sd}) truncated to {} to {}",
                self.min, self.max
            ),
        }
    }
}

/// One evaluated parameter vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Particle {
    /// Position in its generation's proposals.
    pub slot: u32,
    /// The generation that proposed it.
    pub born: u32,
    pub theta: Vec<f64>,
    /// Importance weight (not normalised).
    pub weight: f64,
    pub distance: f64,
    /// Mean of the runs' indicator at each observed year (model scale).
    pub mean: Vec<f64>,
    /// Standard deviation across the runs at each observed year.
    pub sd: Vec<f64>,
}

/// A stream for generation `generation`, proposal `slot`.
pub fn proposal_rng(seed: u64, generation: u32, slot: u32) -> StreamRng {
    StreamRng::seed_from_u64(key(&[seed, 0xCA11_B8A7, generation as u64, slot as u64]))
}

/// A draw from the prior.
pub fn from_prior(priors: &[Prior], rng: &mut StreamRng) -> Vec<f64> {
    priors
        .iter()
        .map(|p| p.quantile(rng.random::<f64>()))
        .collect()
}

/// The joint prior density (independent priors).
pub fn prior_density(priors: &[Prior], theta: &[f64]) -> f64 {
    priors
        .iter()
        .zip(theta)
        .map(|(p, &x)| p.density(x))
        .product()
}

/// Offset and scale of the observation model in `theta` (identity when absent).
pub fn observation(
    theta: &[f64],
    n_levers: usize,
    has_offset: bool,
    has_scale: bool,
) -> (f64, f64) {
    let mut i = n_levers;
    let offset = if has_offset {
        i += 1;
        theta[i - 1]
    } else {
        0.0
    };
    let scale = if has_scale { theta[i] } else { 1.0 };
    (offset, scale)
}

/// The distance between the observed series and a particle: the root mean
/// square, over the fitted years, of (offset + scale x mean - observed)
/// divided by sqrt(se^2 + (scale x run sd)^2 / runs), the noise of the
/// observation and of the mean of `runs` runs.
#[allow(clippy::too_many_arguments)]
pub fn distance(
    observed: &[f64],
    se: &[f64],
    fit: usize,
    mean: &[f64],
    sd: &[f64],
    runs: u32,
    offset: f64,
    scale: f64,
) -> f64 {
    let mut s = 0.0;
    for t in 0..fit {
        let pred = offset + scale * mean[t];
        let var = se[t] * se[t] + (scale * sd[t]).powi(2) / runs as f64;
        s += (pred - observed[t]).powi(2) / var;
    }
    (s / fit as f64).sqrt()
}

/// The Gaussian perturbation kernel of a generation.
#[derive(Clone, Debug)]
pub struct Kernel {
    centres: Vec<Vec<f64>>,
    /// Normalised weights of the centres, and their cumulative sums.
    weights: Vec<f64>,
    cumulative: Vec<f64>,
    /// Lower Cholesky factor of the covariance (row-major d x d).
    chol: Vec<f64>,
    log_det_half: f64,
}

impl Kernel {
    /// Centred on `pop`, with twice its weighted covariance (a small floor
    /// per dimension keeps it positive definite: 1e-6 of the prior's width).
    pub fn new(pop: &[Particle], priors: &[Prior]) -> Kernel {
        let d = priors.len();
        let total: f64 = pop.iter().map(|p| p.weight).sum();
        let weights: Vec<f64> = pop.iter().map(|p| p.weight / total).collect();
        let mut mean = vec![0.0; d];
        for (p, w) in pop.iter().zip(&weights) {
            for (m, x) in mean.iter_mut().zip(&p.theta) {
                *m += w * x;
            }
        }
        let mut cov = vec![0.0; d * d];
        for (p, w) in pop.iter().zip(&weights) {
            for a in 0..d {
                for b in 0..d {
                    cov[a * d + b] += w * (p.theta[a] - mean[a]) * (p.theta[b] - mean[b]);
                }
            }
        }
        for a in 0..d {
            for b in 0..d {
                cov[a * d + b] *= 2.0;
            }
            let width = priors[a].max - priors[a].min;
            cov[a * d + a] += (1e-6 * width).powi(2);
        }
        let chol = cholesky(&cov, d);
        let log_det_half = (0..d).map(|i| chol[i * d + i].ln()).sum();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Kernel {
            centres: pop.iter().map(|p| p.theta.clone()).collect(),
            weights,
            cumulative,
            chol,
            log_det_half,
        }
    }

    /// A centre picked by weight and moved by the kernel, redrawn until it
    /// lies inside the prior's support (at most 1000 tries, then clamped).
    pub fn propose(&self, priors: &[Prior], rng: &mut StreamRng) -> Vec<f64> {
        let d = priors.len();
        for _ in 0..1000 {
            let u: f64 = rng.random();
            let i = self
                .cumulative
                .partition_point(|&c| c < u)
                .min(self.centres.len() - 1);
            let z: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
            let theta: Vec<f64> = (0..d)
                .map(|a| {
                    self.centres[i][a] + (0..=a).map(|b| self.chol[a * d + b] * z[b]).sum::<f64>()
                })
                .collect();
            if prior_density(priors, &theta) > 0.0 {
                return theta;
            }
        }
        self.centres[0]
            .iter()
            .zip(priors)
            .map(|(&x, p)| x.clamp(p.min, p.max))
            .collect()
    }

    /// The kernel's mixture density at `theta`.
    pub fn density(&self, theta: &[f64]) -> f64 {
        let d = theta.len();
        let norm = (2.0 * std::f64::consts::PI).powf(d as f64 / 2.0) * self.log_det_half.exp();
        let mut z = vec![0.0; d];
        let mut sum = 0.0;
        for (c, w) in self.centres.iter().zip(&self.weights) {
            // Solve L z = theta - c.
            for a in 0..d {
                let r = theta[a] - c[a] - (0..a).map(|b| self.chol[a * d + b] * z[b]).sum::<f64>();
                z[a] = r / self.chol[a * d + a];
            }
            let q: f64 = z.iter().map(|v| v * v).sum();
            sum += w * (-0.5 * q).exp();
        }
        sum / norm
    }
}

/// Lower Cholesky factor of a symmetric positive definite `d x d` matrix.
fn cholesky(m: &[f64], d: usize) -> Vec<f64> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                l[i * d + i] = (m[i * d + i] - s).max(1e-300).sqrt();
            } else {
                l[i * d + j] = (m[i * d + j] - s) / l[j * d + j];
            }
        }
    }
    l
}

/// Keep the `n` closest of `pool` (ties broken by generation, then slot);
/// returns them and the new tolerance (the largest kept distance).
pub fn keep_closest(mut pool: Vec<Particle>, n: usize) -> (Vec<Particle>, f64) {
    pool.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then(a.born.cmp(&b.born))
            .then(a.slot.cmp(&b.slot))
    });
    pool.truncate(n);
    let eps = pool.last().map_or(f64::INFINITY, |p| p.distance);
    (pool, eps)
}

/// Proposals per generation: `ceil(n / alpha)` at generation 0, and that
/// less the `n` kept afterwards.
pub fn proposals(n: usize, alpha: f64, generation: u32) -> usize {
    let total = (n as f64 / alpha).ceil() as usize;
    if generation == 0 {
        total
    } else {
        (total - n).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(min: f64, max: f64) -> Prior {
        Prior {
            key: "x".into(),
            label: "x".into(),
            dist: PriorDist::Uniform,
            min,
            max,
            integer: false,
        }
    }

    #[test]
    fn prior_quantiles_densities_and_variances() {
        let u = uniform(0.0, 12.0);
        assert_eq!(u.quantile(0.5), 6.0);
        assert!((u.variance() - 12.0).abs() < 0.01);
        assert_eq!(u.density(13.0), 0.0);
        let l = Prior {
            dist: PriorDist::LogUniform,
            ..uniform(1.0, 100.0)
        };
        assert!((l.quantile(0.5) - 10.0).abs() < 1e-9);
        let n = Prior {
            dist: PriorDist::Normal { mean: 0.0, sd: 1.0 },
            ..uniform(-10.0, 10.0)
        };
        assert!((n.variance() - 1.0).abs() < 0.01);
        // The truncated normal's density integrates to one.
        let h = 0.001;
        let total: f64 = (0..2000).map(|i| n.density(-1.0 + i as f64 * h) * h).sum();
        assert!((total - (normal_cdf(1.0) - normal_cdf(-1.0))).abs() < 1e-3);
    }

    #[test]
    fn kernel_density_integrates_to_one_and_proposals_stay_in_the_prior() {
        let priors = vec![uniform(0.0, 1.0)];
        let pop: Vec<Particle> = (0..5)
            .map(|i| Particle {
                slot: i,
                born: 0,
                theta: vec![0.2 + 0.1 * i as f64],
                weight: 1.0,
                distance: 0.0,
                mean: vec![],
                sd: vec![],
            })
            .collect();
        let k = Kernel::new(&pop, &priors);
        let h = 0.001;
        let total: f64 = (-3000..4000).map(|i| k.density(&[i as f64 * h]) * h).sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        let mut rng = proposal_rng(1, 1, 0);
        for _ in 0..200 {
            let t = k.propose(&priors, &mut rng);
            assert!((0.0..=1.0).contains(&t[0]));
        }
    }

    #[test]
    fn distance_is_zero_on_the_data_and_grows_with_the_miss() {
        let obs = [1.0, 2.0, 3.0];
        let se = [1.0; 3];
        let sd = [0.0; 3];
        assert_eq!(distance(&obs, &se, 3, &obs, &sd, 4, 0.0, 1.0), 0.0);
        let off = [2.0, 3.0, 4.0];
        assert!((distance(&obs, &se, 3, &off, &sd, 4, 0.0, 1.0) - 1.0).abs() < 1e-12);
        assert_eq!(distance(&obs, &se, 3, &off, &sd, 4, -1.0, 1.0), 0.0);
        // Only the fitted years count.
        let late = [1.0, 2.0, 9.0];
        assert_eq!(distance(&obs, &se, 2, &late, &sd, 4, 0.0, 1.0), 0.0);
    }

    #[test]
    fn keep_closest_breaks_ties_by_generation_then_slot() {
        let p = |born, slot, distance| Particle {
            slot,
            born,
            theta: vec![],
            weight: 1.0,
            distance,
            mean: vec![],
            sd: vec![],
        };
        let (kept, eps) = keep_closest(vec![p(1, 0, 2.0), p(0, 3, 1.0), p(0, 1, 1.0)], 2);
        assert_eq!(eps, 1.0);
        assert_eq!((kept[0].born, kept[0].slot), (0, 1));
        assert_eq!(proposals(100, 0.5, 0), 200);
        assert_eq!(proposals(100, 0.5, 3), 100);
    }
}
