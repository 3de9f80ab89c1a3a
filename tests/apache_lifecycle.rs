//! photoguard across Apache's life: both MPMs, a graceful restart that
//! changes the policy, and fifty graceful restarts (Apache unloads and
//! reloads the module each time) with the parent's memory flat and no child
//! crashing.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use support::{JANE, Mpm, Options, Server, flavor, seed_site};

/// The seed scenario's key answers, under the given MPM.
fn seed_answers_under(mpm: Mpm) {
    let server = Server::start_with(
        Options {
            mpm,
            ..Options::default()
        },
        &seed_site(),
    );
    // Enough requests to reach several prefork children / event threads.
    for round in 0..10 {
        assert_eq!(
            server.get(JANE).from("127.0.16.5").send().status,
            200,
            "{mpm:?} round {round}"
        );
        assert_eq!(
            server.get(JANE).from("127.0.0.1").send().status,
            302,
            "{mpm:?} round {round}"
        );
        assert_eq!(
            server
                .get(JANE)
                .from("127.0.0.1")
                .cookie("STPluginActivePage=stMeetingroom")
                .send()
                .status,
            200
        );
    }
    let error_log = server.error_log();
    assert!(
        error_log.contains(&format!("mpm_{}", format!("{mpm:?}").to_lowercase()))
            || flavor().builtin_mpm == Some(mpm),
        "{error_log}"
    );
}

#[test]
fn prefork_mpm() {
    assert!(
        flavor().available_mpms().contains(&Mpm::Prefork),
        "this httpd cannot run prefork"
    );
    seed_answers_under(Mpm::Prefork);
}

#[test]
fn event_mpm() {
    let f = flavor();
    if !f.available_mpms().contains(&Mpm::Event) {
        // Apache 2.2 builds have one MPM compiled in (here prefork); event
        // is a 2.4 feature. Say so loudly rather than pretend.
        eprintln!(
            "NOTE: {} has only {:?} compiled in; event MPM not testable with it",
            f.httpd.display(),
            f.builtin_mpm
        );
        assert_eq!(
            f.version,
            support::Version::V22,
            "a 2.4 httpd without the event MPM module"
        );
        return;
    }
    seed_answers_under(Mpm::Event);
}

#[test]
fn graceful_restart_applies_a_changed_policy() {
    for mpm in flavor().available_mpms() {
        let server = Server::start_with(
            Options {
                mpm,
                ..Options::default()
            },
            &seed_site(),
        );
        assert_eq!(server.get(JANE).from("127.0.16.5").send().status, 200);
        assert_eq!(server.get(JANE).from("127.0.99.5").send().status, 302);

        server.graceful_restart(
            "<Directory \"{docs}\">\n    PhotoGuard On\n    PhotoGuardAllowNetwork 127.0.99.0/24\n    PhotoGuardDenyAction 404\n</Directory>",
        );
        // Old children finish their work and leave; new ones run the new
        // policy. Wait until answers come from the new generation.
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get(JANE).from("127.0.16.5").send().status != 404 {
            assert!(
                Instant::now() < deadline,
                "{mpm:?}: the new policy never took effect:\n{}",
                server.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for _ in 0..10 {
            assert_eq!(
                server.get(JANE).from("127.0.16.5").send().status,
                404,
                "{mpm:?}: the old range is gone, 404 is the new action"
            );
            assert_eq!(
                server.get(JANE).from("127.0.99.5").send().status,
                200,
                "{mpm:?}: the new range"
            );
        }

        // And back off: PhotoGuard Off opens everything again.
        server.graceful_restart("<Directory \"{docs}\">\n    PhotoGuard Off\n</Directory>");
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get(JANE).from("127.0.16.5").send().status != 200 {
            assert!(
                Instant::now() < deadline,
                "{mpm:?}: PhotoGuard Off never took effect"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn fifty_graceful_restarts_keep_the_parent_flat_and_no_child_crashes() {
    for mpm in flavor().available_mpms() {
        let server = Server::prepare(Options {
            mpm,
            ..Options::default()
        });
        // A large network file makes a leaked config visible: some 20,000
        // ranges take megabytes, so leaking one per restart would show.
        let mut ranges = String::new();
        for i in 0..20_000u32 {
            let _ = writeln!(ranges, "10.{}.{}.0/24", i / 256, i % 256);
        }
        ranges += "127.0.16.0/20\n";
        server.write_file("conf/ranges.txt", &ranges);
        let site = format!(
            "<Directory \"{{docs}}\">\n    {}\n    PhotoGuardAllowNetworkFile conf/ranges.txt\n</Directory>",
            support::SEED_POLICY
        );
        let mut server = server;
        server.write_config(&site);
        server.launch();

        let mut rss = Vec::new();
        for restart in 1..=50 {
            server.graceful();
            assert_eq!(
                server
                    .get(JANE)
                    .from("127.0.16.5")
                    .cookie("x=1")
                    .send()
                    .status,
                200,
                "{mpm:?} after restart {restart}"
            );
            assert_eq!(
                server.get(JANE).from("127.0.0.1").send().status,
                302,
                "{mpm:?} after restart {restart}"
            );
            rss.push(server.parent_rss_kib());
        }
        // Memory settles after the first few restarts (allocator arenas,
        // the module mapped again); from then on it must stay flat.
        let settled = rss[9];
        let last = rss[49];
        let growth = last.saturating_sub(settled);
        eprintln!(
            "{mpm:?}: parent RSS after restarts 1, 10, 50: {} KiB, {settled} KiB, {last} KiB",
            rss[0]
        );
        assert!(
            growth < 2048,
            "{mpm:?}: the parent grew {growth} KiB over 40 graceful restarts: {rss:?}"
        );
        let crashes = server.crash_lines();
        assert!(
            crashes.is_empty(),
            "{mpm:?}: children crashed:\n{}",
            crashes.join("\n")
        );
        server.stop();
    }
}
