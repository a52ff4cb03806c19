//! School networks and the school/edge CSV inputs.
//!
//! Schools are nodes `0..n`. Each school belongs to an authority and (for the
//! cluster model) to a learning community. Generators link schools within each
//! authority separately; afterwards `inter_authority_ties` random ties may join
//! schools of different authorities. The model code consumes the flat edge
//! list and CSR adjacency of [`Network`]; petgraph is used for analysis
//! ([`Network::to_petgraph`], [`Network::components`]).
//!
//! Determinism: every generator walks authorities in ascending id, schools in
//! ascending index, and draws from the single `rng` it is given, so the same
//! stream always yields the same network.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::unionfind::UnionFind;
use rand::{Rng, RngExt};

/// Per-school placement facts the generators need. All non-empty vectors
/// have one entry per school.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Authority index per school (0-based; an authority's schools need not
    /// be contiguous). Its length defines the number of schools.
    pub authority: Vec<u32>,
    /// Cluster (learning community) id per school, globally unique across
    /// authorities. Empty: clusters are formed as consecutive blocks of
    /// `network.cluster_size` schools within each authority (see
    /// [`assign_clusters`]).
    pub cluster: Vec<u32>,
    /// Positions in the unit square (per authority; authorities may overlap
    /// in space).
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub has_positions: bool,
    /// School ids from a schools file, used to resolve ids in an edge file.
    /// Empty: edge files use 0-based school indices.
    pub ids: Vec<String>,
    /// True when `cluster` came from the user (a schools file `cluster`
    /// column). Then the clusters are the brokerage groups whatever the
    /// network kind; otherwise only kind `Clusters` uses them.
    pub clusters_given: bool,
}

/// The network generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum NetworkKind {
    Clusters,
    Geographic,
    SmallWorld,
    ScaleFree,
    Complete,
    Ring,
    None,
    File,
}

impl NetworkKind {
    /// The spelling used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkKind::Clusters => "clusters",
            NetworkKind::Geographic => "geographic",
            NetworkKind::SmallWorld => "small_world",
            NetworkKind::ScaleFree => "scale_free",
            NetworkKind::Complete => "complete",
            NetworkKind::Ring => "ring",
            NetworkKind::None => "none",
            NetworkKind::File => "file",
        }
    }
}

impl std::fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for NetworkKind {
    type Err = NetworkError;

    /// Parses the configuration spelling; case, `-` and `_` are ignored
    /// (`small_world`, `small-world`, `SmallWorld` are all accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .chars()
            .filter(|c| *c != '_' && *c != '-' && !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        Ok(match norm.as_str() {
            "clusters" | "cluster" => NetworkKind::Clusters,
            "geographic" => NetworkKind::Geographic,
            "smallworld" => NetworkKind::SmallWorld,
            "scalefree" => NetworkKind::ScaleFree,
            "complete" => NetworkKind::Complete,
            "ring" => NetworkKind::Ring,
            "none" => NetworkKind::None,
            "file" => NetworkKind::File,
            _ => {
                return Err(NetworkError::Spec {
                    key: "kind",
                    value: format!("{s:?}"),
                    allowed: "it must be one of \"clusters\", \"geographic\", \"small_world\", \
                              \"scale_free\", \"complete\", \"ring\", \"none\" or \"file\""
                        .into(),
                });
            }
        })
    }
}

/// Network parameters (the `network.` section of a configuration).
#[derive(Clone, Debug, serde::Serialize)]
pub struct NetworkSpec {
    pub kind: NetworkKind,
    /// Learning community size when clusters are generated (default 6).
    pub cluster_size: usize,
    /// Tie probability within a cluster (default 0.8).
    pub p_within: f64,
    /// Expected ties from each school to schools of other clusters of its
    /// authority (default 1), whatever the authority's size.
    pub between_ties: f64,
    /// Geographic: link schools at most this far apart (default 0.15).
    pub radius: f64,
    /// Small world: ring lattice degree, even (default 4).
    pub sw_degree: usize,
    /// Small world: rewiring probability (default 0.1).
    pub sw_rewire: f64,
    /// Scale-free: edges per new school (default 2).
    pub sf_m: usize,
    /// Total number of random ties between schools of different authorities
    /// (default 0).
    pub inter_authority_ties: usize,
    /// Kind `File`: edge list CSV with header `from,to` and optional `trust`.
    pub file: Option<PathBuf>,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            kind: NetworkKind::Clusters,
            cluster_size: 6,
            p_within: 0.8,
            between_ties: 1.0,
            radius: 0.15,
            sw_degree: 4,
            sw_rewire: 0.1,
            sf_m: 2,
            inter_authority_ties: 0,
            file: None,
        }
    }
}

/// Why a network or an input file could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A file could not be opened or read.
    #[error(
        "could not read {file}: {source}; check that the path is right and the file is readable"
    )]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A problem in one line of an input file (line 1 is the header).
    #[error("{file} line {line}: {message}")]
    Input {
        file: String,
        line: u64,
        message: String,
    },
    /// A `network.*` setting is out of range.
    #[error("network.{key} = {value} is not allowed: {allowed}")]
    Spec {
        key: &'static str,
        value: String,
        allowed: String,
    },
    /// The per-school layout handed to the generator is inconsistent.
    #[error("the school layout is inconsistent: {0}")]
    Layout(String),
}

/// An undirected school network.
///
/// Edge indices are stable: [`Network::build`] and [`Network::from_edges`]
/// sort the canonical edges `(a, b)` with `a < b` and remove duplicates and
/// self loops; [`Network::add_edge`] appends new edges at the end, so after
/// brokerage the tail of `edges` is no longer sorted.
#[derive(Clone, Debug)]
pub struct Network {
    pub n: usize,
    /// Canonical edges `(a, b)`, `a < b`, no duplicates or self loops; sorted
    /// at build time, later additions appended.
    pub edges: Vec<(u32, u32)>,
    /// Initial trust per edge, from an edge file's `trust` column.
    pub initial_trust: Vec<Option<f64>>,
    /// CSR adjacency: the neighbours of `i` are `adj[offsets[i]..offsets[i + 1]]`
    /// in increasing id order, with their edge indices in `adj_edge`.
    pub offsets: Vec<u32>,
    pub adj: Vec<u32>,
    pub adj_edge: Vec<u32>,
    /// The group each school belongs to for brokerage: its cluster when
    /// `groups_are_clusters`, else its connected component (numbered 0.. in
    /// order of lowest school index). Fixed at build time.
    pub groups: Vec<u32>,
    pub groups_are_clusters: bool,
}

impl Network {
    /// Generates the network described by `spec` over the schools of
    /// `layout`, drawing from `rng`.
    pub fn build<R: Rng + ?Sized>(
        spec: &NetworkSpec,
        layout: &Layout,
        rng: &mut R,
    ) -> Result<Network, NetworkError> {
        let n = layout.authority.len();
        check_layout(spec, layout)?;
        validate_spec(spec)?;
        if n > u32::MAX as usize {
            return Err(NetworkError::Layout(format!(
                "{n} schools is more than the {} a network can hold",
                u32::MAX
            )));
        }

        let authorities = group_by_authority(&layout.authority);
        check_authority_sizes(spec, &authorities)?;

        let clusters_needed = spec.kind == NetworkKind::Clusters || layout.clusters_given;
        let cluster: Vec<u32> = if !clusters_needed {
            Vec::new()
        } else if layout.cluster.is_empty() {
            assign_clusters(&layout.authority, spec.cluster_size)
        } else {
            layout.cluster.clone()
        };

        let mut edges: Vec<(u32, u32)> = Vec::new();
        let mut trust: Vec<Option<f64>> = Vec::new();
        match spec.kind {
            NetworkKind::File => {
                let path = spec.file.as_ref().ok_or_else(|| NetworkError::Spec {
                    key: "file",
                    value: "(not set)".into(),
                    allowed: "network.kind = \"file\" needs network.file, the path of an edge \
                              list CSV with columns from,to and optionally trust"
                        .into(),
                })?;
                let map = (!layout.ids.is_empty()).then(|| id_map(&layout.ids));
                for (a, b, t) in read_edge_file(path, map.as_ref(), n)? {
                    edges.push((a, b));
                    trust.push(t);
                }
            }
            kind => {
                for members in authorities.values() {
                    generate(kind, spec, layout, &cluster, members, rng, &mut edges);
                }
                trust.resize(edges.len(), None);
            }
        }

        add_inter_authority_ties(spec, layout, &authorities, rng, &mut edges, &mut trust)?;

        let groups = clusters_needed.then_some(cluster);
        Ok(Self::assemble(n, edges, trust, groups))
    }

    /// Builds a network from any edge list: edges are canonicalised to
    /// `a < b`, sorted, de-duplicated, and self loops dropped. `groups`:
    /// the brokerage clusters (then `groups_are_clusters`), or `None` for
    /// connected components. Panics if an endpoint is `>= n` or `groups`
    /// has the wrong length.
    pub fn from_edges(
        n: usize,
        edges: impl IntoIterator<Item = (u32, u32)>,
        groups: Option<Vec<u32>>,
    ) -> Network {
        let edges: Vec<(u32, u32)> = edges.into_iter().collect();
        let trust = vec![None; edges.len()];
        Self::assemble(n, edges, trust, groups)
    }

    fn assemble(
        n: usize,
        edges: Vec<(u32, u32)>,
        trust: Vec<Option<f64>>,
        groups: Option<Vec<u32>>,
    ) -> Network {
        debug_assert_eq!(edges.len(), trust.len());
        let mut canon: Vec<((u32, u32), Option<f64>)> = edges
            .into_iter()
            .zip(trust)
            .filter(|((a, b), _)| a != b)
            .map(|((a, b), t)| {
                assert!(
                    (a as usize) < n && (b as usize) < n,
                    "edge ({a}, {b}) refers to a school outside 0..{n}"
                );
                ((a.min(b), a.max(b)), t)
            })
            .collect();
        // Stable sort keeps the first occurrence's trust for duplicates.
        canon.sort_by_key(|&(e, _)| e);
        canon.dedup_by_key(|&mut (e, _)| e);
        let (edges, initial_trust): (Vec<_>, Vec<_>) = canon.into_iter().unzip();

        let mut net = Network {
            n,
            edges,
            initial_trust,
            offsets: Vec::new(),
            adj: Vec::new(),
            adj_edge: Vec::new(),
            groups: Vec::new(),
            groups_are_clusters: false,
        };
        net.rebuild_csr();
        match groups {
            Some(g) => {
                assert_eq!(g.len(), n, "groups must have one entry per school");
                net.groups = g;
                net.groups_are_clusters = true;
            }
            None => net.groups = net.components(),
        }
        net
    }

    fn rebuild_csr(&mut self) {
        let n = self.n;
        let mut offsets = vec![0u32; n + 1];
        for &(a, b) in &self.edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let total = offsets[n] as usize;
        let mut slots: Vec<(u32, u32)> = vec![(0, 0); total];
        let mut cursor: Vec<u32> = offsets[..n].to_vec();
        for (e, &(a, b)) in self.edges.iter().enumerate() {
            let e = e as u32;
            slots[cursor[a as usize] as usize] = (b, e);
            cursor[a as usize] += 1;
            slots[cursor[b as usize] as usize] = (a, e);
            cursor[b as usize] += 1;
        }
        for i in 0..n {
            slots[offsets[i] as usize..offsets[i + 1] as usize].sort_unstable_by_key(|&(j, _)| j);
        }
        self.adj = slots.iter().map(|&(j, _)| j).collect();
        self.adj_edge = slots.iter().map(|&(_, e)| e).collect();
        self.offsets = offsets;
    }

    /// Adds the tie `a`–`b` (for brokerage). Returns the new edge's index, or
    /// `None` if `a == b` or the tie already exists. The edge is appended, so
    /// existing edge indices stay valid; `groups` are not recomputed.
    /// Panics if `a` or `b` is not a school.
    pub fn add_edge(&mut self, a: u32, b: u32) -> Option<usize> {
        assert!(
            (a as usize) < self.n && (b as usize) < self.n,
            "edge ({a}, {b}) refers to a school outside 0..{}",
            self.n
        );
        if a == b || self.has_edge(a, b) {
            return None;
        }
        self.edges.push((a.min(b), a.max(b)));
        self.initial_trust.push(None);
        self.rebuild_csr();
        Some(self.edges.len() - 1)
    }

    /// Adds several ties at once (for a year's brokerage), rebuilding the
    /// adjacency once. Ties that are self loops, already exist or repeat an
    /// earlier pair of the batch are skipped. Returns the number added; the
    /// new edges are appended in the order given.
    pub fn add_edges(&mut self, pairs: &[(u32, u32)]) -> usize {
        let before = self.edges.len();
        for &(a, b) in pairs {
            assert!(
                (a as usize) < self.n && (b as usize) < self.n,
                "edge ({a}, {b}) refers to a school outside 0..{}",
                self.n
            );
            let e = (a.min(b), a.max(b));
            if a == b || self.has_edge(a, b) || self.edges[before..].contains(&e) {
                continue;
            }
            self.edges.push(e);
            self.initial_trust.push(None);
        }
        let added = self.edges.len() - before;
        if added > 0 {
            self.rebuild_csr();
        }
        added
    }

    /// The index of the edge `a`–`b`, if any.
    pub fn edge_index(&self, a: u32, b: u32) -> Option<usize> {
        let (a, b) = (a as usize, b as usize);
        if a == b || a >= self.n || b >= self.n {
            return None;
        }
        let (from, to) = if self.degree(a) <= self.degree(b) {
            (a, b as u32)
        } else {
            (b, a as u32)
        };
        let lo = self.offsets[from] as usize;
        let hi = self.offsets[from + 1] as usize;
        self.adj[lo..hi]
            .binary_search(&to)
            .ok()
            .map(|k| self.adj_edge[lo + k] as usize)
    }

    /// Whether `a` and `b` are linked.
    pub fn has_edge(&self, a: u32, b: u32) -> bool {
        self.edge_index(a, b).is_some()
    }

    /// Number of neighbours of school `i`.
    pub fn degree(&self, i: usize) -> usize {
        (self.offsets[i + 1] - self.offsets[i]) as usize
    }

    /// `(neighbour, edge index)` pairs of school `i`, neighbours ascending.
    pub fn neighbours(&self, i: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        let lo = self.offsets[i] as usize;
        let hi = self.offsets[i + 1] as usize;
        self.adj[lo..hi]
            .iter()
            .copied()
            .zip(self.adj_edge[lo..hi].iter().copied())
    }

    /// The network as a petgraph graph: node `i` is school `i`, edge index
    /// `e` is edge `e`.
    pub fn to_petgraph(&self) -> UnGraph<(), ()> {
        let mut g = UnGraph::with_capacity(self.n, self.edges.len());
        for _ in 0..self.n {
            g.add_node(());
        }
        for &(a, b) in &self.edges {
            g.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), ());
        }
        g
    }

    /// Connected component id per school, numbered 0.. in order of each
    /// component's lowest school index.
    pub fn components(&self) -> Vec<u32> {
        let g = self.to_petgraph();
        let mut uf = UnionFind::<usize>::new(self.n);
        for e in g.edge_indices() {
            if let Some((a, b)) = g.edge_endpoints(e) {
                uf.union(a.index(), b.index());
            }
        }
        let mut label = vec![u32::MAX; self.n];
        let mut out = Vec::with_capacity(self.n);
        let mut next = 0u32;
        for i in 0..self.n {
            let root = uf.find_mut(i);
            if label[root] == u32::MAX {
                label[root] = next;
                next += 1;
            }
            out.push(label[root]);
        }
        out
    }

    /// Mean number of ties per school (0 for an empty network).
    pub fn mean_degree(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            2.0 * self.edges.len() as f64 / self.n as f64
        }
    }

    /// Average local clustering coefficient over all schools; schools with
    /// fewer than two neighbours count as 0 (the usual convention).
    pub fn clustering_coefficient(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let mut mark = vec![u32::MAX; self.n];
        let mut total = 0.0;
        for i in 0..self.n {
            let d = self.degree(i);
            if d < 2 {
                continue;
            }
            for (j, _) in self.neighbours(i) {
                mark[j as usize] = i as u32;
            }
            let mut links = 0u64;
            for (j, _) in self.neighbours(i) {
                for (k, _) in self.neighbours(j as usize) {
                    if k > j && mark[k as usize] == i as u32 {
                        links += 1;
                    }
                }
            }
            total += 2.0 * links as f64 / (d * (d - 1)) as f64;
        }
        total / self.n as f64
    }
}

/// Clusters as consecutive blocks of `cluster_size` schools within each
/// authority (schools in index order), numbered globally by ascending
/// authority and then block. `cluster_size` 0 is treated as 1.
pub fn assign_clusters(authority: &[u32], cluster_size: usize) -> Vec<u32> {
    let size = cluster_size.max(1);
    let mut out = vec![0u32; authority.len()];
    let mut next = 0u32;
    for members in group_by_authority(authority).values() {
        for block in members.chunks(size) {
            for &s in block {
                out[s as usize] = next;
            }
            next += 1;
        }
    }
    out
}

/// Maps school ids to 0-based indices.
pub fn id_map(ids: &[String]) -> HashMap<String, u32> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), i as u32))
        .collect()
}

fn group_by_authority(authority: &[u32]) -> BTreeMap<u32, Vec<u32>> {
    let mut map: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (s, &a) in authority.iter().enumerate() {
        map.entry(a).or_default().push(s as u32);
    }
    map
}

fn check_layout(spec: &NetworkSpec, layout: &Layout) -> Result<(), NetworkError> {
    let n = layout.authority.len();
    let len_ok = |name: &str, len: usize, may_be_empty: bool| {
        if len == n || (may_be_empty && len == 0) {
            Ok(())
        } else {
            Err(NetworkError::Layout(format!(
                "{name} has {len} entries but there are {n} schools"
            )))
        }
    };
    len_ok("cluster", layout.cluster.len(), true)?;
    len_ok("ids", layout.ids.len(), true)?;
    if layout.clusters_given && layout.cluster.len() != n {
        return Err(NetworkError::Layout(
            "clusters are marked as given but no cluster ids were supplied".into(),
        ));
    }
    if layout.has_positions || spec.kind == NetworkKind::Geographic {
        if spec.kind == NetworkKind::Geographic && !layout.has_positions {
            return Err(NetworkError::Layout(
                "network.kind = \"geographic\" needs school positions (x, y)".into(),
            ));
        }
        len_ok("x", layout.x.len(), false)?;
        len_ok("y", layout.y.len(), false)?;
        if let Some(s) = (0..n).find(|&s| !(layout.x[s].is_finite() && layout.y[s].is_finite())) {
            return Err(NetworkError::Layout(format!(
                "school {s} has a position that is not a finite number"
            )));
        }
    }
    Ok(())
}

fn spec_err(key: &'static str, value: impl std::fmt::Display, allowed: &str) -> NetworkError {
    NetworkError::Spec {
        key,
        value: value.to_string(),
        allowed: allowed.to_string(),
    }
}

fn validate_spec(spec: &NetworkSpec) -> Result<(), NetworkError> {
    if spec.cluster_size < 1 {
        return Err(spec_err(
            "cluster_size",
            spec.cluster_size,
            "it must be a whole number of at least 1",
        ));
    }
    for (key, p) in [("p_within", spec.p_within), ("sw_rewire", spec.sw_rewire)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(spec_err(
                key,
                p,
                "it is a probability and must be between 0 and 1",
            ));
        }
    }
    if !(spec.between_ties >= 0.0 && spec.between_ties <= 1000.0) {
        return Err(spec_err(
            "between_ties",
            spec.between_ties,
            "it is the expected number of ties per school and must be from 0 to 1000",
        ));
    }
    if !(spec.radius > 0.0 && spec.radius <= 1.5) {
        return Err(spec_err(
            "radius",
            spec.radius,
            "it is a distance in the unit square and must be above 0 and at most 1.5",
        ));
    }
    if spec.sw_degree < 2 || !spec.sw_degree.is_multiple_of(2) {
        return Err(spec_err(
            "sw_degree",
            spec.sw_degree,
            "it must be an even number of at least 2 (each school links to sw_degree/2 \
             neighbours on either side of the ring)",
        ));
    }
    if spec.sf_m < 1 {
        return Err(spec_err(
            "sf_m",
            spec.sf_m,
            "it must be a whole number of at least 1",
        ));
    }
    Ok(())
}

fn check_authority_sizes(
    spec: &NetworkSpec,
    authorities: &BTreeMap<u32, Vec<u32>>,
) -> Result<(), NetworkError> {
    let Some((&auth, smallest)) = authorities.iter().min_by_key(|(_, m)| m.len()) else {
        return Ok(());
    };
    let size = smallest.len();
    match spec.kind {
        NetworkKind::SmallWorld if spec.sw_degree >= size => Err(spec_err(
            "sw_degree",
            spec.sw_degree,
            &format!(
                "it must be an even number smaller than every authority's number of schools, \
                 and authority {auth} has only {size}"
            ),
        )),
        NetworkKind::ScaleFree if spec.sf_m >= size => Err(spec_err(
            "sf_m",
            spec.sf_m,
            &format!(
                "it must be at least 1 and smaller than every authority's number of schools, \
                 and authority {auth} has only {size}"
            ),
        )),
        _ => Ok(()),
    }
}

fn generate<R: Rng + ?Sized>(
    kind: NetworkKind,
    spec: &NetworkSpec,
    layout: &Layout,
    cluster: &[u32],
    members: &[u32],
    rng: &mut R,
    edges: &mut Vec<(u32, u32)>,
) {
    match kind {
        NetworkKind::Clusters => gen_clusters(members, cluster, spec, rng, edges),
        NetworkKind::Geographic => {
            gen_geographic(members, &layout.x, &layout.y, spec.radius, edges)
        }
        NetworkKind::SmallWorld => {
            gen_small_world(members, spec.sw_degree, spec.sw_rewire, rng, edges)
        }
        NetworkKind::ScaleFree => gen_scale_free(members, spec.sf_m, rng, edges),
        NetworkKind::Complete => {
            for (k, &a) in members.iter().enumerate() {
                for &b in &members[k + 1..] {
                    edges.push((a, b));
                }
            }
        }
        NetworkKind::Ring => {
            let m = members.len();
            if m == 2 {
                edges.push((members[0], members[1]));
            } else if m >= 3 {
                for k in 0..m {
                    edges.push((members[k], members[(k + 1) % m]));
                }
            }
        }
        NetworkKind::None | NetworkKind::File => {}
    }
}

/// Calls `f(k)` for each index `k` in `0..count` selected independently with
/// probability `p`, by geometric skipping (one draw per selected index).
fn bernoulli_indices<R: Rng + ?Sized>(count: u64, p: f64, rng: &mut R, mut f: impl FnMut(u64)) {
    if count == 0 || p <= 0.0 {
        return;
    }
    if p >= 1.0 {
        (0..count).for_each(f);
        return;
    }
    let log_q = (-p).ln_1p();
    let mut k = 0u64;
    while k < count {
        let u = 1.0 - rng.random::<f64>(); // (0, 1]
        let skip = (u.ln() / log_q).floor();
        if skip >= (count - k) as f64 {
            break;
        }
        k += skip as u64;
        f(k);
        k += 1;
    }
}

/// The pair `(i, j)`, `i < j`, with index `k = j (j - 1) / 2 + i`.
fn unrank_pair(k: u64) -> (u64, u64) {
    let mut j = ((1.0 + (1.0 + 8.0 * k as f64).sqrt()) / 2.0).floor() as u64;
    while j * (j - 1) / 2 > k {
        j -= 1;
    }
    while (j + 1) * j / 2 <= k {
        j += 1;
    }
    (k - j * (j - 1) / 2, j)
}

fn pairs(m: usize) -> u64 {
    let m = m as u64;
    m * m.saturating_sub(1) / 2
}

fn gen_clusters<R: Rng + ?Sized>(
    members: &[u32],
    cluster: &[u32],
    spec: &NetworkSpec,
    rng: &mut R,
    edges: &mut Vec<(u32, u32)>,
) {
    // Within clusters: schools grouped by cluster id (ascending), each
    // cluster's schools in index order.
    let mut by_cluster: Vec<(u32, u32)> =
        members.iter().map(|&s| (cluster[s as usize], s)).collect();
    by_cluster.sort_unstable();
    let mut start = 0;
    let mut within_pairs = 0u64;
    while start < by_cluster.len() {
        let c = by_cluster[start].0;
        let mut end = start;
        while end < by_cluster.len() && by_cluster[end].0 == c {
            end += 1;
        }
        let block = &by_cluster[start..end];
        within_pairs += pairs(block.len());
        bernoulli_indices(pairs(block.len()), spec.p_within, rng, |k| {
            let (i, j) = unrank_pair(k);
            edges.push((block[i as usize].1, block[j as usize].1));
        });
        start = end;
    }
    // Between clusters of this authority: each school has `between_ties`
    // such ties in expectation, so each between-cluster pair is a tie with
    // probability between_ties * m / 2 / (between-cluster pairs), at most 1.
    // The geometric skip visits only the selected pairs (O(edges), not
    // O(m^2)); those inside one cluster are dropped.
    let between_pairs = pairs(members.len()) - within_pairs;
    if between_pairs == 0 {
        return;
    }
    let p_between =
        (spec.between_ties * members.len() as f64 / 2.0 / between_pairs as f64).min(1.0);
    bernoulli_indices(pairs(members.len()), p_between, rng, |k| {
        let (i, j) = unrank_pair(k);
        let (a, b) = (members[i as usize], members[j as usize]);
        if cluster[a as usize] != cluster[b as usize] {
            edges.push((a, b));
        }
    });
}

fn gen_geographic(members: &[u32], x: &[f64], y: &[f64], radius: f64, edges: &mut Vec<(u32, u32)>) {
    let r2 = radius * radius;
    let cell = |s: u32| -> (i64, i64) {
        let s = s as usize;
        (
            (x[s] / radius).floor() as i64,
            (y[s] / radius).floor() as i64,
        )
    };
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for &s in members {
        grid.entry(cell(s)).or_default().push(s);
    }
    for &s in members {
        let (cx, cy) = cell(s);
        let (sx, sy) = (x[s as usize], y[s as usize]);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(bucket) = grid.get(&(cx + dx, cy + dy)) else {
                    continue;
                };
                for &t in bucket {
                    if t > s {
                        let ddx = x[t as usize] - sx;
                        let ddy = y[t as usize] - sy;
                        if ddx * ddx + ddy * ddy <= r2 {
                            edges.push((s, t));
                        }
                    }
                }
            }
        }
    }
}

fn gen_small_world<R: Rng + ?Sized>(
    members: &[u32],
    degree: usize,
    rewire: f64,
    rng: &mut R,
    edges: &mut Vec<(u32, u32)>,
) {
    let n = members.len();
    let half = degree / 2;
    let mut adj: Vec<Vec<usize>> = vec![Vec::with_capacity(degree + 2); n];
    for i in 0..n {
        for d in 1..=half {
            let j = (i + d) % n;
            adj[i].push(j);
            adj[j].push(i);
        }
    }
    for d in 1..=half {
        for i in 0..n {
            if !rng.random_bool(rewire) || adj[i].len() >= n - 1 {
                continue;
            }
            let v = (i + d) % n;
            let w = loop {
                let w = rng.random_range(0..n);
                if w != i && !adj[i].contains(&w) {
                    break w;
                }
            };
            adj[i].retain(|&t| t != v);
            adj[v].retain(|&t| t != i);
            adj[i].push(w);
            adj[w].push(i);
        }
    }
    for (i, nb) in adj.iter().enumerate() {
        for &j in nb {
            if j > i {
                edges.push((members[i], members[j]));
            }
        }
    }
}

fn gen_scale_free<R: Rng + ?Sized>(
    members: &[u32],
    m: usize,
    rng: &mut R,
    edges: &mut Vec<(u32, u32)>,
) {
    let n = members.len();
    let core = (m + 1).min(n);
    // Every edge endpoint, so a uniform pick is degree-proportional.
    let mut ends: Vec<usize> = Vec::with_capacity(2 * m * n);
    for i in 0..core {
        for j in 0..i {
            edges.push((members[j], members[i]));
            ends.push(j);
            ends.push(i);
        }
    }
    let mut chosen: Vec<usize> = Vec::with_capacity(m);
    for v in core..n {
        chosen.clear();
        while chosen.len() < m {
            let t = ends[rng.random_range(0..ends.len())];
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for &t in &chosen {
            edges.push((members[t], members[v]));
            ends.push(t);
            ends.push(v);
        }
    }
}

fn add_inter_authority_ties<R: Rng + ?Sized>(
    spec: &NetworkSpec,
    layout: &Layout,
    authorities: &BTreeMap<u32, Vec<u32>>,
    rng: &mut R,
    edges: &mut Vec<(u32, u32)>,
    trust: &mut Vec<Option<f64>>,
) -> Result<(), NetworkError> {
    let wanted = spec.inter_authority_ties;
    if wanted == 0 {
        return Ok(());
    }
    let n = layout.authority.len();
    let auth = &layout.authority;
    let total_pairs = pairs(n);
    let within: u64 = authorities.values().map(|m| pairs(m.len())).sum();
    let mut existing: HashSet<(u32, u32)> =
        edges.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    let existing_cross = existing
        .iter()
        .filter(|&&(a, b)| auth[a as usize] != auth[b as usize])
        .count() as u64;
    let free = total_pairs - within - existing_cross;
    if wanted as u64 > free {
        return Err(spec_err(
            "inter_authority_ties",
            wanted,
            &format!(
                "there are {} authorities and only {free} unlinked pairs of schools in different \
                 authorities; use a smaller number (or 0)",
                authorities.len()
            ),
        ));
    }
    let max_tries = 1000 + 100 * wanted as u64;
    let mut placed = 0usize;
    let mut tries = 0u64;
    while placed < wanted {
        if tries >= max_tries {
            return Err(spec_err(
                "inter_authority_ties",
                wanted,
                &format!(
                    "only {placed} ties could be placed in {max_tries} random tries because \
                     most pairs of schools in different authorities are already linked; use a \
                     smaller number"
                ),
            ));
        }
        tries += 1;
        let a = rng.random_range(0..n) as u32;
        let b = rng.random_range(0..n) as u32;
        if auth[a as usize] == auth[b as usize] {
            continue;
        }
        let e = (a.min(b), a.max(b));
        if existing.insert(e) {
            edges.push(e);
            trust.push(None);
            placed += 1;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// CSV input
// ---------------------------------------------------------------------------

/// One row of a schools file. `None` means the column is absent and the value
/// is to be generated.
#[derive(Clone, Debug, PartialEq)]
pub struct SchoolRecord {
    /// The line of the file the row starts on (as editors number lines; 1 is the header).
    pub line: u64,
    pub id: String,
    pub authority: Option<String>,
    pub context: Option<ContextCell>,
    pub staff: Option<u32>,
    pub cohort: Option<u32>,
    pub intake: Option<f64>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub cluster: Option<String>,
}

/// A school's context as the file gives it: a number (0-based) or a name.
#[derive(Clone, Debug, PartialEq)]
pub enum ContextCell {
    Number(u32),
    Name(String),
}

/// The most staff (teachers) one school may have: about 30 times the largest
/// English secondary school's teaching staff (stated assumption, docs/ODD.md).
pub const MAX_STAFF: u32 = 10_000;
/// The most pupils in one school's cohort (same assumption).
pub const MAX_COHORT: u32 = 100_000;
/// The longest text cell (ids, authority, cluster and context names), in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// One column of the schools file: its name, type and allowed values, and what
/// happens when it is absent. The single description used by the reader, its
/// errors and the README.
#[derive(Clone, Copy, Debug)]
pub struct SchoolColumn {
    pub name: &'static str,
    pub kind: &'static str,
    pub allowed: &'static str,
    pub meaning: &'static str,
    pub when_absent: &'static str,
}

/// Every column of the schools file, in the order the README lists them.
pub const SCHOOL_FILE_COLUMNS: [SchoolColumn; 9] = [
    SchoolColumn {
        name: "id",
        kind: "text",
        allowed: "unique per row, 1 to 200 characters",
        meaning: "the school's identifier; edge lists and per-school outputs use it",
        when_absent: "required",
    },
    SchoolColumn {
        name: "authority",
        kind: "text",
        allowed: "1 to 200 characters",
        meaning: "the local authority the school belongs to (its name)",
        when_absent: "every school is in one authority, \"1\"",
    },
    SchoolColumn {
        name: "context",
        kind: "whole number or text",
        allowed: "0 to landscape.contexts - 1, or names (each distinct name is one context, numbered in order of first appearance; at most landscape.contexts names); not both in one file",
        meaning: "the school's context (which variant of the landscape it faces)",
        when_absent: "drawn at random",
    },
    SchoolColumn {
        name: "staff",
        kind: "whole number",
        allowed: "1 to 10000",
        meaning: "teachers in the school",
        when_absent: "drawn from schools.staff_mean and schools.staff_sd",
    },
    SchoolColumn {
        name: "cohort",
        kind: "whole number",
        allowed: "1 to 100000",
        meaning: "pupils per year group",
        when_absent: "schools.cohort scaled by staff",
    },
    SchoolColumn {
        name: "intake",
        kind: "number",
        allowed: "0 to 100",
        meaning: "prior attainment of the intake (% reaching the expected standard)",
        when_absent: "drawn from schools.intake_mean and schools.intake_sd",
    },
    SchoolColumn {
        name: "x",
        kind: "number",
        allowed: "0 to 1 (positions in the unit square; rescale map coordinates first)",
        meaning: "east-west position, for network.kind = \"geographic\" and the network pictures",
        when_absent: "drawn at random (give both x and y, or neither)",
    },
    SchoolColumn {
        name: "y",
        kind: "number",
        allowed: "0 to 1",
        meaning: "north-south position",
        when_absent: "drawn at random",
    },
    SchoolColumn {
        name: "cluster",
        kind: "text",
        allowed: "1 to 200 characters",
        meaning: "the school's cluster within its authority (same name, same cluster)",
        when_absent: "consecutive blocks of network.cluster_size schools",
    },
];

const SCHOOL_COLUMNS: [&str; 9] = [
    SCHOOL_FILE_COLUMNS[0].name,
    SCHOOL_FILE_COLUMNS[1].name,
    SCHOOL_FILE_COLUMNS[2].name,
    SCHOOL_FILE_COLUMNS[3].name,
    SCHOOL_FILE_COLUMNS[4].name,
    SCHOOL_FILE_COLUMNS[5].name,
    SCHOOL_FILE_COLUMNS[6].name,
    SCHOOL_FILE_COLUMNS[7].name,
    SCHOOL_FILE_COLUMNS[8].name,
];

/// The schools-file columns as a Markdown table (the README's reference).
pub fn school_columns_reference() -> String {
    let mut s = String::from(
        "| column | type | allowed values | meaning | when the column is absent |\n|---|---|---|---|---|\n",
    );
    for c in SCHOOL_FILE_COLUMNS {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            c.name, c.kind, c.allowed, c.meaning, c.when_absent
        ));
    }
    s
}

/// A cell's text as shown in a message: at most 40 characters, with the
/// length of what was cut.
pub fn shown(v: &str) -> String {
    const MAX: usize = 40;
    let n = v.chars().count();
    if n <= MAX {
        v.to_string()
    } else {
        let head: String = v.chars().take(MAX).collect();
        format!("{head}... ({n} characters)")
    }
}
const EDGE_COLUMNS: [&str; 3] = ["from", "to", "trust"];

/// One column of the schools file, as documented (`orglearn schema schools`
/// and the README): its name, its type (`string`, `integer` or `number`),
/// whether it is required, its allowed values and what it means.
pub struct ColumnDoc {
    pub name: &'static str,
    pub kind: &'static str,
    pub required: bool,
    /// Inclusive bounds of a numeric column.
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub allowed: &'static str,
    pub meaning: &'static str,
}

/// The schools file's columns, in the order of [`SCHOOL_COLUMNS`], with the
/// rules [`read_schools_file`] applies. An absent column is generated; a
/// present column may not have empty cells.
pub const SCHOOL_COLUMN_DOCS: [ColumnDoc; 9] = [
    ColumnDoc {
        name: "id",
        kind: "string",
        required: true,
        minimum: None,
        maximum: None,
        allowed: "any text, unique in the file",
        meaning: "The school's identifier; edge files name schools by it.",
    },
    ColumnDoc {
        name: "authority",
        kind: "string",
        required: false,
        minimum: None,
        maximum: None,
        allowed: "any text",
        meaning: "The school's local authority; `[[strategy.authority]]` tables may name it.",
    },
    ColumnDoc {
        name: "context",
        kind: "integer",
        required: false,
        minimum: Some(0.0),
        maximum: None,
        allowed: "a whole number from 0 to `landscape.contexts` - 1",
        meaning: "The school's local context type, which selects its landscape variant.",
    },
    ColumnDoc {
        name: "staff",
        kind: "integer",
        required: false,
        minimum: Some(1.0),
        maximum: None,
        allowed: "a whole number >= 1",
        meaning: "Number of teachers.",
    },
    ColumnDoc {
        name: "cohort",
        kind: "integer",
        required: false,
        minimum: Some(1.0),
        maximum: None,
        allowed: "a whole number >= 1",
        meaning: "Pupils per cohort (weights the school in authority-wide indicators).",
    },
    ColumnDoc {
        name: "intake",
        kind: "number",
        required: false,
        minimum: Some(0.0),
        maximum: Some(100.0),
        allowed: "a number from 0 to 100",
        meaning: "Intake: the attainment (%) the school's pupils reach with average-quality practice.",
    },
    ColumnDoc {
        name: "x",
        kind: "number",
        required: false,
        minimum: None,
        maximum: None,
        allowed: "a finite number; give both x and y or neither",
        meaning: "Position (geographic networks and pictures).",
    },
    ColumnDoc {
        name: "y",
        kind: "number",
        required: false,
        minimum: None,
        maximum: None,
        allowed: "a finite number; give both x and y or neither",
        meaning: "Position (geographic networks and pictures).",
    },
    ColumnDoc {
        name: "cluster",
        kind: "string",
        required: false,
        minimum: None,
        maximum: None,
        allowed: "any text",
        meaning: "The school's cluster (learning community); with it, clusters are these groups.",
    },
];

/// An open CSV file with its header resolved against the allowed columns.
struct Table {
    file: String,
    reader: csv::Reader<File>,
    /// Column position of each allowed column, if present.
    cols: Vec<Option<usize>>,
}

impl Table {
    fn open(
        path: &Path,
        allowed: &[&str],
        required: &[&str],
        what: &str,
    ) -> Result<Table, NetworkError> {
        let file = path.display().to_string();
        let handle = File::open(path).map_err(|source| NetworkError::Io {
            file: file.clone(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .has_headers(true)
            .from_reader(handle);
        let listing = || {
            let mut parts = Vec::new();
            for c in allowed {
                if required.contains(c) {
                    parts.push(format!("{c} (required)"));
                } else {
                    parts.push(c.to_string());
                }
            }
            parts.join(", ")
        };
        let header_err = |message: String| NetworkError::Input {
            file: file.clone(),
            line: 1,
            message,
        };
        let headers = reader.headers().map_err(|e| csv_error(&file, e))?.clone();
        if headers.is_empty() || headers.iter().all(str::is_empty) {
            return Err(header_err(format!(
                "the file is empty; a {what} starts with a header row naming its columns: {}",
                listing()
            )));
        }
        let mut cols: Vec<Option<usize>> = vec![None; allowed.len()];
        for (pos, name) in headers.iter().enumerate() {
            let name = name.trim_start_matches('\u{feff}').trim().to_lowercase();
            let Some(k) = allowed.iter().position(|c| *c == name) else {
                return Err(header_err(format!(
                    "unknown column \"{name}\"; the allowed columns are {}",
                    listing()
                )));
            };
            if cols[k].is_some() {
                return Err(header_err(format!(
                    "column \"{name}\" appears twice in the header"
                )));
            }
            cols[k] = Some(pos);
        }
        for req in required {
            let k = allowed
                .iter()
                .position(|c| c == req)
                .expect("required column is allowed");
            if cols[k].is_none() {
                return Err(header_err(format!(
                    "the header has no \"{req}\" column; the allowed columns are {}",
                    listing()
                )));
            }
        }
        Ok(Table { file, reader, cols })
    }

    fn col(&self, allowed: &[&str], name: &str) -> Option<usize> {
        self.cols[allowed
            .iter()
            .position(|c| *c == name)
            .expect("known column")]
    }

    /// Each data row with its line number.
    fn rows(&mut self) -> Result<Vec<(u64, csv::StringRecord)>, NetworkError> {
        let mut out = Vec::new();
        for rec in self.reader.records() {
            let rec = rec.map_err(|e| csv_error(&self.file, e))?;
            let line = rec.position().map_or(0, |p| p.line());
            out.push((line, rec));
        }
        Ok(out)
    }

    fn err(&self, line: u64, message: String) -> NetworkError {
        NetworkError::Input {
            file: self.file.clone(),
            line,
            message,
        }
    }
}

fn csv_error(file: &str, e: csv::Error) -> NetworkError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => NetworkError::Input {
            file: file.to_string(),
            line,
            message: format!(
                "this row has {len} cells but the header has {expected_len}; every row needs one \
                 cell per column (leave no cell out, and quote cells that contain commas)"
            ),
        },
        csv::ErrorKind::Utf8 { .. } => NetworkError::Input {
            file: file.to_string(),
            line,
            message: "this row is not valid UTF-8 text; save the file as UTF-8 CSV".into(),
        },
        csv::ErrorKind::Io(_) => {
            let csv::ErrorKind::Io(io) = e.into_kind() else {
                unreachable!()
            };
            NetworkError::Io {
                file: file.to_string(),
                source: io,
            }
        }
        _ => NetworkError::Input {
            file: file.to_string(),
            line,
            message: format!("this row could not be read as CSV: {e}"),
        },
    }
}

/// The cell of column `name` (at position `pos`), which must not be empty.
fn nonempty<'a>(
    t: &Table,
    line: u64,
    rec: &'a csv::StringRecord,
    pos: usize,
    name: &str,
    hint: &str,
) -> Result<&'a str, NetworkError> {
    let v = rec.get(pos).unwrap_or("");
    if v.is_empty() {
        Err(t.err(line, format!("column \"{name}\" is empty; {hint}")))
    } else {
        Ok(v)
    }
}

/// Reads a schools file (header `id,authority,context,staff,cohort,intake,x,y,cluster`,
/// only `id` required). An absent column means the value is generated; an
/// empty cell in a present column is an error.
pub fn read_schools_file(path: &Path) -> Result<Vec<SchoolRecord>, NetworkError> {
    let cols = &SCHOOL_COLUMNS;
    let mut t = Table::open(path, cols, &["id"], "schools file")?;
    let has_x = t.col(cols, "x").is_some();
    let has_y = t.col(cols, "y").is_some();
    if has_x != has_y {
        return Err(t.err(
            1,
            "the header has only one of the columns \"x\" and \"y\"; give both (positions) or \
             neither (positions are generated)"
                .into(),
        ));
    }
    let rows = t.rows()?;
    if rows.is_empty() {
        return Err(t.err(
            1,
            "the file has a header but no schools; add one row per school".into(),
        ));
    }
    let hint = "fill it in, or remove the whole column to have the value generated";
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut first_context: Option<(u64, ContextCell)> = None;
    let mut out = Vec::with_capacity(rows.len());
    for (line, rec) in &rows {
        let line = *line;
        let text = |name: &str| -> Result<Option<String>, NetworkError> {
            let Some(pos) = t.col(cols, name) else {
                return Ok(None);
            };
            let v = nonempty(&t, line, rec, pos, name, hint)?;
            if v.chars().count() > MAX_NAME_CHARS {
                return Err(t.err(
                    line,
                    format!(
                        "column \"{name}\" is \"{}\", longer than the {MAX_NAME_CHARS} characters allowed",
                        shown(v)
                    ),
                ));
            }
            Ok(Some(v.to_string()))
        };
        let whole = |name: &str,
                     min: u32,
                     max: u32,
                     what: &str|
         -> Result<Option<u32>, NetworkError> {
            let Some(v) = text(name)? else {
                return Ok(None);
            };
            match v.parse::<u32>() {
                Ok(x) if (min..=max).contains(&x) => Ok(Some(x)),
                _ => Err(t.err(
                    line,
                    format!(
                        "column \"{name}\" is \"{}\", but {what} must be a whole number from {min} to {max}",
                        shown(&v)
                    ),
                )),
            }
        };
        let real = |name: &str,
                    range: Option<(f64, f64)>,
                    what: &str|
         -> Result<Option<f64>, NetworkError> {
            let Some(v) = text(name)? else {
                return Ok(None);
            };
            let ok = v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .filter(|x| range.is_none_or(|(lo, hi)| (lo..=hi).contains(x)));
            match (ok, range) {
                (Some(x), _) => Ok(Some(x)),
                (None, Some((lo, hi))) => Err(t.err(
                    line,
                    format!(
                        "column \"{name}\" is \"{}\", but {what} must be a number from {lo} to {hi}",
                        shown(&v)
                    ),
                )),
                (None, None) => Err(t.err(
                    line,
                    format!(
                        "column \"{name}\" is \"{}\", but {what} must be a finite number",
                        shown(&v)
                    ),
                )),
            }
        };
        let id = text("id")?.expect("id column is required");
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(t.err(
                line,
                format!("column \"id\": school id \"{id}\" already appears on line {first}; ids must be unique"),
            ));
        }
        let context = match text("context")? {
            None => None,
            Some(v) => Some(match v.parse::<u32>() {
                Ok(c) => ContextCell::Number(c),
                Err(_) if v.parse::<f64>().is_ok() => {
                    return Err(t.err(
                        line,
                        format!(
                            "column \"context\" is \"{}\", but a context is a whole number from 0 \
                             (below landscape.contexts) or a name",
                            shown(&v)
                        ),
                    ));
                }
                Err(_) => ContextCell::Name(v),
            }),
        };
        let kind = |c: &ContextCell| matches!(c, ContextCell::Name(_));
        if let (Some(c), Some((first_line, first))) = (&context, &first_context)
            && kind(c) != kind(first)
        {
            return Err(t.err(
                line,
                format!(
                    "column \"context\" mixes numbers and names (line {first_line} has a {}, this \
                     line a {}); use numbers 0 to landscape.contexts - 1 throughout, or names throughout",
                    if kind(first) { "name" } else { "number" },
                    if kind(c) { "name" } else { "number" }
                ),
            ));
        }
        if first_context.is_none()
            && let Some(c) = &context
        {
            first_context = Some((line, c.clone()));
        }
        let unit = Some((0.0, 1.0));
        out.push(SchoolRecord {
            line,
            authority: text("authority")?,
            context,
            staff: whole("staff", 1, MAX_STAFF, "a staff count")?,
            cohort: whole("cohort", 1, MAX_COHORT, "a cohort size")?,
            intake: real("intake", Some((0.0, 100.0)), "an intake score")?,
            x: real("x", unit, "a position (positions lie in the unit square; rescale map coordinates, e.g. x = (easting - min) / (max - min))")?,
            y: real("y", unit, "a position (positions lie in the unit square; rescale map coordinates, e.g. y = (northing - min) / (max - min))")?,
            cluster: text("cluster")?,
            id,
        });
    }
    Ok(out)
}

/// Reads an edge list CSV (header `from,to`, optional `trust`). Schools are
/// named by their schools-file id when `id_map` is given, else by 0-based
/// index below `n`. Returns `(a, b, trust)` with `a < b` in file order. An
/// empty `trust` cell means no initial trust for that tie.
pub fn read_edge_file(
    path: &Path,
    id_map: Option<&HashMap<String, u32>>,
    n: usize,
) -> Result<Vec<(u32, u32, Option<f64>)>, NetworkError> {
    let cols = &EDGE_COLUMNS;
    let mut t = Table::open(path, cols, &["from", "to"], "edge list")?;
    let from_pos = t.col(cols, "from").expect("required");
    let to_pos = t.col(cols, "to").expect("required");
    let trust_pos = t.col(cols, "trust");
    let rows = t.rows()?;
    let mut seen: HashMap<(u32, u32), u64> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (line, rec) in &rows {
        let line = *line;
        let school = |pos: usize, name: &str| -> Result<u32, NetworkError> {
            let v = nonempty(&t, line, rec, pos, name, "every row needs two schools")?;
            match id_map {
                Some(map) => map.get(v).copied().ok_or_else(|| {
                    t.err(
                        line,
                        format!(
                            "column \"{name}\": school id \"{}\" is not in the schools file",
                            shown(v)
                        ),
                    )
                }),
                None => match v.parse::<u64>() {
                    Ok(i) if i < n as u64 => Ok(i as u32),
                    _ => Err(t.err(
                        line,
                        format!(
                            "column \"{name}\": school \"{}\" is not a school index; without a \
                             schools file, schools are numbered 0 to {}",
                            shown(v),
                            n.saturating_sub(1)
                        ),
                    )),
                },
            }
        };
        let a = school(from_pos, "from")?;
        let b = school(to_pos, "to")?;
        if a == b {
            return Err(t.err(
                line,
                format!(
                    "columns \"from\" and \"to\" name the same school \"{}\"; a school cannot be \
                     tied to itself",
                    rec.get(from_pos).unwrap_or("")
                ),
            ));
        }
        let trust = match trust_pos.map(|p| rec.get(p).unwrap_or("")) {
            None | Some("") => None,
            Some(v) => match v.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => Some(x),
                _ => {
                    return Err(t.err(
                        line,
                        format!(
                            "column \"trust\" is \"{}\", but trust must be a number from 0 to 1 \
                             (or empty for none)",
                            shown(v)
                        ),
                    ));
                }
            },
        };
        let e = (a.min(b), a.max(b));
        if let Some(first) = seen.insert(e, line) {
            return Err(t.err(
                line,
                format!(
                    "columns \"from\",\"to\": the tie between \"{}\" and \"{}\" already appears on \
                     line {first}; list each pair of schools once",
                    rec.get(from_pos).unwrap_or(""),
                    rec.get(to_pos).unwrap_or("")
                ),
            ));
        }
        out.push((e.0, e.1, trust));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, StreamRng, stream};

    fn rng(seed: u64) -> StreamRng {
        stream(seed, 0, crate::rng::entity::WORLD, Purpose::Network, 0)
    }

    /// `sizes[a]` schools in authority `a`, interleaved so authorities are not
    /// contiguous; clusters of `cs` within each authority; random positions.
    fn layout(sizes: &[usize], cs: usize, seed: u64) -> Layout {
        let mut authority = Vec::new();
        let mut left: Vec<usize> = sizes.to_vec();
        while left.iter().any(|&l| l > 0) {
            for (a, l) in left.iter_mut().enumerate() {
                if *l > 0 {
                    authority.push(a as u32);
                    *l -= 1;
                }
            }
        }
        let n = authority.len();
        let mut r = stream(seed, 0, 0, Purpose::Layout, 0);
        let x = (0..n).map(|_| r.random::<f64>()).collect();
        let y = (0..n).map(|_| r.random::<f64>()).collect();
        Layout {
            cluster: assign_clusters(&authority, cs),
            authority,
            x,
            y,
            has_positions: true,
            ids: Vec::new(),
            clusters_given: false,
        }
    }

    fn spec(kind: NetworkKind) -> NetworkSpec {
        NetworkSpec {
            kind,
            ..Default::default()
        }
    }

    fn cross_edges(net: &Network, l: &Layout) -> usize {
        net.edges
            .iter()
            .filter(|&&(a, b)| l.authority[a as usize] != l.authority[b as usize])
            .count()
    }

    fn check_canonical_and_csr(net: &Network) {
        assert!(
            net.edges.windows(2).all(|w| w[0] < w[1]),
            "edges sorted and unique"
        );
        assert!(net.edges.iter().all(|&(a, b)| a < b), "a < b");
        assert_eq!(net.initial_trust.len(), net.edges.len());
        assert_eq!(net.adj.len(), 2 * net.edges.len());
        for i in 0..net.n {
            for (j, e) in net.neighbours(i) {
                let (a, b) = net.edges[e as usize];
                assert!((a as usize == i && b == j) || (b as usize == i && a == j));
            }
        }
    }

    #[test]
    fn geometric_skipping_selects_with_probability_p() {
        let mut r = rng(3);
        let mut hits = 0u64;
        let mut last = None;
        bernoulli_indices(1_000_000, 0.03, &mut r, |k| {
            assert!(last.is_none_or(|l| k > l) && k < 1_000_000);
            last = Some(k);
            hits += 1;
        });
        // mean 30000, s.d. ~171
        assert!((hits as f64 - 30_000.0).abs() < 1_000.0, "hits {hits}");
        for k in 0..10_000u64 {
            let (i, j) = unrank_pair(k);
            assert!(i < j && j * (j - 1) / 2 + i == k);
        }
    }

    #[test]
    fn sbm_densities_match_probabilities() {
        let l = layout(&[600; 20], 6, 1);
        let s = spec(NetworkKind::Clusters);
        let net = Network::build(&s, &l, &mut rng(11)).unwrap();
        check_canonical_and_csr(&net);
        assert_eq!(cross_edges(&net, &l), 0);
        let within = net
            .edges
            .iter()
            .filter(|&&(a, b)| l.cluster[a as usize] == l.cluster[b as usize])
            .count() as f64;
        let between = net.edges.len() as f64 - within;
        let within_pairs = 20.0 * 100.0 * 15.0;
        let dw = within / within_pairs;
        // Ties to other clusters per school: expected 1 (between_ties).
        let db = 2.0 * between / 12_000.0;
        // s.e. 0.0023 and 0.013
        assert!((dw - 0.8).abs() < 0.015, "within density {dw}");
        assert!((db - 1.0).abs() < 0.05, "between ties per school {db}");
        assert!(net.groups_are_clusters);
        assert_eq!(net.groups, l.cluster);
    }

    /// Mean degree of the clusters network does not grow with the
    /// authority's size: 200, 2,000 and 20,000 schools, each size over
    /// enough seeds for 20,000 schools in all. Expected degree: 0.8 x 5
    /// within (a little less where the last cluster is short) + 1 between,
    /// 4.97 to 5.0; s.e. of the mean about 0.02. The old rule (0.01 of all
    /// pairs) gave 2.9, 24.9 and 205.
    #[test]
    fn clusters_mean_degree_constant_in_n() {
        for n in [200usize, 2_000, 20_000] {
            let reps = 20_000 / n;
            let (mut degree, mut between) = (0.0, 0.0);
            for r in 0..reps {
                let l = layout(&[n], 6, r as u64);
                let net =
                    Network::build(&spec(NetworkKind::Clusters), &l, &mut rng(r as u64)).unwrap();
                let b = net
                    .edges
                    .iter()
                    .filter(|&&(a, b)| l.cluster[a as usize] != l.cluster[b as usize])
                    .count();
                degree += 2.0 * net.edges.len() as f64 / n as f64;
                between += 2.0 * b as f64 / n as f64;
            }
            let (degree, between) = (degree / reps as f64, between / reps as f64);
            assert!(
                (degree - 5.0).abs() < 0.15,
                "{n} schools: mean degree {degree}"
            );
            assert!(
                (between - 1.0).abs() < 0.1,
                "{n} schools: between ties {between}"
            );
        }
    }

    #[test]
    fn generated_clusters_when_layout_has_none() {
        let mut l = layout(&[13, 7], 6, 2);
        l.cluster.clear();
        let s = NetworkSpec {
            p_within: 1.0,
            between_ties: 0.0,
            ..spec(NetworkKind::Clusters)
        };
        let net = Network::build(&s, &l, &mut rng(1)).unwrap();
        // authority 0: blocks 6,6,1 -> 15+15+0; authority 1: 6,1 -> 15
        assert_eq!(net.edges.len(), 45);
        assert_eq!(net.groups, assign_clusters(&l.authority, 6));
    }

    #[test]
    fn ring_degrees_are_two() {
        let l = layout(&[5, 7, 12, 3], 6, 3);
        let net = Network::build(&spec(NetworkKind::Ring), &l, &mut rng(1)).unwrap();
        check_canonical_and_csr(&net);
        assert!((0..net.n).all(|i| net.degree(i) == 2));
        assert_eq!(net.edges.len(), 27);
        assert_eq!(cross_edges(&net, &l), 0);
        // Components are the authorities; groups are components for a ring.
        assert!(!net.groups_are_clusters);
        assert_eq!(net.groups.iter().max(), Some(&3));
        for (s, &g) in net.groups.iter().enumerate() {
            assert_eq!(
                g,
                net.groups[l
                    .authority
                    .iter()
                    .position(|&a| a == l.authority[s])
                    .unwrap()]
            );
        }
    }

    #[test]
    fn complete_has_all_pairs() {
        let l = layout(&[10, 4, 1], 6, 4);
        let net = Network::build(&spec(NetworkKind::Complete), &l, &mut rng(1)).unwrap();
        assert_eq!(net.edges.len(), 45 + 6);
        assert_eq!(cross_edges(&net, &l), 0);
        let one = Network::build(
            &spec(NetworkKind::Complete),
            &layout(&[30], 6, 4),
            &mut rng(1),
        )
        .unwrap();
        assert_eq!(one.edges.len(), 30 * 29 / 2);
        assert!((one.clustering_coefficient() - 1.0).abs() < 1e-12);
        let none = Network::build(&spec(NetworkKind::None), &l, &mut rng(1)).unwrap();
        assert!(none.edges.is_empty());
        assert_eq!(none.groups, (0..15).collect::<Vec<u32>>());
    }

    #[test]
    fn small_world_lattice_and_rewiring() {
        let n = 500;
        let l = layout(&[n], 6, 5);
        let lattice = NetworkSpec {
            sw_rewire: 0.0,
            ..spec(NetworkKind::SmallWorld)
        };
        let net0 = Network::build(&lattice, &l, &mut rng(2)).unwrap();
        let expected = Network::from_edges(
            n,
            (0..n as u32).flat_map(|i| [(i, (i + 1) % n as u32), (i, (i + 2) % n as u32)]),
            None,
        );
        assert_eq!(net0.edges, expected.edges);
        let c0 = net0.clustering_coefficient();
        assert!((c0 - 0.5).abs() < 1e-12, "lattice clustering {c0}");

        let rewired = NetworkSpec {
            sw_rewire: 0.2,
            ..spec(NetworkKind::SmallWorld)
        };
        let net1 = Network::build(&rewired, &l, &mut rng(2)).unwrap();
        check_canonical_and_csr(&net1);
        assert_eq!(net1.edges.len(), net0.edges.len());
        assert_ne!(net1.edges, net0.edges);
        let c1 = net1.clustering_coefficient();
        // Expected about 0.5 * 0.8^3 = 0.256.
        assert!(c1 < 0.4, "rewired clustering {c1}");
    }

    #[test]
    fn scale_free_counts_and_heavy_tail() {
        let n = 3000;
        let l = layout(&[n], 6, 6);
        let s = spec(NetworkKind::ScaleFree);
        let net = Network::build(&s, &l, &mut rng(3)).unwrap();
        check_canonical_and_csr(&net);
        assert_eq!(net.edges.len(), 3 + (n - 3) * 2);
        let max = (0..n).map(|i| net.degree(i)).max().unwrap() as f64;
        let mean = net.mean_degree();
        assert!(max > 8.0 * mean, "max {max} mean {mean}");
        assert!((0..n).all(|i| net.degree(i) >= 2));
        assert_eq!(net.components().iter().max(), Some(&0));
    }

    #[test]
    fn geographic_links_exactly_pairs_within_radius() {
        let l = layout(&[200, 150], 6, 7);
        let s = NetworkSpec {
            radius: 0.1,
            ..spec(NetworkKind::Geographic)
        };
        let net = Network::build(&s, &l, &mut rng(4)).unwrap();
        check_canonical_and_csr(&net);
        let mut count = 0;
        for a in 0..l.authority.len() {
            for b in a + 1..l.authority.len() {
                let dx = l.x[b] - l.x[a];
                let dy = l.y[b] - l.y[a];
                let want = l.authority[a] == l.authority[b] && dx * dx + dy * dy <= 0.01;
                assert_eq!(net.has_edge(a as u32, b as u32), want, "pair {a} {b}");
                count += want as usize;
            }
        }
        assert_eq!(count, net.edges.len());
        assert!(count > 100);
    }

    #[test]
    fn inter_authority_ties_exact() {
        let l = layout(&[40, 40, 40, 40], 6, 8);
        for kind in [
            NetworkKind::Clusters,
            NetworkKind::Ring,
            NetworkKind::SmallWorld,
            NetworkKind::ScaleFree,
            NetworkKind::Geographic,
            NetworkKind::None,
        ] {
            let net = Network::build(&spec(kind), &l, &mut rng(5)).unwrap();
            assert_eq!(cross_edges(&net, &l), 0, "{kind:?}");
            let s = NetworkSpec {
                inter_authority_ties: 25,
                ..spec(kind)
            };
            let net = Network::build(&s, &l, &mut rng(5)).unwrap();
            check_canonical_and_csr(&net);
            assert_eq!(cross_edges(&net, &l), 25, "{kind:?}");
        }
        // Authorities of 2 and 1 schools have exactly 2 cross pairs.
        let small = layout(&[2, 1], 6, 8);
        let s = NetworkSpec {
            inter_authority_ties: 2,
            ..spec(NetworkKind::None)
        };
        assert_eq!(
            Network::build(&s, &small, &mut rng(1)).unwrap().edges.len(),
            2
        );
        let s = NetworkSpec {
            inter_authority_ties: 3,
            ..spec(NetworkKind::None)
        };
        let e = Network::build(&s, &small, &mut rng(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("network.inter_authority_ties"), "{e}");
    }

    #[test]
    fn same_seed_same_network() {
        let l = layout(&[300, 200, 100], 6, 9);
        for kind in [
            NetworkKind::Clusters,
            NetworkKind::SmallWorld,
            NetworkKind::ScaleFree,
        ] {
            let s = NetworkSpec {
                inter_authority_ties: 10,
                ..spec(kind)
            };
            let a = Network::build(&s, &l, &mut rng(42)).unwrap();
            let b = Network::build(&s, &l, &mut rng(42)).unwrap();
            let c = Network::build(&s, &l, &mut rng(43)).unwrap();
            assert_eq!(a.edges, b.edges);
            assert_eq!(a.adj, b.adj);
            assert_ne!(a.edges, c.edges, "{kind:?}");
        }
    }

    #[test]
    fn add_edge_keeps_indices_stable() {
        let mut net = Network::from_edges(6, [(3, 1), (1, 3), (0, 1), (2, 2), (4, 5)], None);
        assert_eq!(net.edges, vec![(0, 1), (1, 3), (4, 5)]);
        assert_eq!(net.groups, vec![0, 0, 1, 0, 2, 2]);
        assert_eq!(net.add_edge(1, 0), None);
        assert_eq!(net.add_edge(2, 2), None);
        assert_eq!(net.add_edge(5, 2), Some(3));
        assert_eq!(net.edges, vec![(0, 1), (1, 3), (4, 5), (2, 5)]);
        assert!(net.has_edge(2, 5) && net.has_edge(5, 2) && !net.has_edge(2, 4));
        assert_eq!(net.edge_index(3, 1), Some(1));
        assert_eq!(net.neighbours(5).collect::<Vec<_>>(), vec![(2, 3), (4, 2)]);
        assert_eq!(net.degree(5), 2);
        check_canonical_and_csr(&Network::from_edges(6, net.edges.clone(), None));
        let g = net.to_petgraph();
        assert_eq!((g.node_count(), g.edge_count()), (6, 4));
        // groups are fixed at build time
        assert_eq!(net.groups, vec![0, 0, 1, 0, 2, 2]);
        assert_eq!(net.components(), vec![0, 0, 1, 0, 1, 1]);
    }

    #[test]
    fn clustering_coefficient_small_cases() {
        let tri = Network::from_edges(3, [(0, 1), (1, 2), (0, 2)], None);
        assert!((tri.clustering_coefficient() - 1.0).abs() < 1e-12);
        let star = Network::from_edges(4, [(0, 1), (0, 2), (0, 3)], None);
        assert_eq!(star.clustering_coefficient(), 0.0);
        // Triangle 0-1-2 plus pendant 3 on 0: c0 = 1/3, c1 = c2 = 1, c3 = 0.
        let g = Network::from_edges(4, [(0, 1), (1, 2), (0, 2), (0, 3)], None);
        assert!((g.clustering_coefficient() - (1.0 / 3.0 + 2.0) / 4.0).abs() < 1e-12);
        assert!((g.mean_degree() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn spec_errors_name_the_key() {
        let l = layout(&[10, 5], 6, 10);
        let cases: Vec<(NetworkSpec, &str)> = vec![
            (
                NetworkSpec {
                    cluster_size: 0,
                    ..Default::default()
                },
                "network.cluster_size",
            ),
            (
                NetworkSpec {
                    p_within: 1.2,
                    ..Default::default()
                },
                "network.p_within",
            ),
            (
                NetworkSpec {
                    between_ties: -0.1,
                    ..Default::default()
                },
                "network.between_ties",
            ),
            (
                NetworkSpec {
                    sw_rewire: f64::NAN,
                    ..Default::default()
                },
                "network.sw_rewire",
            ),
            (
                NetworkSpec {
                    radius: 0.0,
                    ..Default::default()
                },
                "network.radius",
            ),
            (
                NetworkSpec {
                    radius: 2.0,
                    ..Default::default()
                },
                "network.radius",
            ),
            (
                NetworkSpec {
                    sw_degree: 3,
                    ..spec(NetworkKind::SmallWorld)
                },
                "network.sw_degree",
            ),
            (
                NetworkSpec {
                    sw_degree: 6,
                    ..spec(NetworkKind::SmallWorld)
                },
                "network.sw_degree",
            ),
            (
                NetworkSpec {
                    sf_m: 0,
                    ..spec(NetworkKind::ScaleFree)
                },
                "network.sf_m",
            ),
            (
                NetworkSpec {
                    sf_m: 5,
                    ..spec(NetworkKind::ScaleFree)
                },
                "network.sf_m",
            ),
            (spec(NetworkKind::File), "network.file"),
        ];
        for (s, key) in cases {
            let e = Network::build(&s, &l, &mut rng(1)).unwrap_err().to_string();
            assert!(e.contains(key), "{key}: {e}");
        }
        // sw_degree 4 < 5 and sf_m 4 < 5 are fine.
        Network::build(&spec(NetworkKind::SmallWorld), &l, &mut rng(1)).unwrap();
        let ok = NetworkSpec {
            sf_m: 4,
            ..spec(NetworkKind::ScaleFree)
        };
        Network::build(&ok, &l, &mut rng(1)).unwrap();
        assert_eq!(
            "small-world".parse::<NetworkKind>().unwrap(),
            NetworkKind::SmallWorld
        );
        assert!(
            "lattice"
                .parse::<NetworkKind>()
                .unwrap_err()
                .to_string()
                .contains("network.kind")
        );
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn tmp() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("orglearn-network-")
            .tempdir_in(std::env::temp_dir())
            .unwrap()
    }

    #[test]
    fn edge_file_good_and_used_by_build() {
        let dir = tmp();
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let map = id_map(&ids);
        let p = write(
            dir.path(),
            "edges.csv",
            "from,to,trust\nb,a,0.5\nc , d,\n\nd,a,1\n",
        );
        let got = read_edge_file(&p, Some(&map), 4).unwrap();
        assert_eq!(
            got,
            vec![(0, 1, Some(0.5)), (2, 3, None), (0, 3, Some(1.0))]
        );

        let p2 = write(dir.path(), "idx.csv", "to,from\n3,0\n1,2\n");
        assert_eq!(
            read_edge_file(&p2, None, 4).unwrap(),
            vec![(0, 3, None), (1, 2, None)]
        );

        let l = Layout {
            authority: vec![0, 0, 1, 1],
            ids,
            ..Default::default()
        };
        let s = NetworkSpec {
            kind: NetworkKind::File,
            file: Some(p),
            ..Default::default()
        };
        let net = Network::build(&s, &l, &mut rng(1)).unwrap();
        assert_eq!(net.edges, vec![(0, 1), (0, 3), (2, 3)]);
        assert_eq!(net.initial_trust, vec![Some(0.5), Some(1.0), None]);
        assert!(!net.groups_are_clusters);
        assert_eq!(net.groups, vec![0, 0, 0, 0]);
    }

    #[test]
    fn edge_file_errors_name_file_line_and_column() {
        let dir = tmp();
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let map = id_map(&ids);
        let cases: &[(&str, bool, &str, &[&str])] = &[
            (
                "from,to\na,b\nb,x12\n",
                true,
                "line 3",
                &["\"to\"", "x12", "schools file"],
            ),
            ("from,to\na,a\n", true, "line 2", &["\"from\"", "itself"]),
            (
                "from,to\n0,1\n1,7\n",
                false,
                "line 3",
                &["\"to\"", "0 to 2"],
            ),
            ("from,to\n0,1.5\n", false, "line 2", &["\"to\"", "1.5"]),
            (
                "from,to,trust\n0,1,1.5\n",
                false,
                "line 2",
                &["\"trust\"", "0 to 1"],
            ),
            (
                "from,to,trust\n0,1,high\n",
                false,
                "line 2",
                &["\"trust\"", "high"],
            ),
            (
                "from,to\n0,1\n2,1\n1,0\n",
                false,
                "line 4",
                &["\"from\"", "line 2"],
            ),
            ("from,to\n,1\n", false, "line 2", &["\"from\"", "empty"]),
            (
                "from,too\n0,1\n",
                false,
                "line 1",
                &["\"too\"", "from (required)"],
            ),
            ("from\n0\n", false, "line 1", &["\"to\"", "required"]),
            (
                "from,to\n0,1,2\n",
                false,
                "line 2",
                &["3 cells", "header has 2"],
            ),
            ("", false, "line 1", &["empty", "from (required)"]),
        ];
        for (k, (text, with_ids, line, needles)) in cases.iter().enumerate() {
            let name = format!("edges{k}.csv");
            let p = write(dir.path(), &name, text);
            let m = with_ids.then_some(&map);
            let e = read_edge_file(&p, m, 3).unwrap_err().to_string();
            assert!(e.contains(&name), "case {k}: {e}");
            assert!(e.contains(&format!("{line}:")), "case {k}: {e}");
            for n in *needles {
                assert!(e.contains(n), "case {k} wants {n}: {e}");
            }
        }
        let e = read_edge_file(&dir.path().join("missing.csv"), None, 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.csv"), "{e}");
    }

    #[test]
    fn schools_file_good() {
        let dir = tmp();
        let p = write(
            dir.path(),
            "schools.csv",
            "id,authority,context,staff,cohort,intake,x,y,cluster\n\
             s1,north,2,30,60,55.5,0.1,0.2,c1\n\
             s2,north,0,12,25,100,0.9,0.8,c1\n",
        );
        let got = read_schools_file(&p).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            SchoolRecord {
                line: 2,
                id: "s1".into(),
                authority: Some("north".into()),
                context: Some(ContextCell::Number(2)),
                staff: Some(30),
                cohort: Some(60),
                intake: Some(55.5),
                x: Some(0.1),
                y: Some(0.2),
                cluster: Some("c1".into()),
            }
        );
        let p = write(dir.path(), "ids.csv", "ID\nx\ny\n");
        let got = read_schools_file(&p).unwrap();
        assert_eq!(got[1].id, "y");
        assert_eq!(got[1].staff, None);
        assert_eq!(got[1].x, None);
    }

    static LONG_ID: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("id\n{}\n", "z".repeat(300)));

    #[test]
    fn school_columns_table_lists_every_column_once() {
        let table = school_columns_reference();
        for c in SCHOOL_COLUMNS {
            assert_eq!(table.matches(&format!("| `{c}` |")).count(), 1, "{c}");
        }
        assert!(shown(&"a".repeat(10_000)).len() < 80);
        assert_eq!(shown("abc"), "abc");
    }

    #[test]
    fn context_names_are_kept_as_names() {
        let dir = tmp();
        let p = write(
            dir.path(),
            "ctx.csv",
            "id,context\na,urban\nb,rural\nc,urban\n",
        );
        let got = read_schools_file(&p).unwrap();
        assert_eq!(got[0].context, Some(ContextCell::Name("urban".into())));
        assert_eq!(got[1].context, Some(ContextCell::Name("rural".into())));
    }

    #[test]
    fn schools_file_errors_name_file_line_and_column() {
        let dir = tmp();
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "id,staff\na,3\nb,2\na,4\n",
                "line 4",
                &["\"id\"", "\"a\"", "line 2"],
            ),
            (
                "id,staff\na,0\n",
                "line 2",
                &["\"staff\"", "from 1 to 10000"],
            ),
            (
                "id,staff\na,4294967295\nb,3\n",
                "line 2",
                &["\"staff\"", "from 1 to 10000"],
            ),
            ("id,staff\na,30000000\n", "line 2", &["\"staff\"", "10000"]),
            (
                "id,x,y\na,1e6,0.5\n",
                "line 2",
                &["\"x\"", "0 to 1", "rescale"],
            ),
            ("id,x,y\na,0.5,-0.1\n", "line 2", &["\"y\"", "0 to 1"]),
            (
                "id,context\na,urban\nb,1\n",
                "line 3",
                &["\"context\"", "mixes numbers and names", "line 2"],
            ),
            (
                "id,context\na,1.5\n",
                "line 2",
                &["\"context\"", "whole number"],
            ),
            ("id,staff\na,3.5\n", "line 2", &["\"staff\"", "3.5"]),
            (
                "id,cohort\na,10\nb,0\n",
                "line 3",
                &["\"cohort\"", "from 1"],
            ),
            ("id,intake\na,150\n", "line 2", &["\"intake\"", "0 to 100"]),
            ("id,intake\na,-1\n", "line 2", &["\"intake\"", "0 to 100"]),
            ("id,x,y\na,0.5,inf\n", "line 2", &["\"y\"", "0 to 1"]),
            ("id,x,y\na,0.5,NaN\n", "line 2", &["\"y\"", "0 to 1"]),
            ("id,x\na,0.5\n", "line 1", &["\"x\"", "\"y\""]),
            ("id,authority\na,\n", "line 2", &["\"authority\"", "empty"]),
            ("id,cluster\n,c1\n", "line 2", &["\"id\"", "empty"]),
            (
                "id,context\na,-2\n",
                "line 2",
                &["\"context\"", "whole number"],
            ),
            (
                &LONG_ID,
                "line 2",
                &["\"id\"", "200 characters", "(300 characters)"],
            ),
            (
                "authority,staff\nn,3\n",
                "line 1",
                &["\"id\"", "id (required)"],
            ),
            ("id,staf\na,3\n", "line 1", &["\"staf\"", "staff"]),
            ("id,id\na,b\n", "line 1", &["\"id\"", "twice"]),
            ("id\n", "line 1", &["no schools"]),
        ];
        for (k, (text, line, needles)) in cases.iter().enumerate() {
            let name = format!("schools{k}.csv");
            let p = write(dir.path(), &name, text);
            let e = read_schools_file(&p).unwrap_err().to_string();
            assert!(e.contains(&name), "case {k}: {e}");
            assert!(e.contains(&format!("{line}:")), "case {k}: {e}");
            for n in *needles {
                assert!(e.contains(n), "case {k} wants {n}: {e}");
            }
        }
    }

    #[test]
    fn large_clusters_build() {
        let l = layout(&[160; 150], 6, 12);
        let s = NetworkSpec {
            inter_authority_ties: 100,
            ..Default::default()
        };
        let t = std::time::Instant::now();
        let net = Network::build(&s, &l, &mut rng(7)).unwrap();
        let elapsed = t.elapsed();
        eprintln!(
            "24,000 schools / 150 authorities: {} edges, built in {:?}",
            net.edges.len(),
            elapsed
        );
        assert_eq!(net.n, 24_000);
        assert_eq!(cross_edges(&net, &l), 100);
        // Expected edges: 150 authorities x (26 clusters x 15 + 6) pairs x
        // 0.8 within, plus 24,000 x 1 / 2 between, plus 100: 59,620 (s.d.
        // about 250).
        let m = net.edges.len() as f64;
        assert!((58_500.0..60_700.0).contains(&m), "{m}");
    }

    #[test]
    fn every_school_column_is_documented_in_order() {
        let documented: Vec<&str> = SCHOOL_COLUMN_DOCS.iter().map(|c| c.name).collect();
        assert_eq!(documented, SCHOOL_COLUMNS);
    }
}
