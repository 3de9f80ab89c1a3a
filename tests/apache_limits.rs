//! The enumeration guard in a real Apache: limits count across every child
//! process (requests over fresh connections land on different children),
//! per client address, only for the classes they name; too many 404s block a
//! client from the whole scope.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use support::{JANE, Mpm, Options, Server, Version, flavor};

/// The seed policy with a limit on the meeting-room cookie and on 404s.
fn limited_site(extra: &str) -> String {
    format!(
        "<Directory \"{{docs}}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    PhotoGuardAllowCookie STPluginActivePage=stMeetingroom
    PhotoGuardLimit 30/10m cookie
    PhotoGuardLimitNotFound 5/10m
    {extra}
</Directory>
"
    )
}

/// Several processes: prefork children, or event processes.
fn many_children(mpm: Mpm) -> &'static str {
    match mpm {
        Mpm::Prefork => "StartServers 4\nMinSpareServers 4\nMaxSpareServers 6\n",
        Mpm::Event => {
            "StartServers 2\nServerLimit 4\nThreadsPerChild 4\nMinSpareThreads 8\nMaxSpareThreads 16\n"
        }
    }
}

const MEETING: &str = "STPluginActivePage=stMeetingroom";

#[test]
fn the_31st_cookie_request_is_limited_across_children() {
    let f = flavor();
    // 2.2 has no status line for 429: there the deny action is used.
    let action = if f.version == Version::V22 {
        "PhotoGuardLimitAction deny"
    } else {
        ""
    };
    for mpm in f.available_mpms() {
        let options = Options {
            mpm,
            ..Options::default()
        };
        let site = format!("{}{}", many_children(mpm), limited_site(action));
        let server = Server::start_with(options, &site);
        for n in 1..=30 {
            let response = server.get(JANE).from("127.9.9.9").cookie(MEETING).send();
            assert_eq!(
                response.status, 200,
                "{mpm:?}: request {n} is within 30/10m"
            );
        }
        let limited = server.get(JANE).from("127.9.9.9").cookie(MEETING).send();
        assert!(
            !limited.body.contains("JPEG"),
            "{mpm:?}: the 31st request got the photo"
        );
        if f.version == Version::V24 {
            assert_eq!(limited.status, 429, "{mpm:?}");
            let retry: u64 = limited
                .header("Retry-After")
                .expect("Retry-After")
                .parse()
                .unwrap();
            assert!((1..=600).contains(&retry), "{mpm:?}: Retry-After {retry}");
        } else {
            assert_eq!(limited.status, 403, "{mpm:?}");
        }
        let entry = server.access_log(31).pop().unwrap();
        assert_eq!(entry.decision, "limited", "{mpm:?}: {entry:?}");
        assert!(
            entry.reason.starts_with("limit 30/10m cookie (httpd.conf:")
                && entry.reason.ends_with("): 31st request"),
            "{mpm:?}: {entry:?}"
        );
        // Another address still gets in; a network client is never counted.
        let other = server.get(JANE).from("127.9.9.10").cookie(MEETING).send();
        assert_eq!(other.status, 200, "{mpm:?}: another client");
        for _ in 0..40 {
            let office = server.get(JANE).from("127.0.16.5").cookie(MEETING).send();
            assert_eq!(
                office.status, 200,
                "{mpm:?}: a network client is never limited"
            );
        }
        let errors = server.error_log();
        assert!(errors.contains("limited client 127.9.9.9"), "{errors}");
        assert!(
            server.crash_lines().is_empty(),
            "{:?}",
            server.crash_lines()
        );
    }
}

#[test]
fn the_sixth_404_blocks_the_client_from_the_scope() {
    let mpm = flavor().builtin_mpm.unwrap_or(Mpm::Prefork);
    let server = Server::start_with(
        Options {
            mpm,
            ..Options::default()
        },
        &format!("{}{}", many_children(mpm), limited_site("")),
    );
    for n in 1..=6 {
        let missing = server
            .get(&format!("/guess{n}@example.com.jpg"))
            .from("127.0.16.7")
            .send();
        assert_eq!(missing.status, 404, "guess {n}");
    }
    let blocked = server.get(JANE).from("127.0.16.7").send();
    assert_ne!(
        blocked.status, 200,
        "a client past 5 404s is refused even photos that exist"
    );
    assert!(!blocked.body.contains("JPEG"));
    let entry = server.access_log(1).pop().unwrap();
    assert!(
        entry.reason.contains("notfound (httpd.conf:") && entry.reason.ends_with("6th 404"),
        "{entry:?}"
    );
    // Someone else is not affected.
    assert_eq!(server.get(JANE).from("127.0.16.8").send().status, 200);
}

#[test]
fn report_mode_would_limit_but_serves() {
    let f = flavor();
    let server = Server::start(&limited_site(
        "PhotoGuardMode report\n    PhotoGuardLimit 2/1h cookie",
    ));
    for _ in 0..3 {
        let response = server.get(JANE).from("127.9.9.9").cookie(MEETING).send();
        assert_eq!(response.status, 200);
    }
    let entry = server.access_log(1).pop().unwrap();
    assert_eq!(entry.decision, "would-limit", "{entry:?}");
    assert!(entry.reason.ends_with("3rd request"), "{entry:?}");
    let _ = f;
}

#[test]
fn counts_survive_a_graceful_restart() {
    let site = limited_site(
        "PhotoGuardLimit 3/1h cookie\n    PhotoGuardLimitAction deny\n    PhotoGuardDenyAction 403",
    );
    let server = Server::start_with(
        Options {
            mpm: flavor().builtin_mpm.unwrap_or(Mpm::Prefork),
            ..Options::default()
        },
        &site,
    );
    for _ in 0..3 {
        assert_eq!(
            server
                .get(JANE)
                .from("127.9.9.9")
                .cookie(MEETING)
                .send()
                .status,
            200
        );
    }
    server.graceful_restart(&site);
    assert_eq!(
        server
            .get(JANE)
            .from("127.9.9.9")
            .cookie(MEETING)
            .send()
            .status,
        403,
        "the 4th request after the restart is still the 4th"
    );
}
