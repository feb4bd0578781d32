//! What an operator watches: `/readyz` (the database answers) and `/metrics` in the Prometheus
//! text format — requests by route, method and status, a latency histogram by route, the
//! writer's queue, and the cases in each status — for administrators (bearer token) or for the
//! addresses in `GRIDLINE_METRICS_FROM` (a scraper that has no session).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridline_core::actor::Role;

use crate::AppState;
use crate::auth::PeerAddress;
use crate::error::ApiError;

/// The upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Latency {
    /// Requests at or under each bound of [`BUCKETS`] (not cumulative; summed when printed).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// The counters of one route (its template).
#[derive(Default)]
struct RouteCounters {
    /// Requests answered by method and status: a handful per route, so a list.
    answered: Vec<(String, u16, u64)>,
    latency: Latency,
}

/// The request counters of one server process. Keyed by route so that counting a request
/// looks its counters up by reference and allocates nothing once the route has been seen.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, RouteCounters>>,
    /// Addresses that may read `/metrics` without a session.
    allowed: Vec<IpAddr>,
}

impl Metrics {
    /// Counters that admit the addresses of `GRIDLINE_METRICS_FROM` (comma-separated IPs).
    pub fn from_env() -> Result<Metrics, String> {
        let allowed = match std::env::var("GRIDLINE_METRICS_FROM") {
            Ok(list) => list
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.parse().map_err(|_| format!("GRIDLINE_METRICS_FROM: {a:?} is not an IP address")))
                .collect::<Result<_, _>>()?,
            Err(_) => Vec::new(),
        };
        Ok(Metrics { allowed, ..Metrics::default() })
    }

    pub(crate) fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut routes = self.routes.lock().expect("metrics");
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteCounters::default());
        }
        let counters = routes.get_mut(route).expect("inserted above");
        match counters.answered.iter_mut().find(|(m, s, _)| m == method && *s == status) {
            Some((_, _, n)) => *n += 1,
            None => counters.answered.push((method.to_owned(), status, 1)),
        }
        let seconds = elapsed.as_secs_f64();
        let latency = &mut counters.latency;
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            latency.buckets[bucket] += 1;
        }
        latency.count += 1;
        latency.sum_seconds += seconds;
    }

    /// The request counters in the Prometheus text format.
    fn render_requests(&self, out: &mut String) {
        out.push_str("# HELP gridline_http_requests_total Requests answered, by route, method and status.\n");
        out.push_str("# TYPE gridline_http_requests_total counter\n");
        let routes = self.routes.lock().expect("metrics");
        for (route, counters) in routes.iter() {
            let mut answered: Vec<_> = counters.answered.iter().collect();
            answered.sort();
            for (method, status, n) in answered {
                let _ = writeln!(out, "gridline_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}", label(route));
            }
        }
        out.push_str("# HELP gridline_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE gridline_http_request_duration_seconds histogram\n");
        for (route, RouteCounters { latency, .. }) in routes.iter() {
            let route = label(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(latency.buckets) {
                cumulative += n;
                let _ = writeln!(out, "gridline_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "gridline_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", latency.count);
            let _ = writeln!(out, "gridline_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", latency.sum_seconds);
            let _ = writeln!(out, "gridline_http_request_duration_seconds_count{{route=\"{route}\"}} {}", latency.count);
        }
    }
}

/// A label value with `\`, `"` and line breaks escaped as the text format wants.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `GET /readyz`: 200 when the database answers within two seconds, else 503: what a load
/// balancer asks before sending traffic (`/healthz` only says the process is up).
pub async fn ready(State(state): State<Arc<AppState>>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, axum::Json(crate::reference::Status { status: "ready" })).into_response(),
        Ok(Err(err)) => ApiError::Unavailable(format!("the database does not answer: {err}")).into_response(),
        Err(_) => ApiError::Unavailable(format!("the database did not answer within {} s", READY_TIMEOUT.as_secs())).into_response(),
    }
}

/// `GET /metrics`: for administrators (bearer token) or the addresses of `GRIDLINE_METRICS_FROM`.
pub async fn metrics(State(state): State<Arc<AppState>>, PeerAddress(address): PeerAddress, headers: HeaderMap) -> Result<Response, ApiError> {
    let allowed_address = address.and_then(|a| a.parse::<IpAddr>().ok()).is_some_and(|a| state.metrics.allowed.contains(&a));
    if !allowed_address {
        let token = crate::auth::bearer_token(&headers)?;
        if state.signed_in(token).await?.actor.role != Role::Admin {
            return Err(ApiError::Forbidden("metrics are for administrators or the addresses of GRIDLINE_METRICS_FROM".into()));
        }
    }
    let mut out = String::new();
    state.metrics.render_requests(&mut out);
    out.push_str("# HELP gridline_writer_queue_depth Writes waiting for the group-commit writer.\n");
    out.push_str("# TYPE gridline_writer_queue_depth gauge\n");
    let _ = writeln!(out, "gridline_writer_queue_depth {}", state.store.writer_queue_depth());
    out.push_str("# HELP gridline_cases Cases in each status.\n");
    out.push_str("# TYPE gridline_cases gauge\n");
    for (status, n) in state.store.cases().count_by_status().await? {
        let _ = writeln!(out, "gridline_cases{{status=\"{}\"}} {n}", label(&status));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response())
}
