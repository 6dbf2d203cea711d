//! `bench sfu`: one native publisher → N native subscribers (N = 10 and 50) through the
//! real server's SFU, with SRTP as in real calls; measured: packets delivered to
//! subscribers per CPU-second of the server process, loss, and one-way latency
//! (p50/p99). Reference in the same run: a bare UDP relay (a minimal loop in a child
//! process, unencrypted) forwarding the same packets at the same rate to N sockets.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use phonghop_rtc::media::{now_micros, read_probe, synthetic_opus_frame, synthetic_vp8_frame};
use phonghop_rtc::ws::connect_live;
use phonghop_rtc::{NativeParticipant, ParticipantOptions};
use phonghop_testkit::{Api, DEMO_PASSWORD};

/// The publisher's stream: a 720p-ish camera at 30 fps in many packets, plus audio.
const FPS: u32 = 30;
const PACKETS_PER_FRAME: usize = 30;
const VIDEO_PACKET: usize = 1100;
const AUDIO_PACKET: usize = 80;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// User + system CPU seconds a process has used so far.
fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = stat
        .rsplit_once(") ")
        .map(|(_, r)| r)
        .context("odd /proc stat")?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11).context("utime")?.parse()?;
    let stime: f64 = f.get(12).context("stime")?.parse()?;
    let tck: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0);
    Ok((utime + stime) / tck)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// One measured run.
struct Outcome {
    delivered: u64,
    cpu: f64,
    offered: u64,
    latency_us: Vec<u32>,
}

impl Outcome {
    fn per_cpu(&self) -> f64 {
        if self.cpu > 0.0 {
            self.delivered as f64 / self.cpu
        } else {
            f64::NAN
        }
    }

    fn loss(&self) -> f64 {
        if self.offered == 0 {
            return f64::NAN;
        }
        (1.0 - self.delivered as f64 / self.offered as f64).max(0.0) * 100.0
    }

    fn line(&self, what: &str, n: usize, secs: f64) -> String {
        let mut l = self.latency_us.clone();
        l.sort_unstable();
        format!(
            "{what:<10} N={n:<3} delivered {:>8} pkt in {secs:.1} s, cpu {:.2} s → {:>10.0} pkt/cpu-s, loss {:.2} %, latency p50 {:.2} ms p99 {:.2} ms",
            self.delivered,
            self.cpu,
            self.per_cpu(),
            self.loss(),
            percentile(&l, 0.5),
            percentile(&l, 0.99),
        )
    }
}

fn start_server(bin: &Path, data: &Path) -> Result<(Proc, String)> {
    let mut init = Command::new(bin)
        .args(["init", "--admin-password-stdin", "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    {
        use std::io::Write;
        init.stdin
            .take()
            .context("stdin")?
            .write_all(DEMO_PASSWORD.as_bytes())?;
    }
    if !init.wait()?.success() {
        bail!("init failed");
    }
    if !Command::new(bin)
        .args(["seed-demo", "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .status()?
        .success()
    {
        bail!("seed-demo failed");
    }
    let port = crate::free_port()?;
    let child = Command::new(bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let proc = Proc(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("the server did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((proc, format!("http://127.0.0.1:{port}")))
}

async fn today_meeting(api: &Api) -> Result<uuid::Uuid> {
    let (changes, _, _) = api.pull(0, 5000).await;
    let mut ms: Vec<_> = changes
        .into_iter()
        .filter(|c| c["type"] == "meeting")
        .collect();
    ms.sort_by_key(|m| m["starts_at"].as_str().unwrap_or_default().to_owned());
    let m = ms.get(1).context("the demo has three meetings")?;
    m["id"].as_str().context("id")?.parse().context("uuid")
}

async fn run_sfu(url: &str, server_pid: u32, n: usize, window: Duration) -> Result<Outcome> {
    let anon = Api::anonymous(url);
    let chair = anon.login("chutoa", DEMO_PASSWORD).await?;
    let meeting = today_meeting(&chair).await?;
    // Subscribers are remote sites joining by invitation (a person has one seat in a
    // room: the same account joining again would take its earlier place).
    let mut invites = Vec::with_capacity(n);
    for i in 0..n {
        let (status, inv) = chair
            .post(
                &format!("/api/v1/meetings/{meeting}/video/invitations"),
                serde_json::json!({ "name": format!("Điểm cầu {}", i + 1) }),
            )
            .await;
        if !status.is_success() {
            bail!("invitation {i}: {status} {inv}");
        }
        invites.push(inv["token"].as_str().context("token")?.to_owned());
    }
    let mut invites = invites.into_iter();
    let quiet = ParticipantOptions {
        video: false,
        audio: false,
        ..Default::default()
    };
    // Subscribers first, so the publisher's stream starts with all of them attached.
    let mut subs = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(10) {
        let mut joins = Vec::new();
        for _ in (chunk * 10)..((chunk + 1) * 10).min(n) {
            let invite = invites.next().context("an invitation per subscriber")?;
            let url = url.to_owned();
            let opts = quiet.clone();
            joins.push(tokio::spawn(async move {
                let link = connect_live(&url, None, Some(&invite)).await?;
                Ok::<_, anyhow::Error>(NativeParticipant::join(link, meeting, None, opts).await?)
            }));
        }
        for j in joins {
            subs.push(j.await??);
        }
    }
    let publisher = NativeParticipant::join(
        connect_live(url, chair.token.as_deref(), None).await?,
        meeting,
        None,
        ParticipantOptions {
            fps: FPS,
            packets_per_frame: PACKETS_PER_FRAME,
            video_packet_size: VIDEO_PACKET,
            keyframe_interval: FPS * 4,
            ..Default::default()
        },
    )
    .await?;
    let cam = format!("{}:camera", publisher.id().context("joined")?);
    for s in &subs {
        s.wait_received("the publisher's camera", Duration::from_secs(30), |t| {
            t.track == cam && t.frames > 5
        })
        .await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let totals = |subs: &[NativeParticipant]| {
        let (mut pkts, mut lat) = (0u64, 0usize);
        for s in subs {
            for t in s.received().values() {
                pkts += t.packets;
                lat += t.latency_us.len();
            }
        }
        (pkts, lat)
    };
    let lat_marks: Vec<Vec<usize>> = subs
        .iter()
        .map(|s| s.received().values().map(|t| t.latency_us.len()).collect())
        .collect();
    let (p0, _) = totals(&subs);
    let sent0 = publisher.sent_packets();
    let cpu0 = cpu_seconds(server_pid)?;
    tokio::time::sleep(window).await;
    let cpu1 = cpu_seconds(server_pid)?;
    let sent1 = publisher.sent_packets();
    let (p1, _) = totals(&subs);
    let mut latency = Vec::new();
    for (s, marks) in subs.iter().zip(&lat_marks) {
        for (t, from) in s
            .received()
            .values()
            .zip(marks.iter().chain(std::iter::repeat(&0)))
        {
            latency.extend_from_slice(t.latency_us.get(*from..).unwrap_or_default());
        }
    }
    publisher.pause_media();
    let _ = publisher.leave().await;
    for s in subs {
        s.close().await;
    }
    Ok(Outcome {
        delivered: p1 - p0,
        cpu: cpu1 - cpu0,
        offered: (sent1 - sent0) * n as u64,
        latency_us: latency,
    })
}

/// The reference: `phonghop-bench sfu-relay TARGET...` reads datagrams on an ephemeral
/// port (printed on stdout) and sends each to every target. Nothing else.
pub fn relay_main(targets: &[String]) -> Result<()> {
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let targets: Vec<SocketAddr> = targets
        .iter()
        .map(|t| t.parse())
        .collect::<Result<_, _>>()?;
    println!("{}", sock.local_addr()?.port());
    use std::io::Write;
    std::io::stdout().flush()?;
    let mut buf = [0u8; 2048];
    loop {
        let (len, _) = sock.recv_from(&mut buf)?;
        for t in &targets {
            let _ = sock.send_to(&buf[..len], t);
        }
    }
}

fn rtp_header(seq: u16, ts: u32, ssrc: u32, pt: u8, marker: bool) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[0] = 0x80;
    h[1] = pt | if marker { 0x80 } else { 0 };
    h[2..4].copy_from_slice(&seq.to_be_bytes());
    h[4..8].copy_from_slice(&ts.to_be_bytes());
    h[8..12].copy_from_slice(&ssrc.to_be_bytes());
    h
}

fn run_relay(n: usize, window: Duration) -> Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let mut receivers = Vec::new();
    let mut addrs = Vec::new();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let measuring = Arc::new(AtomicBool::new(false));
    for _ in 0..n {
        let s = UdpSocket::bind("127.0.0.1:0")?;
        s.set_read_timeout(Some(Duration::from_millis(100)))?;
        addrs.push(s.local_addr()?.to_string());
        let (stop, received, lat, measuring) = (
            stop.clone(),
            received.clone(),
            latencies.clone(),
            measuring.clone(),
        );
        receivers.push(std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut mine = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(len) = s.recv(&mut buf) {
                    received.fetch_add(1, Ordering::Relaxed);
                    if measuring.load(Ordering::Relaxed)
                        && let Some(p) = read_probe(&buf[12..len])
                    {
                        mine.push(
                            now_micros()
                                .saturating_sub(p.sent_micros)
                                .min(u64::from(u32::MAX)) as u32,
                        );
                    }
                }
            }
            lat.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
        }));
    }
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("sfu-relay")
        .args(&addrs)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    {
        use std::io::BufRead;
        let out = child.stdout.take().context("relay stdout")?;
        std::io::BufReader::new(out).read_line(&mut line)?;
    }
    let relay = Proc(child);
    let port: u16 = line.trim().parse().context("relay port")?;
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (stop, sent) = (stop.clone(), sent.clone());
        std::thread::spawn(move || -> Result<()> {
            let s = UdpSocket::bind("127.0.0.1:0")?;
            s.connect(("127.0.0.1", port))?;
            let frame_period = Duration::from_micros(1_000_000 / u64::from(FPS));
            let start = Instant::now();
            let (mut frame, mut aframe, mut seq, mut aseq) = (0u32, 0u32, 0u16, 0u16);
            while !stop.load(Ordering::Relaxed) {
                let due_video = start + frame_period * frame;
                let due_audio = start + Duration::from_millis(20) * aframe;
                let now = Instant::now();
                if now >= due_video {
                    let payloads = synthetic_vp8_frame(
                        frame,
                        frame % (FPS * 4) == 0,
                        PACKETS_PER_FRAME,
                        VIDEO_PACKET,
                    );
                    let last = payloads.len() - 1;
                    for (i, p) in payloads.into_iter().enumerate() {
                        let mut pkt = rtp_header(seq, frame * 3000, 1, 96, i == last).to_vec();
                        pkt.extend_from_slice(&p);
                        let _ = s.send(&pkt);
                        sent.fetch_add(1, Ordering::Relaxed);
                        seq = seq.wrapping_add(1);
                    }
                    frame += 1;
                } else if now >= due_audio {
                    let mut pkt = rtp_header(aseq, aframe * 960, 2, 111, false).to_vec();
                    pkt.extend_from_slice(&synthetic_opus_frame(aframe, AUDIO_PACKET));
                    let _ = s.send(&pkt);
                    sent.fetch_add(1, Ordering::Relaxed);
                    aseq = aseq.wrapping_add(1);
                    aframe += 1;
                } else {
                    std::thread::sleep(due_video.min(due_audio) - now);
                }
            }
            Ok(())
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    let pid = relay.0.id();
    let (r0, s0, c0) = (
        received.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed),
        cpu_seconds(pid)?,
    );
    measuring.store(true, Ordering::Relaxed);
    std::thread::sleep(window);
    measuring.store(false, Ordering::Relaxed);
    let (r1, s1, c1) = (
        received.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed),
        cpu_seconds(pid)?,
    );
    stop.store(true, Ordering::Relaxed);
    let _ = sender.join();
    for r in receivers {
        let _ = r.join();
    }
    drop(relay);
    let latency_us = std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Outcome {
        delivered: r1 - r0,
        cpu: c1 - c0,
        offered: (s1 - s0) * n as u64,
        latency_us,
    })
}

pub fn run(args: &[String]) -> Result<()> {
    let mut ns = vec![10usize, 50];
    let mut secs = 10u64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--subscribers" => {
                ns = it
                    .next()
                    .context("--subscribers N[,N…]")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--seconds" => secs = it.next().context("--seconds S")?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    let window = Duration::from_secs(secs);
    let bin = std::env::var_os("PHONGHOP_SERVER_BIN")
        .map(std::path::PathBuf::from)
        .context("PHONGHOP_SERVER_BIN is not set; run through `cargo xtask bench sfu`")?;
    let data = tempfile::tempdir()?;
    let (server, url) = start_server(&bin, data.path())?;
    let pid = server.0.id();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let pps = FPS as usize * PACKETS_PER_FRAME + 50;
    println!(
        "bench sfu: publisher {pps} pkt/s ({FPS} fps × {PACKETS_PER_FRAME} × {VIDEO_PACKET} B video + 50 pkt/s audio), window {secs} s, 2 cores shared by everything"
    );
    let (mut ours, mut reference) = (Vec::new(), Vec::new());
    for &n in &ns {
        let o = rt.block_on(run_sfu(&url, pid, n, window))?;
        println!("{}", o.line("sfu (SRTP)", n, secs as f64));
        let r = run_relay(n, window)?;
        println!("{}", r.line("udp relay", n, secs as f64));
        ours.push(o);
        reference.push(r);
    }
    drop(server);
    let rate = |v: &[Outcome]| {
        let (d, c): (u64, f64) = v
            .iter()
            .fold((0, 0.0), |(d, c), o| (d + o.delivered, c + o.cpu));
        if c > 0.0 { d as f64 / c } else { f64::NAN }
    };
    crate::report("sfu", rate(&ours), rate(&reference), "pkt/cpu-s", true);
    Ok(())
}
