//! `photoguard import-rewrite`, run as a built binary: the seed block, regexes
//! wrong in known ways, and the translation fed back to `photoguard check`.

mod common;

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use common::{FIXTURES, photoguard, temp_dir};

fn directives(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
}

#[test]
fn the_seed_block_yields_exactly_its_networks_cookies_and_redirect() {
    let (code, stdout, stderr) = photoguard(&["import-rewrite", &format!("{FIXTURES}/seed.conf")]);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    assert_eq!(
        directives(&stdout),
        [
            "PhotoGuard On",
            "PhotoGuardAllowCookie LtpaToken2",
            "PhotoGuardAllowCookie LtpaToken",
            "PhotoGuardAllowCookie STPluginActivePage=stMeetingroom",
            "PhotoGuardAllowNetwork 10.20.16.0/20",
            "PhotoGuardAllowNetwork 10.30.64.0/21",
            "PhotoGuardAllowNetwork 172.16.128.0/22",
            "PhotoGuardAllowNetwork 192.0.2.10",
            "PhotoGuardDenyAction redirect https://www.example.com/",
        ]
    );
    // What changes for cookies is said, as comments.
    assert!(
        stdout.contains(
            "# note: the pattern was a substring test on the whole Cookie header, so XLtpaToken2=1"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("photoguard compares cookie names and values case-sensitively"));
    assert!(
        stdout
            .contains("an empty value (LtpaToken2=) passed; photoguard requires a non-empty value")
    );
    assert!(stdout.contains("RewriteEngine On: photoguard needs no engine switch"));
}

#[test]
fn the_translation_pastes_into_a_config_and_decides_as_intended() {
    let (_, block, _) = photoguard(&["import-rewrite", &format!("{FIXTURES}/seed.conf")]);
    let dir = temp_dir("paste");
    let config = dir.join("photos.conf");
    std::fs::write(&config, format!("<Location /photos>\n{block}</Location>\n")).unwrap();
    let config = config.display().to_string();
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--config", &config, "--scope", "/photos/jane.jpg"];
        args.extend_from_slice(extra);
        photoguard(&args)
    };
    assert_eq!(check(&["--ip", "10.30.71.255"]).0, 0);
    assert_eq!(check(&["--ip", "192.0.2.10"]).0, 0);
    assert_eq!(
        check(&["--ip", "203.0.113.9", "--cookie", "LtpaToken=x"]).0,
        0
    );
    assert_eq!(
        check(&["--ip", "10.30.72.0"]),
        (
            1,
            "deny (redirect https://www.example.com/): no rule matched\n".into(),
            String::new()
        )
    );
    assert_eq!(
        check(&["--ip", "203.0.113.9", "--cookie", "XLtpaToken2=1"]).0,
        1
    );
    assert_eq!(
        photoguard(&["lint", "--config", &config]).0,
        0,
        "the pasted block lints clean"
    );
}

#[test]
fn wrong_regexes_are_translated_exactly_and_flagged() {
    let source = format!("{FIXTURES}/wrong-regexes.conf");
    let (code, stdout, stderr) = photoguard(&["import-rewrite", &source]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr, "import-rewrite: 6 warning(s), 2 part(s) not translated; see the '#' lines\n",
        "{stdout}"
    );
    let nets = directives(&stdout);
    assert!(nets.contains(&"PhotoGuardAllowNetwork 10.1.1.1 10.1.1.10/31 10.1.1.12/30 10.1.1.16/30 10.1.1.100/30 10.1.1.104/29 10.1.1.112/28 10.1.1.128/26"));
    assert!(nets.contains(&"PhotoGuardAllowNetwork 10.1.1.192/29"));
    assert!(nets.contains(&"PhotoGuardAllowNetwork 10.0.10.0/23 10.0.12.0/22 10.0.16.0/22"));
    assert!(
        nets.contains(&"PhotoGuardAllowNetwork 10.2.0.200/29 10.2.0.208/28 10.2.0.224/27"),
        "{stdout}"
    );
    assert!(nets.contains(&"PhotoGuardDenyAction 403"));
    for needle in [
        "# warning: the pattern matches inside an octet, so it also accepts 110 address(es) such as 10.1.1.10-10.1.1.19, 10.1.1.100-10.1.1.199",
        "# note: whole-octet matches only would be: PhotoGuardAllowNetwork 10.1.1.1",
        "# warning: the accepted addresses (10.0.10.0-10.0.19.255) are not one CIDR block: 3 blocks",
        "# warning: octet 4 of the pattern accepts 256-259, which no address has",
        "# warning: the pattern accepts no IPv4 address at all",
        "# NOT TRANSLATED",
        "backreferences are not supported",
        "possessive quantifier",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
}

/// The CIDRs printed for a regex hold exactly the addresses PCRE2 (the
/// engine in Apache 2.4) matches, over a 2^16 sub-space, checked from the
/// binary's output.
#[test]
fn printed_networks_agree_with_pcre2_by_brute_force() {
    let dir = temp_dir("brute");
    let patterns = [
        r"^10\.1\.1\.1",
        r"^10\.1\.(1[0-9]|2[0-4])\.",
        r"1\.2[0-9]?\.",
        r"^10\.1\.\d\.\d+$",
    ];
    for pattern in patterns {
        let file = dir.join("one.conf");
        std::fs::write(
            &file,
            format!("RewriteCond %{{REMOTE_ADDR}} !{pattern}\nRewriteRule ^ - [F]\n"),
        )
        .unwrap();
        let (_, stdout, _) = photoguard(&["import-rewrite", &file.display().to_string()]);
        let nets: Vec<Ipv4Net> = directives(&stdout)
            .iter()
            .filter_map(|l| l.strip_prefix("PhotoGuardAllowNetwork "))
            .flat_map(|args| args.split_whitespace())
            .map(|n| {
                if n.contains('/') {
                    n.parse().unwrap()
                } else {
                    Ipv4Net::new(n.parse().unwrap(), 32).unwrap()
                }
            })
            .collect();
        // The printed networks, as a bitmap over the sub-space 10.1.x.y.
        let base = u32::from(Ipv4Addr::new(10, 1, 0, 0));
        let mut printed = vec![false; 1 << 16];
        for net in &nets {
            let first = u32::from(net.network()).max(base);
            let last = u32::from(net.broadcast()).min(base + 0xFFFF);
            if first <= last {
                for addr in first..=last {
                    printed[(addr - base) as usize] = true;
                }
            }
        }
        let pcre = pcre2::bytes::Regex::new(pattern).unwrap();
        for offset in 0..(1u32 << 16) {
            let addr = Ipv4Addr::from(base + offset);
            let text = addr.to_string();
            assert_eq!(
                printed[offset as usize],
                pcre.is_match(text.as_bytes()).unwrap(),
                "{pattern} on {text}"
            );
        }
    }
}

#[test]
fn unreadable_input_exits_2_and_nothing_to_translate_exits_1() {
    let (code, stdout, stderr) = photoguard(&["import-rewrite", "/nonexistent/rewrite.conf"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with("/nonexistent/rewrite.conf: cannot read:"),
        "{stderr}"
    );
    let dir = temp_dir("empty");
    let file = dir.join("empty.conf");
    std::fs::write(&file, "# nothing here\n").unwrap();
    let (code, stdout, _) = photoguard(&["import-rewrite", &file.display().to_string()]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("# NOT TRANSLATED: no RewriteRule found"),
        "{stdout}"
    );
}
