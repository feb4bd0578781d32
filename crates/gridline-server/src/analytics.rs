//! Analytics over the rollups: rankings (月排名) with the interview list and the notice's
//! figures, the three rates of a unit or region, high-frequency problems with spikes, and
//! campaigns (专项整治) with their effect.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::actor::Role;
use gridline_core::campaign::{Campaign, Effect, NewCampaign, effect};
use gridline_core::case::{CaseId, Channel};
use gridline_core::case::CaseStatus;
use gridline_core::hotspots::{CasePoint, ProblemCount, Spike, problems, recurring_places, spikes};
use gridline_core::period::Period;
use gridline_core::ranking::{Contender, Notice, RankingRow, notice, rank};
use gridline_core::rates::{RateConfig, Rates};
use gridline_core::region::RegionLevel;
use gridline_core::rollup::RateCounts;
use gridline_store::{CaseFilter, RateLevel, VolumeGrain};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::views::Items;
use crate::{ApiJson, AppState};

/// The most rows an interview list or a top list may ask for.
const MAX_LIST: u32 = 50;

pub(crate) fn parse_period(text: Option<&str>) -> Result<Period, ApiError> {
    let text = text.ok_or_else(|| ApiError::invalid("period", "give period=YYYY-MM (or YYYY-MM..YYYY-MM)"))?;
    Ok(Period::parse(text)?)
}

fn parse_level(text: Option<&str>) -> Result<RateLevel, ApiError> {
    match text.unwrap_or("street") {
        "street" => Ok(RateLevel::Street),
        "district" => Ok(RateLevel::District),
        "unit" => Ok(RateLevel::Unit),
        other => Err(ApiError::invalid("level", format!("unknown level {other:?}; one of street, district, unit"))),
    }
}

fn parse_n(field: &str, text: Option<&str>, default: u32) -> Result<usize, ApiError> {
    let Some(text) = text else { return Ok(default as usize) };
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LIST).contains(n))
        .map(|n| n as usize)
        .ok_or_else(|| ApiError::invalid(field, format!("{field} is a whole number from 1 to {MAX_LIST}, not {text:?}")))
}

impl AppState {
    /// The region's code prefix, or a 422 naming the unknown region.
    fn region_prefix(&self, code: &str) -> Result<String, ApiError> {
        let region = self.regions.get(code).ok_or_else(|| ApiError::invalid("region", format!("unknown region {code:?}")))?;
        Ok(match region.level {
            RegionLevel::City => String::new(),
            _ => region.code_prefix().to_owned(),
        })
    }

    fn contender_name(&self, level: RateLevel, code: &str) -> String {
        match level {
            RateLevel::Unit => self.unit(code).map(|u| u.name.clone()),
            RateLevel::District => self.regions.get(&format!("{code}000000")).map(|r| r.name.clone()),
            RateLevel::Street => self.regions.get(code).map(|r| r.name.clone()),
        }
        .unwrap_or_else(|| code.to_owned())
    }

    async fn contenders(&self, period: Period, level: RateLevel, region: Option<&str>) -> Result<Vec<Contender>, ApiError> {
        let counts = self.store.rollups().rate_counts(period, level, region).await?;
        Ok(counts
            .into_iter()
            .map(|(code, counts)| Contender { name: self.contender_name(level, &code), code, counts })
            .collect())
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM.
    // Optional here so that leaving it out is a 422 naming it rather than the extractor's 400;
    // the document still says it is required.
    #[param(required = true)]
    period: Option<String>,
    /// street (the default), district or unit: who is ranked.
    level: Option<String>,
    /// A region code: only the contenders inside it.
    region: Option<String>,
    /// How many at the bottom go on the interview list (1 to 50, default 3).
    bottom: Option<String>,
    /// The fewest dispatches and call-backs (each) a contender needs to be ranked (0 to 100000;
    /// the server's `GRIDLINE_RANKING_MIN_CASES`, 5 by default); below it 样本不足.
    #[param(value_type = Option<u32>)]
    min_cases: Option<String>,
}

/// A ranking with the change against the period before.
#[derive(Serialize, ToSchema)]
pub struct RankingView {
    period: Period,
    previous_period: Period,
    /// Who is ranked: street, district or unit.
    level: String,
    weights: RateConfig,
    /// The minimum sample applied: fewer dispatches or call-backs and a row is `insufficient`.
    min_cases: i64,
    /// Best first; equal scores share a rank (1, 2, 2, 4); the unranked (nothing measured, or
    /// 样本不足) last.
    items: Vec<RankingRow>,
    /// The bottom of the list (the notice's `interview`).
    interview: Vec<RankingRow>,
    notice: Notice,
}

/// `GET /api/v1/rankings?period=YYYY-MM&level=street|district|unit&region=CODE&bottom=N`
#[utoipa::path(get, path = "/rankings", tag = "analytics", security(("bearer" = [])), params(RankingQuery),
    responses((status = 200, description = "the ranking with the change against the period before", body = RankingView),
        (status = 422, description = "a missing or invalid period, an unknown level or region, or `bottom` out of range")))]
pub async fn rankings(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<RankingQuery>, QueryRejection>,
) -> Result<Json<RankingView>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let level = parse_level(query.level.as_deref())?;
    let region = query.region.as_deref().map(|r| state.region_prefix(r)).transpose()?;
    let bottom = parse_n("bottom", query.bottom.as_deref(), 3)?;
    let min_cases = match query.min_cases.as_deref() {
        None => gridline_app::documents::ranking_min_cases()?,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=100_000).contains(n))
            .ok_or_else(|| ApiError::invalid("min_cases", format!("min_cases is a whole number from 0 to 100000, not {text:?}")))?,
    };
    let config = RateConfig::default();
    let previous = period.previous();
    let rows = rank(
        &state.contenders(period, level, region.as_deref()).await?,
        &state.contenders(previous, level, region.as_deref()).await?,
        &config,
        min_cases,
    );
    let notice = notice(&rows, bottom);
    Ok(Json(RankingView {
        period,
        previous_period: previous,
        level: query.level.unwrap_or_else(|| "street".to_owned()),
        weights: config,
        min_cases,
        interview: notice.interview.clone(),
        items: rows,
        notice,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM.
    #[param(required = true)]
    period: Option<String>,
    /// A region code: the cases inside it.
    region: Option<String>,
    /// A unit code: the cases of that unit.
    unit: Option<String>,
}

/// The rates of a region or unit (or the city) over a period, with the counts behind them.
#[derive(Serialize, ToSchema)]
pub struct RatesView {
    period: Period,
    region: Option<String>,
    unit: Option<String>,
    rates: Rates,
    counts: RateCounts,
    weights: RateConfig,
}

/// `GET /api/v1/rates?period=…&region=CODE&unit=CODE`: the three rates and the digital
/// city-management rates with the counts behind them.
#[utoipa::path(get, path = "/rates", tag = "analytics", security(("bearer" = [])), params(RatesQuery),
    responses((status = 200, description = "the rates with the counts behind them", body = RatesView),
        (status = 422, description = "a missing or invalid period, or an unknown region or unit")))]
pub async fn rates(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<RatesQuery>, QueryRejection>,
) -> Result<Json<RatesView>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let region = query.region.as_deref().map(|r| state.region_prefix(r)).transpose()?;
    if let Some(unit) = query.unit.as_deref()
        && state.unit(unit).is_none()
    {
        return Err(ApiError::invalid("unit", format!("unknown unit {unit:?}")));
    }
    let counts = state.store.rollups().rate_total(period, region.as_deref(), query.unit.as_deref()).await?;
    let config = RateConfig::default();
    Ok(Json(RatesView { period, region: query.region, unit: query.unit, rates: Rates::of(&counts, &config), counts, weights: config }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HotspotQuery {
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM.
    #[param(required = true)]
    period: Option<String>,
    /// A region code: the cases inside it.
    region: Option<String>,
    /// Only cases of this channel (hotline, grid, inspection, alley_patrol, public, import).
    channel: Option<String>,
    /// How many problems (1 to 50, default 20).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// The most frequent problems of a period and the spikes of its last month.
#[derive(Serialize, ToSchema)]
pub struct HotspotsView {
    period: Period,
    region: Option<String>,
    /// Most first.
    items: Vec<NamedProblem>,
    spikes: Vec<NamedSpike>,
}

/// A problem's counts with its catalogue entry's name.
#[derive(Serialize, ToSchema)]
pub struct NamedProblem {
    #[serde(flatten)]
    problem: ProblemCount,
    name: Option<String>,
}

/// A spike with its catalogue entry's name.
#[derive(Serialize, ToSchema)]
pub struct NamedSpike {
    #[serde(flatten)]
    spike: Spike,
    name: Option<String>,
}

/// `GET /api/v1/hotspots?period=…&region=CODE&channel=hotline&limit=N`: the most frequent
/// problems with their change against the period before and last year, and the spikes of the
/// period's last month.
#[utoipa::path(get, path = "/hotspots", tag = "analytics", security(("bearer" = [])), params(HotspotQuery),
    responses((status = 200, description = "the most frequent problems, most first, and the spikes", body = HotspotsView),
        (status = 422, description = "a missing or invalid period, an unknown region or channel, or `limit` out of range")))]
pub async fn hotspots(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    query: Result<Query<HotspotQuery>, QueryRejection>,
) -> Result<Json<HotspotsView>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let region = query.region.as_deref().map(|r| state.region_prefix(r)).transpose()?;
    let channel = query
        .channel
        .as_deref()
        .map(|c| Channel::parse(c).ok_or_else(|| ApiError::invalid("channel", format!("unknown channel {c:?}"))))
        .transpose()?;
    let limit = parse_n("limit", query.limit.as_deref(), 20)?;
    let (first, last) = (period.same_period_last_year().first, period.last);
    let rows = state.store.rollups().volume(first, last, region.as_deref(), channel, VolumeGrain::Category).await?;
    let reference = state.reference();
    let name = |code: &str| reference.catalogue.get(code).map(|e| e.name.clone());
    let items = problems(period, &rows).into_iter().take(limit).map(|p| NamedProblem { name: name(&p.category), problem: p }).collect();
    let spiking = spikes(period.last, &rows).into_iter().map(|s| NamedSpike { name: name(&s.category), spike: s }).collect();
    Ok(Json(HotspotsView { period, region: query.region, items, spikes: spiking }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlacesQuery {
    /// A month YYYY-MM or months YYYY-MM..YYYY-MM: the cases received in it.
    #[param(required = true)]
    period: Option<String>,
    /// A region code: the cases inside it.
    region: Option<String>,
    /// A catalogue entry: only cases filed under it.
    category: Option<String>,
    /// Only cases of this channel (hotline, grid, inspection, alley_patrol, public, import).
    channel: Option<String>,
    /// The fewest cases that make a place recurrent (2 to 50, default 3).
    #[param(value_type = Option<u32>)]
    min: Option<String>,
    /// How many places (1 to 50, default 20).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// Places that keep coming back, with the cases they were found among.
#[derive(Serialize, ToSchema)]
pub struct PlacesView {
    period: Period,
    region: Option<String>,
    /// The fewest cases that made a place recurrent.
    min: usize,
    /// The cases received in the period and scope.
    cases: usize,
    items: Vec<PlaceView>,
}

/// A recurring place: a repeated address, or case points in one 100 m square.
#[derive(Serialize, ToSchema)]
pub struct PlaceView {
    /// `address` or `cluster`.
    kind: &'static str,
    /// The address, or the square's centre as `lat,lon`.
    place: String,
    count: usize,
    categories: Vec<String>,
    first_received_at: Option<Timestamp>,
    last_received_at: Option<Timestamp>,
    /// The latest cases (at most 50), oldest first.
    history: Vec<PlaceCase>,
}

/// A case of a place's history.
#[derive(Clone, Serialize, ToSchema)]
pub struct PlaceCase {
    id: CaseId,
    received_at: Timestamp,
    status: CaseStatus,
    category: Option<String>,
    title: String,
    address: Option<String>,
}

/// The most cases a recurring-places question may gather: past it the answer would take long
/// and say little, so the caller is asked to narrow the period or the region.
const MAX_PLACE_CASES: usize = 200_000;

/// The latest cases shown of each place's history; `count` gives them all.
const PLACE_HISTORY: usize = 50;

/// `GET /api/v1/hotspots/places?period=…&region=CODE&category=CODE&channel=…&min=3&limit=N`:
/// places that keep coming back (高频点位) — the same address, or case points in one 100 m
/// square — with at least `min` cases received in the period, most cases first, each with its
/// latest cases.
#[utoipa::path(get, path = "/hotspots/places", tag = "analytics", security(("bearer" = [])), params(PlacesQuery),
    responses((status = 200, description = "the recurring places, most cases first", body = PlacesView),
        (status = 422, description = "a missing or invalid period, an unknown region, entry or channel, `min` or `limit` out of range, or more than 200,000 cases in scope")))]
pub async fn recurring(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<PlacesQuery>, QueryRejection>,
) -> Result<Json<PlacesView>, ApiError> {
    let Query(query) = query?;
    let period = parse_period(query.period.as_deref())?;
    let min = parse_n("min", query.min.as_deref(), 3)?;
    if min < 2 {
        return Err(ApiError::invalid("min", "a place recurs with at least 2 cases; give min from 2"));
    }
    let limit = parse_n("limit", query.limit.as_deref(), 20)?;
    let mut filter = CaseFilter::new(state.visibility(&who.actor), Timestamp::now());
    filter.region_prefix = query.region.as_deref().map(|r| state.region_prefix(r)).transpose()?.filter(|p| !p.is_empty());
    if let Some(category) = &query.category {
        if state.reference().catalogue.get(category).is_none() {
            return Err(ApiError::invalid("category", format!("unknown catalogue entry {category:?}")));
        }
        filter.category = Some(category.clone());
    }
    filter.channel = query
        .channel
        .as_deref()
        .map(|c| Channel::parse(c).ok_or_else(|| ApiError::invalid("channel", format!("unknown channel {c:?}"))))
        .transpose()?;
    filter.received_from = Some(period.first.start());
    filter.received_to = Some(period.last.plus(1).start());
    // Only what the answer shows is kept of each case, so the cap bounds the memory too.
    let mut points: Vec<CasePoint> = Vec::new();
    let mut summaries: HashMap<CaseId, PlaceCase> = HashMap::new();
    let mut batches = state.store.cases().stream(&filter);
    while let Some(batch) = batches.recv().await {
        for case in batch? {
            summaries.insert(case.id, PlaceCase {
                id: case.id,
                received_at: case.received_at,
                status: case.status,
                category: case.category.clone().map(String::from),
                title: case.intake.title,
                address: case.intake.address.clone(),
            });
            points.push(CasePoint {
                id: case.id,
                category: case.category.map(String::from),
                location: case.intake.location.as_ref().map(|p| (p.lat, p.lon)),
                address: case.intake.address,
                received: case.received_at,
            });
        }
        if points.len() > MAX_PLACE_CASES {
            return Err(ApiError::invalid(
                "period",
                format!("more than {MAX_PLACE_CASES} cases were received in this period and region; narrow the period, the region or the category"),
            ));
        }
    }
    let places = recurring_places(&points, min)
        .into_iter()
        .take(limit)
        .map(|place| {
            let history = place.cases[place.cases.len().saturating_sub(PLACE_HISTORY)..].iter().filter_map(|id| summaries.get(id)).cloned().collect();
            let received = |id: Option<&CaseId>| id.and_then(|id| summaries.get(id)).map(|c| c.received_at);
            PlaceView {
                first_received_at: received(place.cases.first()),
                last_received_at: received(place.cases.last()),
                kind: place.kind,
                place: place.place,
                count: place.count,
                categories: place.categories,
                history,
            }
        })
        .collect();
    Ok(Json(PlacesView { period, region: query.region, min, cases: points.len(), items: places }))
}

fn may_run_campaigns(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

/// A campaign with its effect on hotline volume.
#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    #[serde(flatten)]
    campaign: Campaign,
    effect: Effect,
}

impl AppState {
    async fn campaign_view(&self, campaign: Campaign) -> Result<CampaignView, ApiError> {
        let period = campaign.period;
        // One query covers the campaign, the period before and the same period last year.
        let first = period.same_period_last_year().first.min(period.previous().first);
        let rows = self.store.rollups().volume(first, period.last, None, Some(Channel::Hotline), VolumeGrain::Street).await?;
        let rows: Vec<_> = rows.into_iter().filter(|r| campaign.covers(&r.category, &r.region)).collect();
        Ok(CampaignView { effect: effect(&campaign, &rows), campaign })
    }
}

/// `POST /api/v1/campaigns` `{theme, entries, regions, first_month, last_month}`
#[utoipa::path(post, path = "/campaigns", tag = "analytics", security(("bearer" = [])),
    request_body(content = NewCampaign, description = "`{theme, entries: [catalogue code], regions: [region code], first_month: YYYY-MM, last_month: YYYY-MM}`"),
    responses((status = 201, description = "the campaign with its effect", body = CampaignView), (status = 403, description = "supervisors and administrators only"),
        (status = 422, description = "an invalid field or an unknown entry or region, named in `error.field`")))]
pub async fn create_campaign(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(new): ApiJson<NewCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    if !may_run_campaigns(who.actor.role) {
        return Err(ApiError::Forbidden(format!("role {} may not declare campaigns", who.actor.role.as_str())));
    }
    let (theme, entries, regions, period) = new.validate()?;
    for entry in &entries {
        if state.reference().catalogue.get(entry).is_none() {
            return Err(ApiError::invalid("entries", format!("unknown catalogue entry {entry:?}")));
        }
    }
    for region in &regions {
        if state.regions.get(region).is_none() {
            return Err(ApiError::invalid("regions", format!("unknown region {region:?}")));
        }
    }
    let campaign = state.store.campaigns().create(&theme, &entries, &regions, period, who.actor.user_id, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(state.campaign_view(campaign).await?)))
}

/// `GET /api/v1/campaigns`: every campaign with its effect.
#[utoipa::path(get, path = "/campaigns", tag = "analytics", security(("bearer" = [])),
    responses((status = 200, description = "every campaign with its effect", body = Items<CampaignView>)))]
pub async fn campaigns(State(state): State<Arc<AppState>>, _who: SignedIn) -> Result<Json<Items<CampaignView>>, ApiError> {
    let mut items = Vec::new();
    for campaign in state.store.campaigns().list().await? {
        items.push(state.campaign_view(campaign).await?);
    }
    Ok(Json(Items { items }))
}

/// `GET /api/v1/campaigns/{id}`
#[utoipa::path(get, path = "/campaigns/{id}", tag = "analytics", security(("bearer" = [])), params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, description = "the campaign with its effect", body = CampaignView), (status = 404, description = "no such campaign")))]
pub async fn campaign(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<CampaignView>, ApiError> {
    let id = crate::cases::path_id("campaign", path)?;
    let campaign = state.store.campaigns().get(id).await?.ok_or_else(|| ApiError::NotFound(format!("campaign {id} not found")))?;
    Ok(Json(state.campaign_view(campaign).await?))
}
