//! The status page in a real Apache with several children: after known
//! traffic, the HTML, JSON and Prometheus outputs give exactly those counts
//! (the Prometheus text is read back with the `prometheus_client` package's
//! own parser), and the page exists only where the admin set the handler.
//!
//! Needs Apache and Python's prometheus_client (`bash .ci/setup` installs both).

mod support;

use std::process::{Command, Stdio};

use support::{JANE, Mpm, Options, Server, flavor};

fn site() -> String {
    "StartServers 3\nMinSpareServers 3\nMaxSpareServers 5\n\
<Directory \"{docs}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    PhotoGuardAllowNetwork 127.99.0.0/16
    PhotoGuardAllowCookie STPluginActivePage=stMeetingroom
</Directory>
<Directory \"{docs}/report\">
    PhotoGuardMode report
</Directory>
<Location /photoguard-status>
    SetHandler photoguard-status
</Location>
"
    .to_string()
}

fn traffic(server: &Server) {
    server.write_file("docs/report/jane.jpg", "JPEG\n");
    for _ in 0..3 {
        assert_eq!(server.get(JANE).from("127.0.16.5").send().status, 200);
    }
    for _ in 0..2 {
        let r = server
            .get(JANE)
            .from("127.9.9.9")
            .cookie("STPluginActivePage=stMeetingroom")
            .send();
        assert_eq!(r.status, 200);
    }
    for client in ["127.9.9.1", "127.9.9.2", "127.9.9.2"] {
        assert_eq!(server.get(JANE).from(client).send().status, 403);
    }
    assert_eq!(
        server
            .get("/report/jane.jpg")
            .from("127.9.9.3")
            .send()
            .status,
        200
    );
}

#[test]
fn the_page_counts_exactly_across_children_in_every_format() {
    let server = Server::start_with(
        Options {
            mpm: flavor().builtin_mpm.unwrap_or(Mpm::Prefork),
            ..Options::default()
        },
        &site(),
    );
    traffic(&server);
    // The status page is outside the gate (its own Location has no PhotoGuard
    // directive, but inherits the Directory's): ask from the office range.
    let json = server
        .get("/photoguard-status?format=json")
        .from("127.0.16.9")
        .send();
    assert_eq!(json.status, 200, "{}", json.body);
    assert!(
        json.header("Content-Type")
            .unwrap()
            .starts_with("application/json")
    );
    // One gated scope (the report directory only changes the mode of the
    // same gate): 3 network allows, the status request itself (decided
    // before its handler ran), 2 cookie allows, 3 denials, 1 would-deny.
    assert_eq!(json.body.matches("{\"scope\":").count(), 1, "{}", json.body);
    assert!(
        json.body
            .contains("\"decisions\":{\"allow\":6,\"deny\":3,\"would-deny\":1,"),
        "{}",
        json.body
    );
    assert!(
        json.body.contains("\"kind\":\"network\",\"allowed\":4,"),
        "{}",
        json.body
    );
    assert!(
        json.body.contains("\"kind\":\"network\",\"allowed\":0,"),
        "{}",
        json.body
    );
    assert!(
        json.body.contains("\"kind\":\"cookie\",\"allowed\":2,"),
        "{}",
        json.body
    );

    let html = server.get("/photoguard-status").from("127.0.16.9").send();
    assert_eq!(html.status, 200);
    assert!(html.body.contains("<table"), "{}", html.body);
    assert!(
        html.body.contains("never matched"),
        "the unused range is marked: {}",
        html.body
    );
    assert!(
        html.body.contains("network 127.99.0.0/16 (httpd.conf:"),
        "{}",
        html.body
    );

    let prom = server
        .get("/photoguard-status?format=prometheus")
        .from("127.0.16.9")
        .send();
    assert_eq!(prom.status, 200);
    let parsed = parse_prometheus(&prom.body);
    let denied: f64 = parsed
        .lines()
        .filter(|l| l.starts_with("photoguard_decisions_total") && l.contains("decision=deny"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(denied, 3.0, "{parsed}");
    let network_allows: f64 = parsed
        .lines()
        .filter(|l| {
            l.starts_with("photoguard_rule_decisions_total")
                && l.contains("rule=network 127.0.16.0/20")
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    // 3 photo requests and the JSON, HTML and Prometheus page fetches, from
    // the office range.
    assert_eq!(network_allows, 6.0, "{parsed}");
}

#[test]
fn the_page_is_refused_where_the_handler_is_not_set() {
    let server = Server::start(
        "<Directory \"{docs}\">\n    PhotoGuard On\n    PhotoGuardAllowNetwork 127.0.0.0/8\n</Directory>\n",
    );
    let response = server
        .get("/photoguard-status?format=json")
        .from("127.0.0.1")
        .send();
    assert_eq!(response.status, 404);
    assert!(!response.body.contains("decisions"));
}

/// The samples as the prometheus_client text parser reads them, one
/// `name labels value` line each (labels as `k=v,...`, sorted).
fn parse_prometheus(text: &str) -> String {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        print(s.name, labels, s.value)
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "Debian's python3 runs (bash .ci/setup installs it with python3-prometheus-client)",
        );
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus text does not parse (or prometheus_client is missing: bash .ci/setup): {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn mod_status_shows_a_photoguard_section_on_2_4() {
    let f = flavor();
    if f.version != support::Version::V24 {
        return;
    }
    let server = Server::start(&format!(
        "{}<Location /server-status>\n    SetHandler server-status\n</Location>\n<Directory \"{{docs}}\">\n    PhotoGuard On\n    PhotoGuardAllowNetwork 127.0.16.0/20\n</Directory>\n",
        f.load("status_module", "mod_status.so")
    ));
    assert_eq!(server.get(JANE).from("127.9.9.9").send().status, 403);
    // From the office range: /server-status is inside the gated directory,
    // and its own request is counted (allowed) before mod_status answers.
    let short = server.get("/server-status?auto").from("127.0.16.9").send();
    assert_eq!(short.status, 200);
    assert!(
        short
            .body
            .contains("photoguard: 1 gated scope(s): allow 1, deny 1,"),
        "{}",
        short.body
    );
    let page = server.get("/server-status").from("127.0.16.9").send();
    assert!(page.body.contains("<h2>photoguard</h2>"), "{}", page.body);
}
