//! `gridline geo …`: locate a point, geocode an address, generate or check grid cells. Answers are
//! JSON on standard output, in the same shape as the API's `/api/v1/geo/…`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridline_geo::grid::{self, DEFAULT_SERIAL_WIDTH, GridLayer};
use gridline_geo::{Crs, DEFAULT_THRESHOLD, Geography, LatLon};
use serde_json::json;

#[derive(Subcommand)]
pub enum GeoCommand {
    /// The district and street (and grid cell, given a grid file) a point lies in.
    Locate {
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, allow_negative_numbers = true)]
        lon: f64,
        /// The point's coordinate system: wgs84 (GPS), gcj02 (Amap, Tencent) or bd09 (Baidu).
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// Grid cells (GeoJSON, as `geo grid generate` writes) to find the point's cell in.
        #[arg(long)]
        grids: Option<PathBuf>,
        #[arg(long, default_value_t = DEFAULT_SERIAL_WIDTH)]
        serial_width: usize,
    },
    /// The district, street and community an address names, with a confidence and the candidates.
    Geocode {
        address: String,
        /// Levels with a lower confidence (0–1) are answered as unknown (null).
        #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
        threshold: f64,
    },
    /// Grid cells (单元网格).
    Grid {
        #[command(subcommand)]
        command: GridCommand,
    },
}

#[derive(Subcommand)]
pub enum GridCommand {
    /// Print a regular grid of square cells over a street as GeoJSON (edit it, assign workers,
    /// and use it with `--grids`).
    Generate {
        /// The street/township's 12-digit code.
        #[arg(long)]
        street: String,
        /// Side of a cell in metres.
        #[arg(long, default_value_t = 200.0)]
        size_m: f64,
        /// Digits of the cell serial after district + street + community.
        #[arg(long, default_value_t = DEFAULT_SERIAL_WIDTH)]
        serial_width: usize,
    },
    /// Check a grid file (codes, streets, communities, workers, geometry) and summarise it.
    Check {
        file: PathBuf,
        #[arg(long, default_value_t = DEFAULT_SERIAL_WIDTH)]
        serial_width: usize,
    },
}

fn read_grids(geo: &Geography, file: &PathBuf, serial_width: usize) -> anyhow::Result<GridLayer> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let cells = grid::import(&text, geo.regions(), serial_width).with_context(|| format!("in {}", file.display()))?;
    GridLayer::new(cells).with_context(|| format!("in {}", file.display()))
}

pub fn run(command: GeoCommand) -> anyhow::Result<()> {
    let geo = Geography::beijing();
    let answer = match command {
        GeoCommand::Locate { lat, lon, crs, grids, serial_width } => {
            if !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
                bail!("lat must be within ±90 and lon within ±180");
            }
            let crs = Crs::parse(&crs).with_context(|| format!("unknown coordinate system {crs:?}; one of wgs84, gcj02, bd09"))?;
            let mut located = geo.locate(LatLon { lat, lon }, crs);
            if let Some(file) = grids {
                read_grids(geo, &file, serial_width)?.refine(geo, &mut located);
            }
            serde_json::to_value(located)?
        }
        GeoCommand::Geocode { address, threshold } => {
            if !(0.0..=1.0).contains(&threshold) {
                bail!("threshold must be between 0 and 1");
            }
            serde_json::to_value(geo.geocode(&address, threshold)?)?
        }
        GeoCommand::Grid { command: GridCommand::Generate { street, size_m, serial_width } } => {
            GridLayer::new(grid::generate(geo, &street, size_m, serial_width)?)?.to_geojson()
        }
        GeoCommand::Grid { command: GridCommand::Check { file, serial_width } } => {
            let layer = read_grids(geo, &file, serial_width)?;
            let cells = layer.cells();
            let streets: std::collections::BTreeSet<&str> = cells.iter().map(|c| c.street.as_str()).collect();
            json!({
                "cells": cells.len(),
                "streets": streets,
                "cells_with_workers": cells.iter().filter(|c| !c.workers.is_empty()).count(),
                "cells_with_community": cells.iter().filter(|c| c.community.is_some()).count(),
            })
        }
    };
    // A closed pipe (`… | head`) is an error to report, not a panic.
    writeln!(std::io::stdout().lock(), "{}", serde_json::to_string_pretty(&answer)?)?;
    Ok(())
}
