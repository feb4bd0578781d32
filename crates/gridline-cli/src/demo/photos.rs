//! The demo city's photos: simple street scenes drawn here (no photo is committed) — a problem as
//! a grid worker or an inspector would photograph it (litter, a pothole, a car on the pavement,
//! graffiti), and the same street after the fix — kept through the one attachments service
//! (`App::store_attachment`) and added to the latest cases at their intake and handling.

use std::io::Cursor;

use gridline_app::App;
use gridline_app::attachments::Upload;
use gridline_core::attachment::{Expect, Stage};
use gridline_core::case::{CaseEvent, Change, Channel};
use gridline_store::Created;
use image::{ImageFormat, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How many of the newest cases get photos: those the queues and the case pages show.
const CASES_WITH_PHOTOS: usize = 600;
/// Variations drawn of each scene; identical photos share their bytes on disk.
const VARIATIONS: u64 = 4;

/// What a photo shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scene {
    Litter,
    Pothole,
    Parking,
    Graffiti,
    /// The street after the fix.
    Fixed,
}

const PROBLEMS: [Scene; 4] = [Scene::Litter, Scene::Pothole, Scene::Parking, Scene::Graffiti];

fn fill_rect(img: &mut RgbImage, x0: i64, y0: i64, w: i64, h: i64, color: Rgb<u8>) {
    let (width, height) = (i64::from(img.width()), i64::from(img.height()));
    for y in y0.max(0)..(y0 + h).min(height) {
        for x in x0.max(0)..(x0 + w).min(width) {
            img.put_pixel(x as u32, y as u32, color);
        }
    }
}

fn fill_ellipse(img: &mut RgbImage, cx: i64, cy: i64, rx: i64, ry: i64, color: Rgb<u8>) {
    let (width, height) = (i64::from(img.width()), i64::from(img.height()));
    for y in (cy - ry).max(0)..(cy + ry).min(height) {
        for x in (cx - rx).max(0)..(cx + rx).min(width) {
            let (dx, dy) = ((x - cx) as f64 / rx as f64, (y - cy) as f64 / ry as f64);
            if dx * dx + dy * dy <= 1.0 {
                img.put_pixel(x as u32, y as u32, color);
            }
        }
    }
}

/// A street scene of `scene`, variation `variation`, as a JPEG of 800 × 600.
pub fn draw(scene: Scene, variation: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(variation * 31 + scene as u64);
    let (w, h) = (800i64, 600i64);
    let mut img = RgbImage::new(w as u32, h as u32);
    // Sky: a gradient from pale blue (or Beijing's grey) to white at the horizon.
    let grey = rng.random_bool(0.4);
    for y in 0..h / 2 {
        let t = y as f64 / (h / 2) as f64;
        let (r, g, b) = if grey { (170.0, 175.0, 180.0) } else { (120.0, 170.0, 225.0) };
        let mix = |c: f64| (c + (240.0 - c) * t) as u8;
        fill_rect(&mut img, 0, y, w, 1, Rgb([mix(r), mix(g), mix(b)]));
    }
    // Buildings with windows.
    let mut x = -20;
    while x < w {
        let bw = rng.random_range(90..180);
        let bh = rng.random_range(120..260);
        let shade = rng.random_range(150..215u8);
        fill_rect(&mut img, x, h / 2 - bh, bw, bh, Rgb([shade, shade - 20, shade - 40]));
        for wy in (h / 2 - bh + 14..h / 2 - 20).step_by(34) {
            for wx in (x + 12..x + bw - 20).step_by(30) {
                fill_rect(&mut img, wx, wy, 16, 20, Rgb([90, 110, 140]));
            }
        }
        x += bw + rng.random_range(4..20);
    }
    // Pavement, kerb and road.
    fill_rect(&mut img, 0, h / 2, w, 90, Rgb([196, 190, 178]));
    fill_rect(&mut img, 0, h / 2 + 90, w, 8, Rgb([150, 150, 150]));
    fill_rect(&mut img, 0, h / 2 + 98, w, h, Rgb([72, 74, 78]));
    for lx in (0..w).step_by(120) {
        fill_rect(&mut img, lx + 20, h * 5 / 6, 70, 8, Rgb([235, 235, 225]));
    }
    match scene {
        Scene::Litter => {
            for _ in 0..rng.random_range(12..24) {
                let color = *[Rgb([230, 230, 230]), Rgb([40, 40, 40]), Rgb([200, 60, 50]), Rgb([60, 120, 200]), Rgb([120, 90, 60])]
                    .get(rng.random_range(0..5))
                    .expect("colours");
                fill_ellipse(&mut img, rng.random_range(80..720), rng.random_range(h / 2 + 20..h / 2 + 88), rng.random_range(8..30), rng.random_range(6..18), color);
            }
        }
        Scene::Pothole => {
            let (cx, cy) = (rng.random_range(200..600), rng.random_range(h / 2 + 150..h - 80));
            fill_ellipse(&mut img, cx, cy, rng.random_range(70..130), rng.random_range(25..45), Rgb([38, 36, 34]));
            fill_ellipse(&mut img, cx - 10, cy - 4, 40, 12, Rgb([90, 95, 100]));
        }
        Scene::Parking => {
            for n in 0..rng.random_range(1..3) {
                let cx = rng.random_range(60..500) + n * 220;
                let color = Rgb([rng.random_range(40..220), rng.random_range(40..220), rng.random_range(40..220)]);
                fill_rect(&mut img, cx, h / 2 + 20, 190, 55, color);
                fill_rect(&mut img, cx + 35, h / 2 - 10, 110, 35, color);
                fill_rect(&mut img, cx + 45, h / 2 - 4, 40, 24, Rgb([170, 200, 230]));
                fill_ellipse(&mut img, cx + 40, h / 2 + 78, 20, 20, Rgb([20, 20, 20]));
                fill_ellipse(&mut img, cx + 150, h / 2 + 78, 20, 20, Rgb([20, 20, 20]));
            }
        }
        Scene::Graffiti => {
            for _ in 0..rng.random_range(3..6) {
                let color = Rgb([rng.random_range(150..255), rng.random_range(0..120), rng.random_range(0..255)]);
                let (mut px, mut py) = (rng.random_range(40..700), rng.random_range(h / 2 - 180..h / 2 - 40));
                for _ in 0..60 {
                    fill_ellipse(&mut img, px, py, 5, 5, color);
                    px = (px + rng.random_range(-4..10)).clamp(0, w - 1);
                    py = (py + rng.random_range(-8..9)).clamp(h / 2 - 240, h / 2 - 10);
                }
            }
        }
        Scene::Fixed => {
            // Clean pavement and a green tick in the corner.
            for i in 0..40 {
                fill_ellipse(&mut img, 680 + i, 120 + i, 7, 7, Rgb([40, 170, 80]));
                fill_ellipse(&mut img, 720 + i, 160 - i * 2, 7, 7, Rgb([40, 170, 80]));
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg).expect("encoding an image in memory");
    out.into_inner()
}

/// Gives the newest cases photos: a problem's at intake for those a grid worker or an inspector
/// reported, the fixed street's with each handling; at the times and by the people of their
/// events. Returns how many photos were added.
pub async fn attach(app: &App, created: &[Created]) -> anyhow::Result<usize> {
    let problems: Vec<Vec<Vec<u8>>> = PROBLEMS.iter().map(|&scene| (0..VARIATIONS).map(|v| draw(scene, v)).collect()).collect();
    let fixed: Vec<Vec<u8>> = (0..VARIATIONS).map(|v| draw(Scene::Fixed, v)).collect();
    let mut added = 0;
    for created in created.iter().rev().take(CASES_WITH_PHOTOS) {
        let case = &created.case;
        let n = case.id.get().unsigned_abs();
        let events: Vec<CaseEvent> = app.store.cases().events(case.id).await?;
        for event in &events {
            let (stage, bytes) = match &event.change {
                Change::Receive(intake) if intake.channel != Channel::Hotline => {
                    (Stage::Intake, &problems[(n % PROBLEMS.len() as u64) as usize][(n / 4 % VARIATIONS) as usize])
                }
                Change::Handle { .. } => (Stage::Handling, &fixed[(n % VARIATIONS) as usize]),
                _ => continue,
            };
            let upload = Upload { bytes: bytes.clone(), name: format!("IMG_{n:05}_{}.jpg", event.seq), expect: Expect::Photo };
            let stored = app.store_attachment(upload, &event.actor, event.at).await?;
            app.store.attachments().add_to_case(case.id, &[stored.id], stage, event.actor.user_id, event.at).await?;
            added += 1;
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_is_a_distinct_jpeg() {
        let photos: Vec<Vec<u8>> = [PROBLEMS.as_slice(), &[Scene::Fixed]].concat().iter().map(|&s| draw(s, 0)).collect();
        for photo in &photos {
            assert_eq!(gridline_core::attachment::MediaType::sniff(photo), Some(gridline_core::attachment::MediaType::Jpeg));
        }
        let distinct: std::collections::HashSet<&Vec<u8>> = photos.iter().collect();
        assert_eq!(distinct.len(), photos.len());
        assert_eq!(draw(Scene::Litter, 1), draw(Scene::Litter, 1), "drawn from a seed");
    }
}
