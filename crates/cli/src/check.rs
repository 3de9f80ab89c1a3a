//! `photoguard check`: the module's decision for one request, from the
//! config the server would load.
//!
//! Exit status: 0 when the request passes (allow, and would-deny in report
//! mode, where photoguard only logs), 1 when it is denied, 2 when the config
//! or the arguments are wrong.

use std::net::IpAddr;
use std::path::PathBuf;

use photoguard_engine::ltpa::parse_rfc3339;
use photoguard_engine::network::{canonical, parse_client_address};
use photoguard_engine::{Decision, Env, Reason, Request, ScopeConfig, Verdict};

use super::httpd::{Policy, RequestTarget, Resolved, SectionKind};
use super::{CommandOutput, ConfigSource};

/// The request to decide on. The field docs are `photoguard check --help`,
/// written for a terminal: `<Location>` there is a section, not HTML.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckOptions {
    #[command(flatten)]
    pub config: ConfigSource,
    /// The URL path requested, e.g. /photos/jane.jpg; picks the
    /// <Location>, <Directory> (DocumentRoot + path) and <Files> sections.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub scope: String,
    /// The file the URL maps to, when it is not DocumentRoot + PATH
    /// (e.g. behind an Alias).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The <VirtualHost> by ServerName or ServerAlias; default: the first
    /// one (where httpd sends requests for unknown names).
    #[arg(long, value_name = "NAME")]
    pub vhost: Option<String>,
    /// The client's address.
    #[arg(long, value_name = "ADDR", required_unless_present = "peer")]
    pub ip: Option<String>,
    /// The TCP peer when it is a proxy in front of the client; the
    /// client-IP header then carries --ip unless --forwarded-for is given.
    #[arg(long, value_name = "ADDR")]
    pub peer: Option<String>,
    /// The Cookie header, e.g. 'LtpaToken2=abc; other=1'.
    #[arg(long, value_name = "HEADER")]
    pub cookie: Option<String>,
    /// The client-IP header (X-Forwarded-For by default) as sent.
    #[arg(long, value_name = "HEADER")]
    pub forwarded_for: Option<String>,
    /// The time of the request, for LTPA token expiry, e.g.
    /// 2026-11-20T10:00:00Z [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also print the virtual host, file and sections merged.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

pub fn run_check(options: &CheckOptions) -> CommandOutput {
    match check(options) {
        Ok(output) => output,
        Err(lines) => CommandOutput::failure(lines),
    }
}

fn parse_address(flag: &str, text: &str) -> Result<IpAddr, Vec<String>> {
    parse_client_address(text.as_bytes())
        .ok_or_else(|| vec![format!("{flag} '{text}': not an IPv4 or IPv6 address")])
}

fn check(options: &CheckOptions) -> Result<CommandOutput, Vec<String>> {
    let ip = options
        .ip
        .as_deref()
        .map(|t| parse_address("--ip", t))
        .transpose()?;
    let peer = options
        .peer
        .as_deref()
        .map(|t| parse_address("--peer", t))
        .transpose()?;
    let env = match &options.now {
        Some(text) => Env {
            now_unix_millis: parse_rfc3339(text)
                .ok_or_else(|| {
                    vec![format!(
                        "--now '{text}': not an RFC 3339 time (e.g. 2026-11-20T10:00:00Z)"
                    )]
                })?
                .saturating_mul(1000),
            counter: None,
        },
        None => Env::system(),
    };
    let Some(peer_address) = peer.or(ip) else {
        return Err(vec![
            "give the client address with --ip (and the proxy with --peer)".into(),
        ]);
    };
    let config = options.config.load();
    let policy = Policy::build(&config);
    let errors: Vec<String> = policy.all_errors().map(|e| e.to_string()).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let target = RequestTarget {
        vhost: options.vhost.as_deref(),
        url_path: if options.scope.is_empty() {
            "/"
        } else {
            &options.scope
        },
        file_path: options.file.as_deref(),
    };
    let resolved = policy.resolve(&target).map_err(|e| vec![e])?;

    // A request through a proxy: the header carries the client, unless the
    // admin wrote the header out.
    let forwarded = match (&options.forwarded_for, peer, &options.ip) {
        (Some(header), _, _) => Some(header.clone()),
        (None, Some(_), Some(ip)) => Some(ip.clone()),
        _ => None,
    };
    let request = Request {
        peer: peer_address,
        cookie_header: options.cookie.as_deref().map(str::as_bytes),
        forwarded_for: forwarded.as_deref().map(str::as_bytes),
    };
    // No counter: check keeps no counts, so limits are not applied.
    let decision = resolved.scope.view().evaluate_in(&request, &env);
    let client_note = client_note(
        &decision,
        &resolved.scope,
        ip,
        peer_address,
        forwarded.is_some(),
    );

    let stdout = if options.json {
        json_report(
            &decision,
            &resolved,
            &policy,
            peer_address,
            client_note.as_deref(),
        ) + "\n"
    } else {
        let mut text = format!("{decision}\n");
        if let Some(note) = &client_note {
            text.push_str(&format!("client: {note}\n"));
        }
        if options.verbose {
            text.push_str(&describe_scope(&resolved, &policy));
        }
        text
    };
    let mut stderr: String = policy
        .warnings
        .iter()
        .map(|w| format!("warning: {w}\n"))
        .collect();
    stderr.extend(resolved.notes.iter().map(|n| format!("note: {n}\n")));
    if resolved.scope.has_limits() {
        stderr.push_str(
            "note: limits (PhotoGuardLimit, PhotoGuardLimitNotFound) apply here but are not applied by check, which keeps no counts: the server may still limit this client\n",
        );
    }
    let code = if decision.verdict == Verdict::Deny {
        1
    } else {
        0
    };
    Ok(CommandOutput {
        stdout,
        stderr,
        code,
    })
}

/// Says which address was decided on when it is not `--ip`, and why.
fn client_note(
    decision: &Decision,
    scope: &ScopeConfig,
    ip: Option<IpAddr>,
    peer: IpAddr,
    header_sent: bool,
) -> Option<String> {
    if matches!(decision.reason, Reason::GateOff) {
        return None;
    }
    let client = decision.client;
    let header = scope.client_ip_header();
    let peer_trusted = scope.trusted_proxies().is_some_and(|t| t.contains(peer));
    let why = if peer_trusted && client != peer {
        format!("from the {header} header of trusted proxy {peer}")
    } else if peer_trusted {
        format!("the {header} header of trusted proxy {peer} named no other client")
    } else if header_sent {
        format!("the peer {peer} is not a trusted proxy, so its {header} header was ignored")
    } else {
        String::new()
    };
    match ip {
        Some(ip) if canonical(ip) == canonical(client) => None,
        Some(ip) => Some(format!("{client} (not the --ip {ip}: {why})")),
        None if why.is_empty() => Some(client.to_string()),
        None => Some(format!("{client} ({why})")),
    }
}

/// `--verbose`: the virtual host, the file and the sections merged.
fn describe_scope(resolved: &Resolved, policy: &Policy) -> String {
    let mut text = String::new();
    if let Some(vhost) = resolved.vhost {
        text.push_str(&format!("vhost: {}\n", policy.sections[vhost].section));
    }
    text.push_str(&format!("url path: {}\n", resolved.url_path));
    if let Some(file) = &resolved.file_path {
        text.push_str(&format!("file: {}\n", file.display()));
    }
    for &i in &resolved.applied {
        text.push_str(&format!("merged: {}\n", policy.sections[i].section));
    }
    text
}

fn json_report(
    decision: &Decision,
    resolved: &Resolved,
    policy: &Policy,
    peer: IpAddr,
    client_note: Option<&str>,
) -> String {
    let sections: Vec<String> = resolved
        .applied
        .iter()
        .filter(|&&i| policy.sections[i].section.kind != SectionKind::Server)
        .map(|&i| policy.sections[i].section.to_string())
        .collect();
    let value = serde_json::json!({
        "decision": decision.verdict.as_str(),
        // With its detail: the LTPA user, or why a token was refused.
        "reason": decision.reason.to_string(),
        "user": decision.reason.user(),
        "client": decision.client.to_string(),
        "peer": peer.to_string(),
        "client_note": client_note,
        "deny_action": decision.deny_action.to_string(),
        // The status photoguard answers with; null when the request passes.
        "status": (decision.verdict == Verdict::Deny).then(|| decision.deny_action.status()),
        "mode": match resolved.scope.mode() {
            photoguard_engine::Mode::Enforce => "enforce",
            photoguard_engine::Mode::Report => "report",
        },
        "url_path": resolved.url_path,
        "sections": sections,
    });
    value.to_string()
}
