//! The world of one replicate: schools, landscape, network and hierarchy,
//! built once and shared (read-only) by every strategy of the replicate.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Gamma, StandardNormal};
use std::path::Path;

use crate::landscape::{Landscape, LandscapeSpec};
use crate::network::{ContextCell, Layout, Network, NetworkKind, NetworkSpec, SchoolRecord};
use crate::params::{LandscapeParams, NetworkParams, SchoolParams};
use crate::rng::{Purpose, entity, stream};

/// Why a world could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error(transparent)]
    Landscape(#[from] crate::landscape::LandscapeError),
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    #[error("{0}")]
    Invalid(String),
}

/// The fixed facts of a replicate's schools and structures.
#[derive(Clone, Debug)]
pub struct World {
    pub seed: u64,
    pub replicate: u64,
    pub landscape: Landscape,
    pub n_schools: usize,
    pub n_authorities: usize,
    /// Authority of each school (an index into `auth_names`).
    pub authority: Vec<u32>,
    /// Name of each authority: from the schools file's `authority` column,
    /// else `1`, `2`, ... (what a scenario's `[[strategy.authority]]` lists).
    pub auth_names: Vec<String>,
    pub context: Vec<u32>,
    pub intake: Vec<f64>,
    pub cohort: Vec<f64>,
    /// Teachers of school `s` are `offsets[s]..offsets[s+1]` in the teacher arrays.
    pub offsets: Vec<u32>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub cluster: Vec<u32>,
    /// Adviser of each school (global ids), for the cascade hierarchy.
    pub adviser: Vec<u32>,
    pub n_advisers: usize,
    /// Schools of authority `a` are `auth_members[auth_offsets[a]..auth_offsets[a+1]]`.
    pub auth_offsets: Vec<u32>,
    pub auth_members: Vec<u32>,
    pub network: Network,
    pub initial_capacity: Vec<f64>,
    pub initial_ownership: Vec<f64>,
    pub school_ids: Vec<String>,
    /// The landscape after each year's turbulence, by year key (burn-in
    /// years 0.., then `burn_in_years + y` for year y), computed once per
    /// replicate and shared by every strategy (the shocks are common).
    /// Empty until [`World::prepare_turbulence`]; the model then applies
    /// turbulence itself, with the same streams and result.
    pub turbulent: Vec<Option<Landscape>>,
    /// The quarter of schools (at least one) with the lowest intake, for the
    /// equity indicator.
    pub low_intake: Vec<u32>,
}

impl World {
    /// Precompute the landscape after the turbulence of each year key in
    /// `keys` (ascending), so strategies share it instead of recomputing it.
    pub fn prepare_turbulence(&mut self, turbulence: f64, keys: &[u64]) {
        self.turbulent.clear();
        if turbulence <= 0.0 {
            return;
        }
        let mut cur = self.landscape.clone();
        for &k in keys {
            let mut r = stream(
                self.seed,
                self.replicate,
                entity::WORLD,
                Purpose::Turbulence,
                k,
            );
            cur.turbulence(turbulence, &mut r);
            let idx = k as usize;
            if self.turbulent.len() <= idx {
                self.turbulent.resize(idx + 1, None);
            }
            self.turbulent[idx] = Some(cur.clone());
        }
    }

    pub fn n_teachers(&self) -> usize {
        *self.offsets.last().unwrap_or(&0) as usize
    }
    pub fn staff(&self, s: usize) -> usize {
        (self.offsets[s + 1] - self.offsets[s]) as usize
    }
    pub fn members(&self, a: usize) -> &[u32] {
        &self.auth_members[self.auth_offsets[a] as usize..self.auth_offsets[a + 1] as usize]
    }
}

/// Everything needed to build a world.
pub struct WorldInputs<'a> {
    pub seed: u64,
    pub replicate: u64,
    pub landscape: &'a LandscapeParams,
    pub schools: &'a SchoolParams,
    pub network: &'a NetworkParams,
    /// Folder that relative file paths are resolved against.
    pub dir: Option<&'a Path>,
}

/// Convert the network section into the generator's spec.
pub fn network_spec(p: &NetworkParams, dir: Option<&Path>) -> NetworkSpec {
    let kind = match p.kind.as_str() {
        "clusters" => NetworkKind::Clusters,
        "geographic" => NetworkKind::Geographic,
        "small-world" => NetworkKind::SmallWorld,
        "scale-free" => NetworkKind::ScaleFree,
        "complete" => NetworkKind::Complete,
        "ring" => NetworkKind::Ring,
        "none" => NetworkKind::None,
        _ => NetworkKind::File,
    };
    NetworkSpec {
        kind,
        cluster_size: p.cluster_size as usize,
        p_within: p.p_within,
        between_ties: p.between_ties,
        radius: p.radius,
        sw_degree: p.sw_degree as usize,
        sw_rewire: p.sw_rewire,
        sf_m: p.sf_m as usize,
        inter_authority_ties: p.inter_authority_ties as usize,
        file: (!p.file.is_empty()).then(|| resolve(dir, &p.file)),
    }
}

fn resolve(dir: Option<&Path>, f: &str) -> std::path::PathBuf {
    let p = Path::new(f);
    match dir {
        Some(d) if p.is_relative() => d.join(p),
        _ => p.to_path_buf(),
    }
}

/// Landscape spec from the landscape section.
pub fn landscape_spec(p: &LandscapeParams) -> LandscapeSpec {
    LandscapeSpec {
        n: p.n as usize,
        k: p.k as usize,
        contexts: p.contexts as usize,
        context_weight: p.context_weight,
    }
}

fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

fn beta_like<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 || mean <= 0.0 || mean >= 1.0 {
        return mean;
    }
    let max_sd = (mean * (1.0 - mean)).sqrt() * 0.95;
    let sd = sd.min(max_sd);
    let common = mean * (1.0 - mean) / (sd * sd) - 1.0;
    let (a, b) = (mean * common, (1.0 - mean) * common);
    let ga: f64 = Gamma::new(a, 1.0).map(|g| g.sample(rng)).unwrap_or(mean);
    let gb: f64 = Gamma::new(b, 1.0)
        .map(|g| g.sample(rng))
        .unwrap_or(1.0 - mean);
    (ga / (ga + gb)).clamp(0.0, 1.0)
}

/// Build the world of replicate `replicate`.
pub fn build_world(inp: &WorldInputs) -> Result<World, WorldError> {
    let (seed, rep) = (inp.seed, inp.replicate);
    let sp = inp.schools;
    let mut lrng = stream(seed, rep, entity::WORLD, Purpose::Landscape, 0);
    let landscape = Landscape::generate(&landscape_spec(inp.landscape), &mut lrng)?;
    let contexts = inp.landscape.contexts;

    let records: Option<Vec<SchoolRecord>> = if sp.file.is_empty() {
        None
    } else {
        Some(crate::network::read_schools_file(&resolve(
            inp.dir, &sp.file,
        ))?)
    };

    let mut r = stream(seed, rep, entity::WORLD, Purpose::Schools, 0);
    // Authority of each school.
    let mut authority: Vec<u32> = Vec::new();
    let mut auth_names: Vec<String> = Vec::new();
    match &records {
        Some(recs) => {
            for rec in recs {
                let name = rec.authority.clone().unwrap_or_else(|| "1".to_string());
                let a = match auth_names.iter().position(|n| *n == name) {
                    Some(i) => i,
                    None => {
                        auth_names.push(name);
                        auth_names.len() - 1
                    }
                };
                authority.push(a as u32);
            }
        }
        None => {
            let n_auth = sp.authorities as usize;
            let sizes: Vec<usize> = if sp.schools_cv <= 0.0 {
                vec![sp.schools as usize; n_auth]
            } else {
                let s2 = (1.0 + sp.schools_cv * sp.schools_cv).ln();
                let mu = (sp.schools as f64).ln() - s2 / 2.0;
                (0..n_auth)
                    .map(|_| ((mu + s2.sqrt() * normal(&mut r)).exp().round() as usize).max(6))
                    .collect()
            };
            for (a, &sz) in sizes.iter().enumerate() {
                authority.extend(std::iter::repeat_n(a as u32, sz));
            }
            auth_names = (1..=n_auth).map(|a| a.to_string()).collect();
        }
    }
    let n = authority.len();
    if n == 0 {
        return Err(WorldError::Invalid("the scenario has no schools".into()));
    }
    let n_auth = auth_names.len();
    let rec = |i: usize| records.as_ref().map(|v| &v[i]);

    let staff_gamma = if sp.staff_sd > 0.0 {
        let shape = (sp.staff_mean / sp.staff_sd).powi(2);
        Gamma::new(shape, sp.staff_mean / shape).ok()
    } else {
        None
    };
    let mut context = Vec::with_capacity(n);
    let mut intake = Vec::with_capacity(n);
    let mut cohort = Vec::with_capacity(n);
    let mut offsets = Vec::with_capacity(n + 1);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    let mut capacity = Vec::with_capacity(n);
    offsets.push(0u32);
    let link = sp.intake_context_link;
    let mut context_names: Vec<String> = Vec::new();
    for i in 0..n {
        // Fixed draw order per school, whatever the file provides.
        let ctx_draw = r.random_range(0..contexts);
        let z = normal(&mut r);
        let staff_draw = match &staff_gamma {
            Some(g) => g.sample(&mut r),
            None => sp.staff_mean,
        };
        let (px, py): (f64, f64) = (r.random(), r.random());
        let cap = beta_like(&mut r, sp.capacity_mean, sp.capacity_sd);

        let ctx = match rec(i).and_then(|r| r.context.as_ref()) {
            None => ctx_draw,
            Some(ContextCell::Number(c)) => *c,
            Some(ContextCell::Name(name)) => match context_names.iter().position(|n| n == name) {
                Some(c) => c as u32,
                None => {
                    context_names.push(name.clone());
                    (context_names.len() - 1) as u32
                }
            },
        };
        if ctx >= contexts {
            let id = rec(i).map(|r| r.id.as_str()).unwrap_or("?");
            let message = if context_names.is_empty() {
                format!(
                    "school \"{id}\" has context {ctx}, but landscape.contexts = {contexts}: contexts \
                     are numbered 0 to {} (or given as at most {contexts} names); renumber the \
                     school's context or raise landscape.contexts",
                    contexts - 1
                )
            } else {
                format!(
                    "school \"{id}\" has context \"{}\", distinct context name number {}, but \
                     landscape.contexts = {contexts} allows {contexts} names ({}); use fewer \
                     names or raise landscape.contexts",
                    crate::network::shown(&context_names[ctx as usize]),
                    ctx + 1,
                    context_names[..contexts as usize].join(", ")
                )
            };
            return Err(WorldError::Invalid(format!(
                "{} line {}: {message}",
                sp.file,
                rec(i).map_or(0, |r| r.line)
            )));
        }
        let zc = if contexts > 1 {
            ((ctx as f64 + 0.5) / contexts as f64 - 0.5) * 12f64.sqrt()
        } else {
            0.0
        };
        let b = sp.intake_mean + sp.intake_sd * (link * zc + (1.0 - link * link).sqrt() * z);
        let b = rec(i).and_then(|r| r.intake).unwrap_or(b.clamp(0.0, 100.0));
        let st = rec(i)
            .and_then(|r| r.staff)
            .map(|s| s as f64)
            .unwrap_or(staff_draw.round().max(3.0)) as u32;
        let coh = rec(i)
            .and_then(|r| r.cohort)
            .map(|c| c as f64)
            .unwrap_or((sp.cohort * st as f64 / sp.staff_mean).round().max(5.0));
        context.push(ctx);
        intake.push(b);
        cohort.push(coh);
        let Some(end) = offsets[i].checked_add(st) else {
            return Err(WorldError::Invalid(format!(
                "{}: the schools have more than {} teachers in all; use fewer or smaller schools",
                if sp.file.is_empty() {
                    "schools"
                } else {
                    sp.file.as_str()
                },
                u32::MAX
            )));
        };
        offsets.push(end);
        x.push(rec(i).and_then(|r| r.x).unwrap_or(px));
        y.push(rec(i).and_then(|r| r.y).unwrap_or(py));
        capacity.push(cap);
    }
    let ownership = vec![sp.ownership_mean; n];

    // Clusters: from the file when given, else consecutive blocks within each authority.
    let clusters_given = records
        .as_ref()
        .is_some_and(|v| v.iter().all(|r| r.cluster.is_some()));
    let cluster: Vec<u32> = if clusters_given {
        let mut names: Vec<(u32, String)> = Vec::new();
        records
            .as_ref()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let key = (authority[i], r.cluster.clone().unwrap());
                match names.iter().position(|k| *k == key) {
                    Some(p) => p as u32,
                    None => {
                        names.push(key);
                        (names.len() - 1) as u32
                    }
                }
            })
            .collect()
    } else {
        crate::network::assign_clusters(&authority, inp.network.cluster_size as usize)
    };
    let school_ids: Vec<String> = match &records {
        Some(v) => v.iter().map(|r| r.id.clone()).collect(),
        None => (0..n).map(|i| i.to_string()).collect(),
    };

    let layout = Layout {
        authority: authority.clone(),
        cluster: cluster.clone(),
        x: x.clone(),
        y: y.clone(),
        has_positions: true,
        ids: if records.is_some() {
            school_ids.clone()
        } else {
            Vec::new()
        },
        clusters_given,
    };
    let spec = network_spec(inp.network, inp.dir);
    let mut nrng = stream(seed, rep, entity::WORLD, Purpose::Network, 0);
    let network = Network::build(&spec, &layout, &mut nrng)?;

    // Authority membership lists.
    let mut auth_offsets = vec![0u32; n_auth + 1];
    for &a in &authority {
        auth_offsets[a as usize + 1] += 1;
    }
    for a in 0..n_auth {
        auth_offsets[a + 1] += auth_offsets[a];
    }
    let mut fill = auth_offsets.clone();
    let mut auth_members = vec![0u32; n];
    for (s, &a) in authority.iter().enumerate() {
        auth_members[fill[a as usize] as usize] = s as u32;
        fill[a as usize] += 1;
    }

    // Advisers: within each authority, schools ordered by cluster, in chunks.
    let per = inp.schools.schools_per_adviser.max(1) as usize;
    let mut adviser = vec![0u32; n];
    let mut n_advisers = 0usize;
    for a in 0..n_auth {
        let mut m: Vec<u32> =
            auth_members[auth_offsets[a] as usize..auth_offsets[a + 1] as usize].to_vec();
        m.sort_by_key(|&s| (cluster[s as usize], s));
        for chunk in m.chunks(per) {
            for &s in chunk {
                adviser[s as usize] = n_advisers as u32;
            }
            n_advisers += 1;
        }
    }

    let mut by_intake: Vec<u32> = (0..n as u32).collect();
    by_intake.sort_by(|&a, &b| {
        intake[a as usize]
            .total_cmp(&intake[b as usize])
            .then(a.cmp(&b))
    });
    by_intake.truncate((n / 4).max(1));
    let low_intake = by_intake;

    Ok(World {
        seed,
        replicate: rep,
        landscape,
        n_schools: n,
        n_authorities: n_auth,
        authority,
        auth_names,
        context,
        intake,
        cohort,
        offsets,
        x,
        y,
        cluster,
        adviser,
        n_advisers,
        auth_offsets,
        auth_members,
        network,
        initial_capacity: capacity,
        initial_ownership: ownership,
        school_ids,
        turbulent: Vec::new(),
        low_intake,
    })
}
