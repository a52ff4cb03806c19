//! `orglearn serve`: a local web server with an embedded page. The page
//! moves levers; the server validates them through the scenario layer (the
//! same errors as files), runs the ensemble through the runner and streams
//! each replicate as it finishes (Server-Sent Events). A new request from a
//! client cancels its computation in flight, and a cancelled stream sends
//! nothing more.
//!
//! Safety: it binds to 127.0.0.1 unless `--listen ADDR` names another
//! address, which then needs an access token in every request (403
//! without). Only the embedded assets are served; no request path reaches
//! the file system, and assignments that name files are refused.

pub mod export;
pub mod http;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::model::indicators::Ind;
use crate::output::{headline_table, year_summaries, year_value};
use crate::params::{
    Kind, LANDSCAPE_LEVERS, LeverSpec, NETWORK_LEVERS, RUN_LEVERS, SCHOOL_LEVERS, STRATEGY_LEVERS,
};
use crate::runner;
use crate::scenario::{self, Scenario};

const INDEX: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");

/// The most replicates a page may ask for.
pub const MAX_REPLICATES: u32 = 200;

/// The indicators the page draws.
const SHOWN: [Ind; 4] = [Ind::AttMean, Ind::Gap, Ind::Diversity, Ind::Ownership];

/// Where to listen: 127.0.0.1:`port`, or `listen` when given. Returns the
/// address and whether a token is required (any non-loopback address).
/// A non-loopback address is refused unless it came from `--listen`.
pub fn bind_address(port: u16, listen: Option<&str>) -> Result<(SocketAddr, bool), String> {
    let Some(l) = listen else {
        return Ok((
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            false,
        ));
    };
    let addr: SocketAddr = l
        .parse()
        .or_else(|_| l.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, port)))
        .map_err(|_| {
            format!("--listen {l}: expected an address such as 0.0.0.0:8080 or 192.168.1.5")
        })?;
    Ok((addr, !addr.ip().is_loopback()))
}

/// An access token from the operating system's random source.
fn new_token() -> String {
    use std::io::Read;
    let mut b = [0u8; 16];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if ok.is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in b.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Shared {
    arg: Option<String>,
    base_text: String,
    pool: rayon::ThreadPool,
    token: Option<String>,
    clients: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

/// A running server.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Check the scenario and bind.
    pub fn start(
        arg: Option<&str>,
        port: u16,
        listen: Option<&str>,
        threads: Option<usize>,
    ) -> anyhow::Result<Server> {
        let sc = Scenario::open(arg, &[])?;
        let (_, base_text, _) = scenario::builtin::resolve(arg)?;
        let pool = runner::thread_pool(threads)?;
        scenario::check_memory(&sc, pool.current_num_threads())?;
        let (addr, needs_token) = bind_address(port, listen).map_err(anyhow::Error::msg)?;
        let listener =
            TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                arg: arg.map(String::from),
                base_text,
                pool,
                token: needs_token.then(new_token),
                clients: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The URL to open (with the token when one is required).
    pub fn url(&self) -> String {
        let a = self.listener.local_addr().expect("bound");
        match &self.shared.token {
            Some(t) => format!("http://{a}/?token={t}"),
            None => format!("http://{a}/"),
        }
    }

    /// Serve until the process ends: one thread per connection.
    pub fn serve(self) {
        for conn in self.listener.incoming() {
            let Ok(stream) = conn else { continue };
            let shared = self.shared.clone();
            std::thread::spawn(move || handle(&stream, &shared));
        }
    }
}

fn handle(stream: &TcpStream, shared: &Shared) {
    let req = match http::read_request(stream) {
        Ok(r) => r,
        Err(r) => {
            let _ = http::respond_error(stream, r.status, &r.message);
            return;
        }
    };
    if let Some(t) = &shared.token {
        let given = req
            .query("token")
            .or_else(|| req.header("x-orglearn-token"));
        if given != Some(t.as_str()) {
            let _ = http::respond_error(
                stream,
                403,
                "this server needs its access token (the `token` in the URL it printed)",
            );
            return;
        }
    }
    if req.path.split(['/', '\\']).any(|seg| seg == "..") {
        let _ = http::respond_error(stream, 400, "path traversal is not allowed");
        return;
    }
    let _ = match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") | ("GET", "/index.html") => http::respond(
            stream,
            200,
            "text/html; charset=utf-8",
            &[],
            INDEX.as_bytes(),
        ),
        ("GET", "/app.js") => http::respond(
            stream,
            200,
            "text/javascript; charset=utf-8",
            &[],
            APP_JS.as_bytes(),
        ),
        ("GET", "/api/levers") => http::respond_json(stream, 200, &levers_json(shared)),
        ("POST", "/api/run") => run(stream, shared, &req.body),
        ("POST", "/api/export") => export(stream, shared, &req.body),
        (_, "/" | "/app.js" | "/api/levers" | "/api/run" | "/api/export") => {
            http::respond_error(stream, 405, "method not allowed")
        }
        _ => http::respond_error(stream, 404, "not found"),
    };
}

/// A page configuration: `--set` assignments and the strategies switched off.
#[derive(Debug, Default, serde::Deserialize)]
struct Config {
    #[serde(default)]
    client: String,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    off: Vec<String>,
}

fn problem(key: Option<&str>, text: String) -> serde_json::Value {
    serde_json::json!({ "key": key, "text": text })
}

/// The lever declaration an assignment's key names.
fn spec_of(key: &str) -> Option<&'static LeverSpec> {
    let find = |t: &'static [LeverSpec], k: &str| t.iter().find(|s| s.key == k);
    match key.split('.').collect::<Vec<_>>().as_slice() {
        [k] => find(RUN_LEVERS, k),
        ["landscape", k] => find(LANDSCAPE_LEVERS, k),
        ["schools", k] => find(SCHOOL_LEVERS, k),
        ["network", k] => find(NETWORK_LEVERS, k),
        ["levers", k] => find(STRATEGY_LEVERS, k),
        ["strategy", .., k] => find(STRATEGY_LEVERS, k),
        _ => None,
    }
}

/// The configuration as a validated scenario, or the problems as JSON
/// (the scenario layer's own text, with the key at fault).
fn resolve(shared: &Shared, body: &[u8]) -> Result<(Config, Scenario), Vec<serde_json::Value>> {
    let cfg: Config = serde_json::from_slice(body)
        .map_err(|e| vec![problem(None, format!("bad request body: {e}"))])?;
    let mut problems = Vec::new();
    for s in &cfg.set {
        let key = s.split_once('=').map(|(k, _)| k.trim()).unwrap_or(s);
        if let Some(spec) = spec_of(key)
            && matches!(spec.kind, Kind::Text | Kind::OptText)
        {
            problems.push(problem(
                Some(key),
                format!("key `{key}`: names and files cannot be set from the page"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut sc = Scenario::open(shared.arg.as_deref(), &cfg.set).map_err(|e| {
        e.problems()
            .iter()
            .map(|p| problem(p.key.as_deref(), p.to_string()))
            .collect::<Vec<_>>()
    })?;
    for o in &cfg.off {
        if !sc.strategies.iter().any(|s| &s.name == o) {
            return Err(vec![problem(None, format!("no strategy `{o}`"))]);
        }
    }
    sc.strategies.retain(|s| !cfg.off.contains(&s.name));
    if sc.strategies.is_empty() {
        return Err(vec![problem(
            None,
            "switch at least one strategy on".into(),
        )]);
    }
    if sc.run.replicates > MAX_REPLICATES {
        return Err(vec![problem(
            Some("replicates"),
            format!(
                "key `replicates`: at most {MAX_REPLICATES} from the page (use `orglearn run` for more)"
            ),
        )]);
    }
    scenario::check_memory(&sc, shared.pool.current_num_threads())
        .map_err(|e| vec![problem(None, e.to_string())])?;
    Ok((cfg, sc))
}

fn value_json(v: Option<crate::params::Value>) -> serde_json::Value {
    use crate::params::Value as V;
    match v {
        Some(V::Float(x)) => serde_json::json!(x),
        Some(V::Int(x)) => serde_json::json!(x),
        Some(V::Bool(x)) => serde_json::json!(x),
        Some(V::Str(x)) => serde_json::json!(x),
        Some(V::List(x)) => serde_json::json!(x),
        None => serde_json::Value::Null,
    }
}

fn spec_json(
    prefix: &str,
    s: &LeverSpec,
    value: Option<crate::params::Value>,
) -> serde_json::Value {
    let (kind, min, max, options) = match s.kind {
        Kind::Float { min, max } => ("float", Some(min), Some(max), None),
        Kind::Int { min, max } => ("int", Some(min as f64), Some(max as f64), None),
        Kind::Bool => ("bool", None, None, None),
        Kind::Choice(o) => ("choice", None, None, Some(o)),
        Kind::Text | Kind::OptText => ("text", None, None, None),
    };
    serde_json::json!({
        "key": format!("{prefix}{}", s.key),
        "label": s.key.replace('_', " "),
        "kind": kind,
        "min": min.filter(|v| v.is_finite()),
        "max": max.filter(|v| v.is_finite() && *v < 1e15),
        "options": options,
        "unit": s.unit,
        "doc": s.doc,
        "source": s.source,
        "mechanism": s.mechanism.switch_key(),
        "value": value_json(value),
    })
}

/// The lever registry with the scenario's values, grouped as `orglearn levers`.
fn levers_json(shared: &Shared) -> serde_json::Value {
    let sc = Scenario::open(shared.arg.as_deref(), &[]).expect("checked at start");
    let group = |title: &str,
                 prefix: &str,
                 t: &[LeverSpec],
                 get: &dyn Fn(&str) -> Option<crate::params::Value>| {
        serde_json::json!({
            "title": title,
            "levers": t.iter().filter(|s| !matches!(s.kind, Kind::Text | Kind::OptText))
                .map(|s| spec_json(prefix, s, get(s.key))).collect::<Vec<_>>(),
        })
    };
    let groups = vec![
        group("top level", "", RUN_LEVERS, &|k| sc.run.get(k)),
        group("[landscape]", "landscape.", LANDSCAPE_LEVERS, &|k| {
            sc.landscape.get(k)
        }),
        group("[schools]", "schools.", SCHOOL_LEVERS, &|k| {
            sc.schools.get(k)
        }),
        group("[network]", "network.", NETWORK_LEVERS, &|k| {
            sc.network.get(k)
        }),
    ];
    let strategies: Vec<serde_json::Value> = sc
        .strategies
        .iter()
        .map(|s| {
            let g = group(
                &s.name,
                &format!("strategy.{}.", s.name),
                STRATEGY_LEVERS,
                &|k| s.levers.get(k),
            );
            serde_json::json!({ "name": s.name, "preset": s.preset, "levers": g["levers"] })
        })
        .collect();
    serde_json::json!({
        "scenario": sc.source,
        "name": sc.run.name,
        "groups": groups,
        "strategies": strategies,
        "token": shared.token.is_some(),
    })
}

/// Yearly values of the shown indicators: `[indicator][year]`.
fn yearly(sc: &Scenario, rows: &[f64]) -> Vec<Vec<f64>> {
    let spy = sc.run.steps_per_year as usize;
    SHOWN
        .iter()
        .map(|&i| {
            (0..=sc.run.years as usize)
                .map(|y| year_value(rows, spy, y, i as usize))
                .collect()
        })
        .collect()
}

enum Msg {
    Rep(serde_json::Value),
    Done(Result<runner::Results, runner::RunError>),
}

/// `POST /api/run`: validate, then stream `start`, one `replicate` per
/// finished replicate, and `done` (or `error`).
fn run(stream: &TcpStream, shared: &Shared, body: &[u8]) -> std::io::Result<()> {
    let (cfg, sc) = match resolve(shared, body) {
        Ok(x) => x,
        Err(p) => return http::respond_json(stream, 422, &serde_json::json!({ "problems": p })),
    };
    let client = if cfg.client.is_empty() {
        stream
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    } else {
        cfg.client.clone()
    };
    let cancel = Arc::new(AtomicBool::new(false));
    if let Some(old) = shared
        .clients
        .lock()
        .expect("not poisoned")
        .insert(client.clone(), cancel.clone())
    {
        old.store(true, Ordering::SeqCst);
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    let names: Vec<String> = sc.strategies.iter().map(|s| s.name.clone()).collect();
    std::thread::scope(|scope| {
        let sc2 = &sc;
        let c2 = cancel.clone();
        scope.spawn(move || {
            let hook = |rep: &runner::Replicate| {
                let v: Vec<Vec<Vec<f64>>> = rep
                    .runs
                    .iter()
                    .map(|r| yearly(sc2, &r.record.rows))
                    .collect();
                let _ = tx.send(Msg::Rep(
                    serde_json::json!({ "replicate": rep.facts.replicate, "values": v }),
                ));
            };
            let hooks = runner::Hooks {
                replicate: Some(&hook),
                cancel: Some(&c2),
                ..runner::Hooks::default()
            };
            let res = shared.pool.install(|| runner::run_with(sc2, false, &hooks));
            let _ = tx.send(Msg::Done(res));
        });
        let send = |event: &str, data: serde_json::Value| -> bool {
            if cancel.load(Ordering::SeqCst) {
                return false;
            }
            if http::send_event(stream, event, &data).is_err() {
                cancel.store(true, Ordering::SeqCst);
                return false;
            }
            true
        };
        if http::start_events(stream).is_err() {
            cancel.store(true, Ordering::SeqCst);
        }
        send(
            "start",
            serde_json::json!({ "replicates": sc.run.replicates, "strategies": names, "years": sc.run.years }),
        );
        let mut done = 0u32;
        for msg in rx {
            match msg {
                Msg::Rep(v) => {
                    done += 1;
                    send(
                        "replicate",
                        serde_json::json!({ "done": done, "total": sc.run.replicates, "data": v }),
                    );
                }
                Msg::Done(Ok(res)) => {
                    let ys = year_summaries(&sc, &res);
                    let (head, rows) = headline_table(&sc, &res, &ys);
                    send("done", serde_json::json!({ "head": head, "rows": rows }));
                }
                Msg::Done(Err(e)) => {
                    send("error", serde_json::json!({ "text": e.to_string() }));
                }
            }
        }
    });
    let mut clients = shared.clients.lock().expect("not poisoned");
    if clients
        .get(&client)
        .is_some_and(|c| Arc::ptr_eq(c, &cancel))
    {
        clients.remove(&client);
    }
    Ok(())
}

/// `POST /api/export`: the configuration as a scenario file.
fn export(stream: &TcpStream, shared: &Shared, body: &[u8]) -> std::io::Result<()> {
    let (cfg, sc) = match resolve(shared, body) {
        Ok(x) => x,
        Err(p) => return http::respond_json(stream, 422, &serde_json::json!({ "problems": p })),
    };
    match export::scenario_toml(&shared.base_text, &cfg.set, &cfg.off, &sc) {
        Ok(text) => http::respond(
            stream,
            200,
            "application/toml; charset=utf-8",
            &[(
                "Content-Disposition",
                format!("attachment; filename=\"{}.toml\"", sc.run.name),
            )],
            text.as_bytes(),
        ),
        Err(e) => http::respond_json(
            stream,
            422,
            &serde_json::json!({ "problems": [problem(None, e)] }),
        ),
    }
}
