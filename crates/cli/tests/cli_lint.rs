//! `photoguard lint`, run as a built binary against fixture configs.

mod common;

use common::{FIXTURES, photoguard, temp_dir};

/// `photoguard lint --config CONFIG`: (exit status, stdout, stderr).
fn lint(config: &str) -> (i32, String, String) {
    photoguard(&["lint", "--config", config])
}

#[test]
fn a_clean_config_exits_0() {
    let config = format!("{FIXTURES}/clean.conf");
    assert_eq!(
        lint(&config),
        (0, format!("{config}: no problems found\n"), String::new())
    );
}

#[test]
fn every_error_is_reported_with_the_engines_message_and_exit_2() {
    let config = format!("{FIXTURES}/errors.conf");
    let (code, stdout, _) = lint(&config);
    assert_eq!(code, 2);
    assert_eq!(
        stdout,
        format!(
            "{config}:3: error: PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?\n\
             {config}:4: error: PhotoGuardAllowCookie: 'LtpaToken2=': empty value: write the name alone to allow any non-empty value\n\
             {config}:6: error: PhotoGuardDenyAction: 'www.example.com': a redirect goes to an http(s):// URL or a /path\n\
             {config}:7: error: PhotoGuardMode: 'audit': expected enforce or report\n\
             4 error(s), 0 warning(s)\n"
        )
    );
}

#[test]
fn warnings_an_admin_wants_exit_1() {
    let config = format!("{FIXTURES}/warnings.conf");
    let (code, stdout, _) = lint(&config);
    assert_eq!(code, 1, "{stdout}");
    let expected = [
        ":5: warning: PhotoGuardAllowNetwork 10.20.17.0/24 is inside 10.20.16.0/20 (warnings.conf:5), so it adds nothing",
        ":6: warning: PhotoGuardAllowNetwork 10.20.16.0/20 is listed twice (also at warnings.conf:5)",
        ":5: warning: PhotoGuardAllowNetwork 10.20.16.0/20 is inside 0.0.0.0/1 (warnings.conf:7), so it adds nothing",
        ":7: warning: allowed network 0.0.0.0/1 is very broad (a /1, shorter than /8)",
        ":8: warning: PhotoGuardAllowCookie LtpaToken2=abc adds nothing: LtpaToken2 alone (warnings.conf:8) already allows any non-empty value",
        ":9: warning: trusted proxy 192.0.2.10 is outside private ranges",
        ":10: warning: report mode is on",
        ":13: warning: PhotoGuard is On in <Location /empty> (warnings.conf:12) with no allow rule here or around it: it denies everyone",
        ":19: warning: <Location /forgotten> (warnings.conf:18) has PhotoGuard rules but PhotoGuard is never turned On where they apply",
    ];
    for needle in expected {
        let line = format!("{config}{needle}");
        assert!(
            stdout.lines().any(|l| l.starts_with(&line)),
            "missing {line:?} in\n{stdout}"
        );
    }
    // The private trusted proxy 10.0.0.1 is fine.
    assert!(!stdout.contains("trusted proxy 10.0.0.1"), "{stdout}");
    assert!(stdout.ends_with("0 error(s), 9 warning(s)\n"), "{stdout}");
}

#[test]
fn the_whole_site_is_read_through_includes() {
    let config = format!("{FIXTURES}/site/httpd.conf");
    let (code, stdout, _) = lint(&config);
    assert_eq!(code, 1);
    let photos = format!("{FIXTURES}/site/conf.d/10-photos.conf");
    assert_eq!(
        stdout,
        format!(
            "{photos}:12: warning: trusted proxy 192.0.2.10 is outside private ranges: its X-Forwarded-For header is believed, so make sure it is really your proxy\n\
             {photos}:28: warning: report mode is on: requests that would be denied are let through and only logged\n\
             0 error(s), 2 warning(s)\n"
        )
    );
}

#[test]
fn errors_in_network_files_and_includes() {
    let dir = temp_dir("files");
    std::fs::write(dir.join("nets.txt"), "10.0.0.0/8\n10.1\n").unwrap();
    let config = dir.join("site.conf");
    std::fs::write(
        &config,
        "PhotoGuard On\nPhotoGuardAllowNetworkFile nets.txt\nInclude nothing-here.conf\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let (code, stdout, _) = lint(&config);
    assert_eq!(code, 2);
    let nets = dir.join("nets.txt").display().to_string();
    assert!(
        stdout.contains(&format!(
            "{config}:3: error: could not open configuration file"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{config}:2: error: PhotoGuardAllowNetworkFile: {nets}:2: '10.1': partial addresses are not accepted; write 10.1.0.0/16")),
        "{stdout}"
    );
    assert_eq!(lint("/nonexistent/photoguard.conf").0, 2);
}

#[test]
fn a_hundred_thousand_entry_network_file_is_checked_for_overlaps() {
    // 100,000 /32s, every tenth one repeated later, and one /16 covering the
    // first 256 of them: the sort-and-sweep finds each exactly once.
    let dir = temp_dir("large");
    let mut list = String::new();
    for i in 0..100_000u32 {
        list.push_str(&format!(
            "{}\n",
            std::net::Ipv4Addr::from(0x0A00_0000 + i * 3)
        ));
    }
    for i in (0..100_000u32).step_by(10) {
        list.push_str(&format!(
            "{}\n",
            std::net::Ipv4Addr::from(0x0A00_0000 + i * 3)
        ));
    }
    list.push_str("10.0.0.0/22\n");
    std::fs::write(dir.join("big.txt"), &list).unwrap();
    let config = dir.join("big.conf");
    std::fs::write(
        &config,
        "PhotoGuard On\nPhotoGuardAllowNetworkFile big.txt\n",
    )
    .unwrap();
    let (code, stdout, _) = lint(&config.display().to_string());
    assert_eq!(code, 1);
    let twice = stdout
        .lines()
        .filter(|l| l.contains("is listed twice"))
        .count();
    let inside = stdout
        .lines()
        .filter(|l| l.contains("is inside 10.0.0.0/22"))
        .count();
    assert_eq!(twice, 10_000);
    // 10.0.0.0-10.0.3.255 holds the first 342 addresses (i * 3 < 1024); their
    // repeats are reported as duplicates of the first one instead.
    assert_eq!(inside, 342);
    assert!(
        stdout.ends_with(&format!("0 error(s), {} warning(s)\n", 10_000 + 342)),
        "{}",
        stdout.lines().last().unwrap()
    );
}
