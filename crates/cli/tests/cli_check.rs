//! `photoguard check`, run as a built binary against fixture configs:
//! a whole httpd.conf with Include, virtual hosts and nested sections, and
//! a fragment.

mod common;

use std::path::Path;

use common::{FIXTURES, photoguard, temp_dir};

fn site() -> String {
    format!("{FIXTURES}/site/httpd.conf")
}

/// `check` on the site config for a photo, with extra arguments.
fn check_photo(extra: &[&str]) -> (i32, String, String) {
    let config = site();
    let mut args = vec![
        "check",
        "--config",
        &config,
        "--scope",
        "/photos/jane.doe@example.com.jpg",
    ];
    args.extend_from_slice(extra);
    photoguard(&args)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn allowed_networks_name_the_rule_and_its_line_through_includes() {
    assert_eq!(
        check_photo(&["--ip", "10.20.16.5"]),
        (
            0,
            "allow: network 10.20.16.0/20 (10-photos.conf:8)\n".into(),
            String::new()
        )
    );
    // The continuation line belongs to the directive's first line.
    assert_eq!(
        check_photo(&["--ip", "172.16.131.200"]).1,
        "allow: network 172.16.128.0/22 (10-photos.conf:8)\n"
    );
    // A network file relative to the ServerRoot (the config's directory).
    assert_eq!(
        check_photo(&["--ip", "10.99.1.1"]).1,
        "allow: network 10.99.0.0/16 (vpn.txt:2)\n"
    );
    // A dual-stack listener's IPv4-mapped address matches IPv4 rules.
    assert_eq!(check_photo(&["--ip", "::ffff:10.20.16.5"]).0, 0);
}

#[test]
fn cookies_allow_only_when_whole_and_case_exact() {
    assert_eq!(
        check_photo(&["--ip", "203.0.113.9", "--cookie", "foo=1; LtpaToken2=abc"]),
        (
            0,
            "allow: cookie LtpaToken2 (10-photos.conf:11)\n".into(),
            String::new()
        )
    );
    assert_eq!(
        check_photo(&[
            "--ip",
            "203.0.113.9",
            "--cookie",
            "STPluginActivePage=stMeetingroom"
        ])
        .1,
        "allow: cookie STPluginActivePage=stMeetingroom (10-photos.conf:11)\n"
    );
    for bypass in [
        "XLtpaToken2=1",
        "ltpatoken2=1",
        "LtpaToken2=",
        "STPluginActivePage=stMeetingroomX",
    ] {
        let (code, stdout, _) = check_photo(&["--ip", "203.0.113.9", "--cookie", bypass]);
        assert_eq!(
            (code, stdout.as_str()),
            (
                1,
                "deny (redirect https://www.example.com/): no rule matched\n"
            ),
            "{bypass}"
        );
    }
}

#[test]
fn denial_uses_the_server_wide_redirect_and_exits_1() {
    assert_eq!(
        check_photo(&["--ip", "203.0.113.9"]),
        (
            1,
            "deny (redirect https://www.example.com/): no rule matched\n".into(),
            String::new()
        )
    );
}

#[test]
fn sections_merge_as_in_httpd() {
    let config = site();
    let check = |scope: &str, ip: &str| {
        photoguard(&["check", "--config", &config, "--scope", scope, "--ip", ip])
    };
    // <Location /photos/staff> replaces the network list and the deny action.
    assert_eq!(
        check("/photos/staff/x.jpg", "10.20.17.1").1,
        "allow: network 10.20.16.0/20 (10-photos.conf:23)\n"
    );
    assert_eq!(
        check("/photos/staff/x.jpg", "10.30.64.1"),
        (1, "deny (404): no rule matched\n".into(), String::new())
    );
    // <Location /photos/public> turns the gate off below it.
    assert_eq!(
        check("/photos/public/x.jpg", "203.0.113.9"),
        (0, "allow: PhotoGuard is off\n".into(), String::new())
    );
    // <Files "*.txt"> inside the <Directory> turns it off for text files.
    assert_eq!(
        check("/photos/readme.txt", "203.0.113.9").1,
        "allow: PhotoGuard is off\n"
    );
    // /photosX is not below <Directory /srv/www/photos>: no gate there.
    assert_eq!(
        check("/photosX/x.jpg", "203.0.113.9").1,
        "allow: PhotoGuard is off\n"
    );
    // Percent-encoding and dot segments are resolved before matching.
    assert_eq!(
        check("/x/../photos/%6Aane.jpg?size=big", "203.0.113.9").0,
        1
    );
}

#[test]
fn report_mode_passes_the_request_but_says_would_deny() {
    let config = site();
    assert_eq!(
        photoguard(&[
            "check",
            "--config",
            &config,
            "--scope",
            "/photos/trial/x.jpg",
            "--ip",
            "203.0.113.9"
        ]),
        (
            0,
            "would-deny (redirect https://www.example.com/): no rule matched\n".into(),
            String::new()
        )
    );
}

#[test]
fn trusted_proxies_and_the_client_actually_decided_on() {
    // Through the trusted Sametime proxy: the header carries --ip.
    assert_eq!(
        check_photo(&["--ip", "10.20.16.5", "--peer", "192.0.2.10"]),
        (
            0,
            "allow: network 10.20.16.0/20 (10-photos.conf:8)\n".into(),
            String::new()
        )
    );
    // A client behind the proxy that is not allowed itself.
    assert_eq!(
        check_photo(&["--ip", "203.0.113.9", "--peer", "192.0.2.10"]).1,
        "deny (redirect https://www.example.com/): no rule matched\n"
    );
    // An untrusted peer's header is ignored, and the output says so.
    let (code, stdout, _) = check_photo(&["--ip", "10.20.16.5", "--peer", "198.51.100.7"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "deny (redirect https://www.example.com/): no rule matched\n\
         client: 198.51.100.7 (not the --ip 10.20.16.5: the peer 198.51.100.7 is not a trusted proxy, so its X-Forwarded-For header was ignored)\n"
    );
    // An explicit header: the right-most untrusted address is the client.
    let (code, stdout, _) = check_photo(&[
        "--ip",
        "203.0.113.9",
        "--peer",
        "192.0.2.10",
        "--forwarded-for",
        "203.0.113.9, 10.20.16.5",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "allow: network 10.20.16.0/20 (10-photos.conf:8)\nclient: 10.20.16.5 (not the --ip 203.0.113.9: from the X-Forwarded-For header of trusted proxy 192.0.2.10)\n"
    );
    // --peer alone with a header.
    let (_, stdout, _) = check_photo(&["--peer", "192.0.2.10", "--forwarded-for", "10.30.64.9"]);
    assert_eq!(
        stdout,
        "allow: network 10.30.64.0/21 (10-photos.conf:8)\nclient: 10.30.64.9 (from the X-Forwarded-For header of trusted proxy 192.0.2.10)\n"
    );
}

#[test]
fn virtual_hosts_by_name_or_the_first_one() {
    let config = site();
    let vhost = |name: &str| {
        photoguard(&[
            "check",
            "--config",
            &config,
            "--vhost",
            name,
            "--scope",
            "/photos/x.jpg",
            "--ip",
            "203.0.113.9",
        ])
    };
    assert_eq!(vhost("other.example.com").1, "allow: PhotoGuard is off\n");
    assert_eq!(vhost("PHOTOS").0, 1, "ServerAlias, any letter case");
    let (code, stdout, stderr) = vhost("nope.example.com");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "--vhost nope.example.com: no <VirtualHost> has that ServerName or ServerAlias (known: photos.example.com, photos, other.example.com)\n"
    );
}

#[test]
fn verbose_lists_the_sections_merged() {
    let (code, stdout, _) = check_photo(&[
        "--ip",
        "203.0.113.9",
        "--cookie",
        "LtpaToken=x",
        "--verbose",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "allow: cookie LtpaToken (10-photos.conf:11)\n\
         vhost: <VirtualHost *:80> (10-photos.conf:1)\n\
         url path: /photos/jane.doe@example.com.jpg\n\
         file: /srv/www/photos/jane.doe@example.com.jpg\n\
         merged: server config (httpd.conf)\n\
         merged: <VirtualHost *:80> (10-photos.conf:1)\n\
         merged: <Directory \"/srv/www/photos\"> (10-photos.conf:6)\n"
    );
}

#[test]
fn json_output() {
    let (code, stdout, _) = check_photo(&["--ip", "203.0.113.9", "--json"]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(value["decision"], "deny");
    assert_eq!(value["reason"], "no rule matched");
    assert_eq!(value["client"], "203.0.113.9");
    assert_eq!(value["deny_action"], "redirect https://www.example.com/");
    assert_eq!(value["status"], 302);
    assert_eq!(value["mode"], "enforce");

    let (code, stdout, _) = check_photo(&["--ip", "10.20.16.5", "--json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["decision"], "allow");
    assert_eq!(value["reason"], "network 10.20.16.0/20 (10-photos.conf:8)");
    assert!(value["status"].is_null());
}

#[test]
fn a_fragment_works_on_its_own() {
    let config = format!("{FIXTURES}/clean.conf");
    assert_eq!(
        photoguard(&[
            "check",
            "-c",
            &config,
            "--scope",
            "/photos/a.jpg",
            "--ip",
            "192.0.2.10"
        ])
        .1,
        "allow: network 192.0.2.10 (clean.conf:3)\n"
    );
    assert_eq!(
        photoguard(&[
            "check",
            "-c",
            &config,
            "--scope",
            "/photos/a.jpg",
            "--ip",
            "192.0.2.11"
        ])
        .0,
        1
    );
    // Outside the <Location>, and with no --scope at all (= /).
    assert_eq!(
        photoguard(&[
            "check",
            "-c",
            &config,
            "--scope",
            "/other",
            "--ip",
            "192.0.2.11"
        ])
        .1,
        "allow: PhotoGuard is off\n"
    );
    assert_eq!(
        photoguard(&["check", "-c", &config, "--ip", "192.0.2.11"]).0,
        0
    );
}

#[test]
fn config_errors_are_one_line_each_with_file_and_line_and_exit_2() {
    let config = format!("{FIXTURES}/errors.conf");
    let (code, stdout, stderr) = photoguard(&["check", "--config", &config, "--ip", "10.20.16.5"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "{config}:3: PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?\n\
             {config}:4: PhotoGuardAllowCookie: 'LtpaToken2=': empty value: write the name alone to allow any non-empty value\n\
             {config}:6: PhotoGuardDenyAction: 'www.example.com': a redirect goes to an http(s):// URL or a /path\n\
             {config}:7: PhotoGuardMode: 'audit': expected enforce or report\n"
        )
    );
}

#[test]
fn structural_errors_and_usage_errors_exit_2() {
    let dir = temp_dir("structure");
    let config = write(
        &dir,
        "broken.conf",
        "<Location /photos>\nPhotoGuard On\nInclude missing.conf\n",
    );
    let (code, _, stderr) = photoguard(&["check", "--config", &config, "--ip", "10.0.0.1"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "{config}:3: could not open configuration file {}",
            dir.join("missing.conf").display()
        )),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        format!("{config}:1: <Location> is not closed before the end of the file")
    );

    let site = site();
    assert_eq!(photoguard(&["check", "--config", &site]).0, 2, "no address");
    let (code, _, stderr) = photoguard(&["check", "--config", &site, "--ip", "10.1"]);
    assert_eq!(
        (code, stderr.as_str()),
        (2, "--ip '10.1': not an IPv4 or IPv6 address\n")
    );
    let (code, _, stderr) = photoguard(&[
        "check", "--config", &site, "--ip", "10.0.0.1", "--scope", "photos",
    ]);
    assert_eq!(
        (code, stderr.as_str()),
        (2, "--scope 'photos': a URL path starts with /\n")
    );
    assert_eq!(
        photoguard(&[
            "check",
            "--config",
            "/nonexistent/httpd.conf",
            "--ip",
            "10.0.0.1"
        ])
        .0,
        2
    );
    assert_eq!(photoguard(&["frobnicate"]).0, 2);
}

#[test]
fn server_root_option_resolves_includes_and_network_files() {
    let dir = temp_dir("server-root");
    write(
        &dir,
        "root/conf/photos.conf",
        "PhotoGuard On\nPhotoGuardAllowNetworkFile nets/office.txt\n",
    );
    write(&dir, "root/nets/office.txt", "10.20.16.0/20  # office\n");
    let config = write(
        &dir,
        "etc/httpd.conf",
        "ServerRoot /nonexistent\nIncludeOptional conf/*.conf\n",
    );
    let root = dir.join("root").display().to_string();
    assert_eq!(
        photoguard(&[
            "check",
            "--config",
            &config,
            "--server-root",
            &root,
            "--ip",
            "10.20.16.1"
        ]),
        (
            0,
            "allow: network 10.20.16.0/20 (office.txt:1)\n".into(),
            String::new()
        )
    );
    // Without it, ServerRoot /nonexistent applies and the optional include finds nothing.
    assert_eq!(
        photoguard(&["check", "--config", &config, "--ip", "10.20.16.1"]).1,
        "allow: PhotoGuard is off\n"
    );
}

#[test]
fn sections_in_if_blocks_are_not_guessed() {
    let dir = temp_dir("if");
    let config = write(
        &dir,
        "if.conf",
        "PhotoGuard On\nPhotoGuardAllowNetwork 10.0.0.0/8\n<If \"%{HTTP_HOST} == 'x'\">\nPhotoGuard Off\n</If>\n",
    );
    let (code, stdout, stderr) = photoguard(&["check", "--config", &config, "--ip", "192.0.2.1"]);
    assert_eq!(
        (code, stdout.as_str()),
        (1, "deny (403): no rule matched\n")
    );
    assert!(
        stderr.starts_with("note: <If \"%{HTTP_HOST} == 'x'\"> (if.conf:3) was not evaluated"),
        "{stderr}"
    );
}

#[test]
fn the_directives_lint_reads_change_no_decision() {
    // Satisfy, mod_cache, mod_alias and mod_remoteip lines are read for
    // lint; check decides exactly as without them.
    let dir = temp_dir("other-modules");
    let gate = "DocumentRoot /srv/www\n<Directory /srv/www/photos>\n  PhotoGuard On\n  PhotoGuardAllowNetwork 10.0.0.0/8\n  PhotoGuardTrustedProxy 10.9.0.1\n";
    let plain = write(&dir, "plain.conf", &format!("{gate}</Directory>\n"));
    let others = write(
        &dir,
        "others.conf",
        &format!(
            "CacheEnable disk /\nAlias /pics /srv/www/photos\nRemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy 10.0.0.0/8\n\
             {gate}  Satisfy Any\n  Order allow,deny\n  Allow from all\n</Directory>\n"
        ),
    );
    for args in [
        ["--ip", "10.1.2.3", "--scope", "/photos/a.jpg"],
        ["--ip", "192.0.2.1", "--scope", "/photos/a.jpg"],
        ["--peer", "10.9.0.1", "--ip", "192.0.2.1"],
        ["--ip", "192.0.2.1", "--scope", "/index.html"],
    ] {
        let run = |config: &str| {
            let mut all = vec!["check", "--config", config];
            all.extend_from_slice(&args);
            let (code, stdout, stderr) = photoguard(&all);
            (code, stdout.replace("others.conf", "plain.conf"), stderr)
        };
        let with_others = run(&others);
        let without = run(&plain);
        assert_eq!(
            (with_others.0, with_others.2),
            (without.0, without.2),
            "{args:?}"
        );
        // The reasons name lines, which moved by 4.
        assert_eq!(
            with_others.1.split(" (").next(),
            without.1.split(" (").next(),
            "{args:?}"
        );
    }
}
