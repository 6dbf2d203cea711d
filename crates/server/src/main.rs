//! `phonghop-server`: init a data directory, manage accounts, seed the demo province,
//! serve the API, verify the audit log.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use phonghop_domain::{Id, Role};
use phonghop_server::store::{NewUser, Store};
use phonghop_server::{Config, Tls, audit, auth, open_data, seed};

#[derive(Parser)]
#[command(
    name = "phonghop-server",
    version,
    about = "PhòngHọp provincial server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database, blob store and the `admin` account.
    Init {
        #[arg(long)]
        data: PathBuf,
        /// Read the admin password from standard input instead of generating one.
        #[arg(long)]
        admin_password_stdin: bool,
    },
    /// Serve the API.
    Serve {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8686")]
        listen: SocketAddr,
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on an address other than loopback (passwords and tokens then
        /// cross the network in the clear: only behind a TLS proxy on a trusted link).
        #[arg(long)]
        insecure_http: bool,
        /// A reverse proxy in front (repeatable): its `X-Forwarded-For` names the client,
        /// so that failed logins are counted per client, not per proxy.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Days a login lasts before the device asks for the password again.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=365))]
        session_days: u64,
        #[command(flatten)]
        media: MediaArgs,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Seed the demo province "UBND tỉnh Quảng Bình" (once).
    SeedDemo {
        #[arg(long)]
        data: PathBuf,
        /// The demo recipes (province.json, PDFs, trust/); defaults to the source tree's assets/demo.
        #[arg(long)]
        assets: Option<PathBuf>,
        /// Seed even beside accounts that are not the demo's (the demo's password is
        /// public, and its test root CA becomes trusted).
        #[arg(long)]
        beside_real_accounts: bool,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// Where video media (WebRTC over UDP) is received and sent.
#[derive(clap::Args)]
struct MediaArgs {
    /// The address media sockets bind to (an explicit address: a wildcard would skip
    /// loopback and bind every other interface).
    #[arg(long, default_value = "127.0.0.1", env = "PHONGHOP_MEDIA_IP")]
    media_ip: std::net::IpAddr,
    /// UDP ports for media, e.g. 40000-40999 (open exactly these in the firewall).
    #[arg(long, env = "PHONGHOP_MEDIA_PORTS", value_parser = parse_port_range)]
    media_ports: Option<(u16, u16)>,
    /// The address clients reach when the server is behind 1:1 NAT.
    #[arg(long, env = "PHONGHOP_PUBLIC_IP")]
    public_ip: Option<std::net::IpAddr>,
    /// A STUN/TURN server for clients and the SFU: `stun:host:port` or
    /// `turn:host:port?transport=udp,user,password`. Repeatable. A TURN password is
    /// better given in the environment, PHONGHOP_ICE_SERVERS (servers separated by `;`):
    /// the command line is visible to every user of the machine.
    #[arg(long = "ice-server")]
    ice_servers: Vec<String>,
}

fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    let (lo, hi) = s
        .split_once('-')
        .ok_or("expected FIRST-LAST, e.g. 40000-40999")?;
    let lo: u16 = lo.trim().parse().map_err(|e| format!("{e}"))?;
    let hi: u16 = hi.trim().parse().map_err(|e| format!("{e}"))?;
    if lo == 0 || lo > hi {
        return Err("the range must be FIRST-LAST with 0 < FIRST <= LAST".into());
    }
    Ok((lo, hi))
}

impl MediaArgs {
    /// Where media goes; STUN/TURN servers from `--ice-server`, then from
    /// PHONGHOP_ICE_SERVERS (`;`-separated: a password may hold `;` only on the flag).
    fn net(&self, env: Option<String>) -> anyhow::Result<phonghop_rtc::NetConfig> {
        let from_env = env.unwrap_or_default();
        let mut ice_servers = Vec::new();
        for s in self
            .ice_servers
            .iter()
            .map(String::as_str)
            .chain(from_env.split(';').map(str::trim).filter(|s| !s.is_empty()))
        {
            ice_servers.push(ice_server(s)?);
        }
        Ok(phonghop_rtc::NetConfig {
            bind_ip: self.media_ip,
            port_range: self.media_ports,
            public_ip: self.public_ip,
            ice_servers,
        })
    }
}

/// `URL[,USER,PASSWORD]`; the URL must be a STUN or TURN one (browsers refuse a peer
/// connection with anything else, so one bad entry would stop every guest's video).
fn ice_server(s: &str) -> anyhow::Result<phonghop_rtc::signal::IceServer> {
    let mut parts = s.splitn(3, ',');
    let url = parts.next().unwrap_or_default().trim();
    let host = ["stun:", "stuns:", "turn:", "turns:"]
        .iter()
        .find_map(|p| url.strip_prefix(p));
    if host.is_none_or(|h| h.is_empty()) {
        anyhow::bail!(
            "ICE server {url:?}: expected stun:HOST:PORT or turn:HOST:PORT[?transport=udp],USER,PASSWORD"
        );
    }
    Ok(phonghop_rtc::signal::IceServer {
        urls: vec![url.to_owned()],
        username: parts.next().map(str::to_owned),
        credential: parts.next().map(str::to_owned),
    })
}

#[derive(Subcommand)]
enum UserCommand {
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        #[arg(long)]
        role: Role,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Many accounts sharing one password: PREFIX0001 … PREFIXnnnn (load tests, drills).
    AddMany {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        count: u32,
        #[arg(long)]
        role: Role,
        /// Full names are this followed by the number.
        #[arg(long, default_value = "Đại biểu")]
        full_name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    Disable {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
    },
    Enable {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
    },
    /// Set a new password (read from standard input); every session of the user ends.
    Password {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// The devices a user has logged in on.
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device (a lost or stolen tablet) for all its users: its sessions end, no
    /// one logs in on it again, and votes signed on it are refused.
    Revoke {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        id: Id,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exit 1 when a row was edited or deleted.
    Verify {
        #[arg(long)]
        data: PathBuf,
    },
}

fn read_password_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the password from standard input")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    if p.chars().count() < 8 {
        anyhow::bail!("the password must be at least 8 characters");
    }
    Ok(p)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Init {
            data,
            admin_password_stdin,
        } => {
            let (store, _) = open_data(&data, true)?;
            if store.user_by_username("admin")?.is_some() {
                println!("{} is initialised already; nothing changed", data.display());
                return Ok(());
            }
            let (password, generated) = if admin_password_stdin {
                (read_password_stdin()?, false)
            } else {
                (auth::generate_password(), true)
            };
            store.create_user(&NewUser {
                id: Id::now_v7(),
                username: "admin".into(),
                full_name: "Quản trị hệ thống".into(),
                role: Role::Admin,
                title: "Quản trị hệ thống".into(),
                org_unit_id: None,
                password_hash: auth::hash_password(&password).map_err(anyhow::Error::msg)?,
            })?;
            println!("initialised {}", data.display());
            if generated {
                println!("admin password (shown once): {password}");
            }
        }
        Command::Serve {
            data,
            listen,
            tls_cert,
            tls_key,
            insecure_http,
            trusted_proxies,
            session_days,
            media,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(Tls { cert, key }),
                _ => None,
            };
            if tls.is_none() && !listen.ip().is_loopback() && !insecure_http {
                anyhow::bail!(
                    "{listen} is reachable from the network: serve it with --tls-cert and --tls-key \
                     (passwords and session tokens would cross it in the clear), or put a TLS proxy \
                     in front and pass --insecure-http"
                );
            }
            let net = media.net(std::env::var("PHONGHOP_ICE_SERVERS").ok())?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let mut config = Config::new(&data);
                config.video.net = net;
                config.trusted_proxies = trusted_proxies;
                config.session_max_age = std::time::Duration::from_secs(session_days * 24 * 3600);
                let server = phonghop_server::start(config, listen, tls).await?;
                println!("PhòngHọp server listening on {scheme}://{}", server.addr);
                let state = server.state.clone();
                tokio::select! {
                    r = server.wait() => r?,
                    _ = tokio::signal::ctrl_c() => {
                        drop(state);
                        println!("stopping");
                    }
                }
                Ok::<_, anyhow::Error>(())
            })?;
        }
        Command::User { command } => match command {
            UserCommand::Add {
                data,
                username,
                full_name,
                role,
                title,
                password_stdin: _,
            } => {
                let (store, _) = open_data(&data, false)?;
                let password = read_password_stdin()?;
                let user = store.create_user(&NewUser {
                    id: Id::now_v7(),
                    username,
                    full_name,
                    role,
                    title,
                    org_unit_id: None,
                    password_hash: auth::hash_password(&password).map_err(anyhow::Error::msg)?,
                })?;
                println!(
                    "added {} ({}, {})",
                    user.username, user.full_name, user.role
                );
            }
            UserCommand::AddMany {
                data,
                prefix,
                count,
                role,
                full_name,
                password_stdin: _,
            } => {
                let (store, _) = open_data(&data, false)?;
                let password = read_password_stdin()?;
                // One hash for all: argon2id is slow on purpose.
                let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
                let width = count.to_string().len().max(4);
                for i in 1..=count {
                    store.create_user(&NewUser {
                        id: Id::now_v7(),
                        username: format!("{prefix}{i:0width$}"),
                        full_name: format!("{full_name} {i}"),
                        role,
                        title: String::new(),
                        org_unit_id: None,
                        password_hash: hash.clone(),
                    })?;
                }
                println!(
                    "added {count} accounts {prefix}{:0width$} … {prefix}{count:0width$}",
                    1
                );
            }
            UserCommand::List { data, json } => {
                let (store, _) = open_data(&data, false)?;
                let users = store.list_users()?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&users)?);
                } else {
                    for u in users {
                        let state = if u.disabled { "disabled" } else { "active" };
                        println!(
                            "{:<12} {:<10} {:<9} {}",
                            u.username,
                            u.role.as_str(),
                            state,
                            u.full_name
                        );
                    }
                }
            }
            UserCommand::Disable { data, username } => {
                let (store, _) = open_data(&data, false)?;
                store.set_user_disabled(&username, true)?;
                println!("disabled {username}; their sessions are ended");
            }
            UserCommand::Enable { data, username } => {
                let (store, _) = open_data(&data, false)?;
                store.set_user_disabled(&username, false)?;
                println!("enabled {username}");
            }
            UserCommand::Password {
                data,
                username,
                password_stdin: _,
            } => {
                let password = read_password_stdin()?;
                let (store, _) = open_data(&data, false)?;
                let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
                store.set_password(&username, &hash)?;
                println!("new password for {username}; their sessions are ended");
            }
        },
        Command::Device { command } => match command {
            DeviceCommand::List {
                data,
                username,
                json,
            } => {
                let (store, _) = open_data(&data, false)?;
                let devices = store.devices_of(&username)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&devices)?);
                } else {
                    for d in devices {
                        println!(
                            "{}  {}  since {}  {} session(s){}",
                            d.id,
                            d.name,
                            d.created_at,
                            d.sessions,
                            if d.revoked { "  REVOKED" } else { "" }
                        );
                    }
                }
            }
            DeviceCommand::Revoke { data, id } => {
                let (store, _) = open_data(&data, false)?;
                let n = store.revoke_device(id)?;
                println!("revoked device {id} ({n} user(s)); its sessions are ended");
            }
        },
        Command::SeedDemo {
            data,
            assets,
            beside_real_accounts,
        } => {
            let (store, blobs) = open_data(&data, false)?;
            let assets = assets.unwrap_or_else(seed::default_assets_dir);
            let real = seed::accounts_not_in_demo(&store, &assets)?;
            if !real.is_empty() && !beside_real_accounts {
                anyhow::bail!(
                    "this data directory holds accounts that are not the demo's ({}): seeding \
                     would add accounts with a public password and trust the demo's test CA; \
                     pass --beside-real-accounts if this really is a test server",
                    real.join(", ")
                );
            }
            let report = seed::seed_demo(&store, &blobs, &assets, &data, seed::today_in_vietnam())?;
            if report.already_seeded {
                println!("the demo province is seeded already; nothing changed");
            } else {
                println!(
                    "seeded UBND tỉnh Quảng Bình: {} accounts, {} meetings, {} signed documents (password {})",
                    report.users, report.meetings, report.documents, report.password
                );
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { data },
        } => {
            let (store, _) = open_data(&data, false)?;
            let (entries, head) = store.audit_snapshot()?;
            match audit::verify(&entries, head.as_ref().map(|(s, h)| (*s, h.as_str()))) {
                Ok(n) => println!("audit log intact: {n} entries"),
                Err(problem) => {
                    eprintln!("audit log TAMPERED: {problem}");
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(flags: &[&str]) -> MediaArgs {
        MediaArgs {
            media_ip: "127.0.0.1".parse().unwrap(),
            media_ports: None,
            public_ip: None,
            ice_servers: flags.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn ice_servers_from_flags_and_environment() {
        // A `;` in a password on the flag stays in the password.
        let net = media(&["turn:turn.example.vn:3478,user,p;w"])
            .net(Some(
                " stun:stun.example.vn:3478 ;turn:t2.example.vn:3478,u2,s2;".into(),
            ))
            .unwrap();
        let got: Vec<(String, Option<String>)> = net
            .ice_servers
            .iter()
            .map(|s| (s.urls[0].clone(), s.credential.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("turn:turn.example.vn:3478".into(), Some("p;w".into())),
                ("stun:stun.example.vn:3478".into(), None),
                ("turn:t2.example.vn:3478".into(), Some("s2".into())),
            ]
        );
        // An empty environment variable adds nothing.
        assert!(
            media(&[])
                .net(Some(String::new()))
                .unwrap()
                .ice_servers
                .is_empty()
        );
    }

    #[test]
    fn a_bad_ice_server_stops_the_start() {
        for bad in [
            "",
            "turn:",
            "http://turn.example.vn",
            "turn.example.vn:3478,u,p",
        ] {
            assert!(media(&[bad]).net(None).is_err(), "{bad:?} accepted");
        }
        assert!(media(&[]).net(Some("stun:ok:3478;w".into())).is_err());
    }
}
