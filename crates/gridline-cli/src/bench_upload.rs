//! `gridline bench upload`: a phone's 3 MB photo uploaded to a case over HTTP against the real
//! server (`gridline serve` on the embedded store, in a child process), one upload at a time; the
//! time from sending it to the 201, which comes once the bytes are fsynced under their SHA-256
//! and the row naming them is committed. Every photo differs (a comment segment carries the
//! round), so none is spared its write by an identical one before it. At the end the server is
//! killed (`kill -9`) and every acknowledged photo is checked on disk.

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use gridline_core::actor::Role;
use gridline_store::Store;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BENCH_USER: &str = "bench-operator";
const BENCH_PASSWORD: &str = "bench-password-1";

/// A noisy street-like JPEG of about `target` bytes (noise does not compress, as a real photo's
/// detail does not).
fn photo(target: usize) -> anyhow::Result<Vec<u8>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (mut width, mut height) = (1600u32, 1200u32);
    loop {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            let base = if y < height / 2 { [120, 160, 210] } else { [90, 90, 95] };
            let n: i16 = rng.random_range(-60..60);
            image::Rgb(base.map(|c: i16| (c + n + (x % 40) as i16).clamp(0, 255) as u8))
        });
        let mut out = Cursor::new(Vec::new());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&image)?;
        let bytes = out.into_inner();
        if bytes.len() >= target {
            return Ok(bytes);
        }
        width = width * 11 / 10;
        height = height * 11 / 10;
    }
}

/// `photo` with a JPEG comment segment naming `round` right after its start: other bytes, the
/// same picture.
fn variant(photo: &[u8], round: usize) -> Vec<u8> {
    let comment = format!("gridline bench round {round}");
    let mut out = photo[..2].to_vec();
    out.extend([0xFF, 0xFE]);
    out.extend(u16::try_from(comment.len() + 2).unwrap_or(u16::MAX).to_be_bytes());
    out.extend(comment.as_bytes());
    out.extend(&photo[2..]);
    out
}

fn multipart(bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "gridline-bench-boundary-5e1f";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\nintake\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"IMG_0001.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(dir: &Path, rounds: usize, megabytes: f64) -> anyhow::Result<()> {
    ensure!(rounds > 0, "--rounds must be at least 1");
    ensure!(!dir.join("gridline.db").exists(), "{} already holds a database; give an empty directory", dir.display());
    std::fs::create_dir_all(dir)?;
    {
        let store = Store::open_data_dir(dir).await?;
        crate::add_user(&store, BENCH_USER, None, Role::HotlineOperator, None, BENCH_PASSWORD).await?;
        store.close().await;
    }
    let photo = photo((megabytes * 1024.0 * 1024.0) as usize)?;
    let addr = crate::bench::free_port()?;
    let mut server = crate::bench::start_server(&crate::bench::Place::Dir(dir.to_owned()), addr, None, &[]).await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let session: Value = http.post(format!("{base}/api/v1/session")).json(&json!({"username": BENCH_USER, "password": BENCH_PASSWORD}))
        .send().await?.error_for_status()?.json().await?;
    let token = session["token"].as_str().context("no session token")?.to_owned();
    let case: Value = http.post(format!("{base}/api/v1/cases")).bearer_auth(&token)
        .json(&json!({"channel": "hotline", "category": "S0102", "region": "110105026000", "description": "望京西园三区楼下垃圾桶满溢"}))
        .send().await?.error_for_status()?.json().await?;
    let id = case["id"].as_i64().context("no case id")?;
    println!("photo {:.2} MB; {rounds} uploads to case {id}, one at a time (time from send to the 201):", photo.len() as f64 / 1048576.0);
    let mut times = Vec::with_capacity(rounds);
    let mut acknowledged = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let bytes = variant(&photo, round);
        let (content_type, body) = multipart(&bytes);
        let started = Instant::now();
        let answer = http.post(format!("{base}/api/v1/cases/{id}/attachments")).bearer_auth(&token)
            .header(reqwest::header::CONTENT_TYPE, content_type).body(body).send().await?;
        ensure!(answer.status() == 201, "upload {round} answered {}", answer.status());
        let added: Value = answer.json().await?;
        times.push(started.elapsed());
        let sha = added["items"][0]["sha256"].as_str().context("no sha256")?.to_owned();
        ensure!(sha == hex::encode(Sha256::digest(&bytes)), "upload {round}: the server's hash differs");
        acknowledged.push(sha);
    }
    server.start_kill()?;
    server.wait().await?;
    for sha in &acknowledged {
        let path = dir.join("files").join(&sha[..2]).join(sha);
        let kept = std::fs::read(&path).with_context(|| format!("an acknowledged photo is missing: {}", path.display()))?;
        ensure!(hex::encode(Sha256::digest(&kept)) == *sha, "{} does not hold what was acknowledged", path.display());
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("p50 {}  p95 {}  max {}", ms(at(0.5)), ms(at(0.95)), ms(times[times.len() - 1]));
    println!("after kill -9: all {} acknowledged photos on disk with their hash", acknowledged.len());
    Ok(())
}
