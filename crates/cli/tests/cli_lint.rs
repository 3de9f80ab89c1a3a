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

/// `lint` on a fixture: (exit status, stdout with the fixture's path cut
/// down to its name).
fn lint_fixture(name: &str) -> (i32, String) {
    let (code, stdout, _) = lint(&format!("{FIXTURES}/{name}"));
    (code, stdout.replace(&format!("{FIXTURES}/"), ""))
}

#[test]
fn satisfy_any_where_photoguard_is_on() {
    // Warned: inherited from <Directory /srv/www> (line 3) and in the gate
    // itself (line 10). Not warned: in a <Files> that turns the gate Off
    // (13), in an ungated directory (17), and the gate that says Satisfy All.
    let why = "photoguard's denial holds regardless (it is enforced again after the access checks); Satisfy Any only ORs the other access rules (Require, Allow, authentication) with each other, and lets in no client photoguard denies";
    assert_eq!(
        lint_fixture("satisfy.conf"),
        (
            1,
            format!(
                "satisfy.conf:3: warning: Satisfy Any here applies where PhotoGuard is On (<Directory /srv/www/photos> (satisfy.conf:5)): {why}\n\
                 satisfy.conf:10: warning: Satisfy Any here applies where PhotoGuard is On (<Directory /srv/www/photos> (satisfy.conf:5)): {why}\n\
                 0 error(s), 2 warning(s)\n"
            )
        )
    );
}

#[test]
fn mod_cache_with_its_quick_handler_on_a_gated_path() {
    // Warned once for the server-wide CacheEnable (the first host reaches
    // the gated directory through DocumentRoot). Not warned: the host with
    // CacheQuickHandler Off, and the host whose gated path is excluded with
    // CacheDisable and whose own CacheEnable /static misses it.
    assert_eq!(
        lint_fixture("cache.conf"),
        (
            1,
            "cache.conf:1: warning: CacheEnable disk / caches /photos, gated by <Directory /srv/www/photos> (cache.conf:2), while CacheQuickHandler is On (the default): mod_cache's quick handler answers from the cache before any access check, so photoguard never sees those requests; photoguard marks gated responses no_cache and Cache-Control: private so none is stored, but a response stored before photoguard was turned on, or through another route, is served to anyone; set CacheQuickHandler Off, or exclude the path with CacheDisable /photos\n\
             0 error(s), 1 warning(s)\n"
                .to_string()
        )
    );
}

#[test]
fn location_gates_whose_files_another_url_reaches() {
    // <Location /photos>: its files are reached by an AliasMatch and an
    // Alias, and by the other host's DocumentRoot. Not warned: the
    // <Location /icons> gate, whose files only its own Alias reaches, and
    // the <Directory> gate, which an Alias reaching it does not weaken.
    let (code, stdout) = lint_fixture("alias.conf");
    let head = "alias.conf:8: warning: PhotoGuard On in <Location /photos> (alias.conf:7) gates only the URLs that section matches, but its files (/srv/www/photos) are also reachable as";
    let tail = "which this gate does not cover; put the gate on the files with <Directory /srv/www/photos>, which covers every URL that reaches them";
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "{head} /thumbs/ through AliasMatch ^/thumbs/(.*)$ /srv/www/photos/thumbs/$1 (alias.conf:5), {tail}\n\
             {head} /pics through Alias /pics /srv/www/photos (alias.conf:1), {tail}\n\
             {head} / on <VirtualHost *:80> (alias.conf:21) through DocumentRoot /srv/www/photos (alias.conf:23), {tail}\n\
             0 error(s), 3 warning(s)\n"
        )
    );
}

#[test]
fn mod_remoteip_and_photoguard_trusting_the_same_proxy() {
    // 10.1.2.3 is in RemoteIPInternalProxy, 172.16.0.5 in the list file;
    // 192.168.9.9 in neither. The second host's own RemoteIPInternalProxy
    // replaces the server's, and does not hold 10.1.2.3.
    let why = "both would walk the client-IP header, so photoguard decides on one address while %a logs another; trust the proxy in one of them (with mod_remoteip alone, photoguard starts from the address it found)";
    let header = "with RemoteIPHeader X-Forwarded-For (remoteip.conf:1)";
    assert_eq!(
        lint_fixture("remoteip.conf"),
        (
            1,
            format!(
                "remoteip.conf:9: warning: PhotoGuardTrustedProxy 10.1.2.3 is also trusted by mod_remoteip (RemoteIPInternalProxy 10.0.0.0/8 (remoteip.conf:2), {header}): {why}\n\
                 remoteip.conf:9: warning: PhotoGuardTrustedProxy 172.16.0.5 is also trusted by mod_remoteip (RemoteIPTrustedProxyList remoteip-proxies.txt (remoteip.conf:3) lists 172.16.0.0/24, {header}): {why}\n\
                 0 error(s), 2 warning(s)\n"
            )
        )
    );
}

#[test]
fn mod_remoteip_without_a_proxy_list_trusts_every_peer() {
    let dir = temp_dir("remoteip-all");
    let config = dir.join("all.conf");
    std::fs::write(
        &config,
        "RemoteIPHeader X-Real-IP\nPhotoGuard On\nPhotoGuardAllowNetwork 10.0.0.0/8\nPhotoGuardTrustedProxy 10.9.0.1\n",
    )
    .unwrap();
    let (code, stdout, _) = lint(&config.display().to_string());
    assert_eq!(code, 1);
    assert!(
        stdout.contains("all.conf:4: warning: PhotoGuardTrustedProxy 10.9.0.1 is also trusted by mod_remoteip (RemoteIPHeader X-Real-IP (all.conf:1) with no RemoteIPTrustedProxy or RemoteIPInternalProxy trusts every peer): both would walk"),
        "{stdout}"
    );
    // Without RemoteIPHeader, mod_remoteip does nothing.
    std::fs::write(
        &config,
        "RemoteIPInternalProxy 10.0.0.0/8\nPhotoGuard On\nPhotoGuardAllowNetwork 10.0.0.0/8\nPhotoGuardTrustedProxy 10.9.0.1\n",
    )
    .unwrap();
    assert_eq!(lint(&config.display().to_string()).0, 0);
}

#[test]
fn ipv6_rules_that_contain_the_ipv4_mapped_block() {
    // ::/64 contains ::ffff:0:0/96; 2001:db8::/32 does not, and
    // ::ffff:10.0.0.0/104 is written inside it (it allows 10.0.0.0/8).
    assert_eq!(
        lint_fixture("ipv6.conf"),
        (
            1,
            "ipv6.conf:3: warning: allowed network ::/64 contains ::ffff:0:0/96 but lets in no IPv4 client (IPv4 clients, also when they connect as ::ffff:a.b.c.d, match only IPv4 rules and rules written inside ::ffff:0:0/96): write an IPv4 range as IPv4 (10.0.0.0/8) or inside ::ffff:0:0/96 (::ffff:10.0.0.0/104)\n\
             0 error(s), 1 warning(s)\n"
                .to_string()
        )
    );
}

#[test]
fn gates_with_directory_and_no_other_route_draw_none_of_these_warnings() {
    // The same modules, configured as the README recommends.
    let dir = temp_dir("recommended");
    let config = dir.join("good.conf");
    std::fs::write(
        &config,
        "DocumentRoot /srv/www\nAlias /pics /srv/www/photos\nCacheEnable disk /\nCacheQuickHandler Off\n\
         RemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy 10.0.0.0/8\n\
         <Directory /srv/www/photos>\n  PhotoGuard On\n  PhotoGuardAllowNetwork 192.168.0.0/16 ::ffff:10.0.0.0/104 2001:db8::/32\n  Satisfy All\n</Directory>\n\
         <Directory /srv/www/public>\n  Satisfy Any\n</Directory>\n",
    )
    .unwrap();
    let config = config.display().to_string();
    assert_eq!(
        lint(&config),
        (0, format!("{config}: no problems found\n"), String::new())
    );
}
