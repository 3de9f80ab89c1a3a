//! photoguard's directives inside a real Apache: where they may appear,
//! how scopes merge (`<Location>` nesting, `.htaccess`), and how a bad
//! directive stops `httpd -t` and the server with the directive, the bad
//! token and a hint.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use support::{JANE, Options, Server, flavor};

#[test]
fn every_directive_is_listed_with_its_usage() {
    // `httpd -L` (apachectl -L): Apache 2.4 lists loaded modules' directives;
    // 2.2 lists only compiled-in modules there, so mod_info shows ours below.
    if support::flavor().version == support::Version::V24 {
        let server = Server::prepare(Options::default());
        server.write_config("");
        let out = server.run(&["-L"]);
        let listing = String::from_utf8_lossy(&out.stdout);
        for directive in photoguard_engine::DIRECTIVES {
            let (name, usage) = (
                directive.name.to_str().unwrap(),
                directive.usage.to_str().unwrap(),
            );
            assert!(
                listing.contains(&format!("{name} (mod_photoguard.c)\n\t{usage}")),
                "{name} with its usage in:\n{listing}"
            );
        }
    }
    let server = Server::start(&format!(
        "{}\n<Location /server-info>\n    SetHandler server-info\n</Location>",
        support::flavor().load("info_module", "mod_info.so")
    ));
    let info = server.get("/server-info?mod_photoguard.c").send();
    assert_eq!(info.status, 200);
    for directive in photoguard_engine::DIRECTIVES {
        let (name, usage) = (
            directive.name.to_str().unwrap(),
            directive.usage.to_str().unwrap(),
        );
        let listed = info
            .body
            .lines()
            .any(|l| l.contains(&format!(">{name} - <i>{usage}</i>")));
        assert!(listed, "{name} with its usage in:\n{}", info.body);
    }
}

#[test]
fn nested_locations_inherit_replace_and_switch_off() {
    let server = Server::start(
        "<Location /photos>
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    PhotoGuardAllowCookie LtpaToken2
    PhotoGuardDenyAction 404
</Location>
<Location /photos/vip>
    PhotoGuardAllowNetwork 127.0.99.0/24
</Location>
<Location /photos/vip/board>
    PhotoGuardAllowNetwork 127.0.98.0/24
    PhotoGuardAllowNetwork 127.0.97.1
    PhotoGuardDenyAction redirect https://www.example.com/board
</Location>
<Location /photos/public>
    PhotoGuard Off
</Location>
<Location /photos/public/again>
    PhotoGuard On
</Location>",
    );
    for path in [
        "photos/a.jpg",
        "photos/vip/a.jpg",
        "photos/vip/board/a.jpg",
        "photos/public/a.jpg",
        "photos/public/again/a.jpg",
    ] {
        server.write_file(&format!("docs/{path}"), "JPEG\n");
    }
    let status = |path: &str, from: &str| server.get(path).from(from).send().status;

    assert_eq!(status("/photos/a.jpg", "127.0.16.1"), 200);
    assert_eq!(status("/photos/a.jpg", "127.0.99.1"), 404);

    // A child's network list replaces its parent's.
    assert_eq!(status("/photos/vip/a.jpg", "127.0.99.1"), 200);
    assert_eq!(
        status("/photos/vip/a.jpg", "127.0.16.1"),
        404,
        "the parent's range does not reach into vip"
    );
    // Cookies and the deny action are inherited.
    assert_eq!(
        server
            .get("/photos/vip/a.jpg")
            .from("127.0.0.1")
            .cookie("LtpaToken2=t")
            .send()
            .status,
        200
    );

    // Repeated list directives in one scope add up; the deny action is overridden.
    assert_eq!(status("/photos/vip/board/a.jpg", "127.0.98.1"), 200);
    assert_eq!(status("/photos/vip/board/a.jpg", "127.0.97.1"), 200);
    let redirected = server
        .get("/photos/vip/board/a.jpg")
        .from("127.0.99.1")
        .send();
    assert_eq!(
        (redirected.status, redirected.header("Location")),
        (302, Some("https://www.example.com/board"))
    );

    // PhotoGuard Off turns the gate off below; On below that turns it back on
    // with the inherited rules.
    assert_eq!(status("/photos/public/a.jpg", "127.0.0.1"), 200);
    assert_eq!(status("/photos/public/again/a.jpg", "127.0.0.1"), 404);
    assert_eq!(status("/photos/public/again/a.jpg", "127.0.16.1"), 200);
}

#[test]
fn server_config_policy_is_inherited_by_virtual_hosts() {
    // The main server answers on 127.0.0.1; an IP-based <VirtualHost> on
    // [::1] inherits the server-wide policy and adds a cookie rule.
    let server = Server::start(
        "PhotoGuard On
PhotoGuardAllowNetwork 127.0.16.0/20
PhotoGuardDenyAction 404
<VirtualHost [::1]:{port}>
    DocumentRoot \"{docs}\"
    PhotoGuardAllowCookie LtpaToken2
</VirtualHost>",
    );
    assert_eq!(
        server.get(JANE).from("127.0.16.1").send().status,
        200,
        "server-wide network"
    );
    assert_eq!(
        server.get(JANE).from("127.0.0.1").send().status,
        404,
        "server-wide deny action"
    );
    assert_eq!(
        server
            .get(JANE)
            .from("127.0.0.1")
            .cookie("LtpaToken2=x")
            .send()
            .status,
        404,
        "the vhost's cookie rule stays in the vhost"
    );
    assert_eq!(
        server.get(JANE).from("::1").send().status,
        404,
        "the vhost inherits the gate and the deny action"
    );
    assert_eq!(
        server
            .get(JANE)
            .from("::1")
            .cookie("LtpaToken2=x")
            .send()
            .status,
        200,
        "the vhost's own cookie rule"
    );
}

#[test]
fn htaccess_under_allowoverride_authconfig() {
    let server = Server::prepare(Options::default());
    server.write_file(
        "docs/team/.htaccess",
        "PhotoGuardAllowNetwork 127.0.99.0/24\nPhotoGuardDenyAction 404\n",
    );
    server.write_file("docs/team/jane.jpg", "JPEG\n");
    server.write_file("docs/open/.htaccess", "PhotoGuard Off\n");
    server.write_file("docs/open/logo.png", "PNG\n");
    server.write_file(
        "docs/broken/.htaccess",
        "PhotoGuardAllowNetwork 127.0.99.7/24\n",
    );
    server.write_file("docs/broken/jane.jpg", "JPEG\n");
    server.write_file("docs/locked/.htaccess", "PhotoGuard Off\n");
    server.write_file("docs/locked/jane.jpg", "JPEG\n");
    let mut server = server;
    server.write_config(&format!(
        "<Directory \"{{docs}}\">
    {}
    AllowOverride AuthConfig
</Directory>
<Directory \"{{docs}}/locked\">
    AllowOverride Limit
</Directory>",
        support::SEED_POLICY
    ));
    server.launch();
    let status = |path: &str, from: &str| server.get(path).from(from).send().status;

    assert_eq!(
        status(JANE, "127.0.16.1"),
        200,
        "the server config's policy"
    );
    assert_eq!(
        status("/team/jane.jpg", "127.0.99.1"),
        200,
        ".htaccess adds its own network"
    );
    assert_eq!(
        status("/team/jane.jpg", "127.0.16.1"),
        404,
        ".htaccess's list replaces the parent's, and its deny action applies"
    );
    assert_eq!(
        server
            .get("/team/jane.jpg")
            .from("127.0.0.1")
            .cookie("LtpaToken=1")
            .send()
            .status,
        200,
        "cookies inherited"
    );
    assert_eq!(
        status("/open/logo.png", "127.0.0.1"),
        200,
        "PhotoGuard Off in .htaccess"
    );

    // A bad directive in .htaccess: 500 and the error in the log.
    assert_eq!(status("/broken/jane.jpg", "127.0.16.1"), 500);
    let log = server.error_log();
    assert!(log.contains("PhotoGuardAllowNetwork: '127.0.99.7/24': host bits are set for a /24; did you mean 127.0.99.0/24?"), "{log}");

    // Without AuthConfig overrides, photoguard's directives are refused in .htaccess.
    assert_eq!(status("/locked/jane.jpg", "127.0.0.1"), 500);
    assert!(
        server.error_log().contains("PhotoGuard not allowed here"),
        "{}",
        server.error_log()
    );

    let entries = server.access_log(7);
    let team = entries
        .iter()
        .find(|e| e.path == "/team/jane.jpg" && e.status == "200")
        .unwrap();
    assert!(
        team.reason.contains("(.htaccess:1)"),
        "the reason names the .htaccess line: {team:?}"
    );
}

#[test]
fn network_file_relative_to_server_root() {
    let server = Server::prepare(Options::default());
    server.write_file(
        "conf/allowed.txt",
        "# office\n127.0.16.0/20\n\n127.30.64.0/21  # VPN\n",
    );
    let mut server = server;
    server.write_config("<Directory \"{docs}\">\n    PhotoGuard On\n    PhotoGuardAllowNetworkFile conf/allowed.txt\n</Directory>");
    server.launch();
    assert_eq!(server.get(JANE).from("127.30.64.9").send().status, 200);
    assert_eq!(server.get(JANE).from("127.0.0.1").send().status, 403);
    let entries = server.access_log(2);
    assert!(
        entries[0]
            .reason
            .starts_with("network 127.30.64.0/21 (allowed.txt:4)"),
        "{entries:?}"
    );
}

#[test]
fn network_indexes_are_built_when_the_config_is_read() {
    // In the parent, before any request, so that children share them.
    let server = Server::prepare(Options::default());
    server.write_file("conf/allowed.txt", "127.0.16.0/20\n");
    let mut server = server;
    let debug = flavor().debug_log_level();
    server.write_config(&format!(
        "{debug}\nPhotoGuardTrustedProxy 127.0.0.1\n<Directory \"{{docs}}\">\n    PhotoGuard On\n    PhotoGuardAllowNetworkFile conf/allowed.txt\n    PhotoGuardAllowNetwork 127.30.64.0/21\n</Directory>"
    ));
    server.launch();
    let log = server.error_log();
    assert!(
        log.contains("photoguard: built the network indexes of 2 configuration scope(s)"),
        "{log}"
    );
    assert_eq!(server.get(JANE).from("127.30.64.9").send().status, 200);
}

#[test]
fn bad_directives_fail_the_config_test_with_directive_token_and_hint() {
    let cases: &[(&str, &[&str])] = &[
        (
            "PhotoGuardAllowNetwork 127.0.16.7/20",
            &[
                "PhotoGuardAllowNetwork",
                "'127.0.16.7/20'",
                "did you mean 127.0.16.0/20?",
            ],
        ),
        (
            "PhotoGuardAllowNetwork 10.1",
            &["PhotoGuardAllowNetwork", "'10.1'", "write 10.1.0.0/16"],
        ),
        (
            "PhotoGuardAllowNetwork 127.0.0.0/33",
            &["PhotoGuardAllowNetwork", "127.0.0.0/33"],
        ),
        (
            "PhotoGuardAllowNetwork",
            &["PhotoGuardAllowNetwork", "needs an argument"],
        ),
        (
            "PhotoGuard Yes",
            &["PhotoGuard", "'Yes'", "expected On or Off"],
        ),
        (
            "PhotoGuardDenyAction 500",
            &[
                "PhotoGuardDenyAction",
                "'500'",
                "expected 403, 404 or redirect URL",
            ],
        ),
        (
            "PhotoGuardDenyAction redirect",
            &["PhotoGuardDenyAction", "'redirect' needs a URL"],
        ),
        (
            "PhotoGuardMode audit",
            &["PhotoGuardMode", "'audit'", "expected enforce or report"],
        ),
        (
            "PhotoGuardTrustedProxy 127.0.3.1/24",
            &["PhotoGuardTrustedProxy", "did you mean 127.0.3.0/24?"],
        ),
        (
            "PhotoGuardAllowNetworkFile conf/missing.txt",
            &["PhotoGuardAllowNetworkFile", "conf/missing.txt"],
        ),
        (
            "PhotoGuardAllowNetworkFile conf/bad.txt",
            &[
                "PhotoGuardAllowNetworkFile",
                "bad.txt:2",
                "did you mean 127.0.16.0/20?",
            ],
        ),
        (
            "PhotoGuardClientIPHeader \"X Forwarded\"",
            &[
                "PhotoGuardClientIPHeader",
                "'X Forwarded' is not a header name",
            ],
        ),
    ];
    for (line, expected) in cases {
        let server = Server::prepare(Options::default());
        server.write_file("conf/bad.txt", "127.30.64.0/21\n127.0.16.7/20\n");
        let conf = server.write_config(&format!(
            "<Directory \"{{docs}}\">\n    {line}\n</Directory>"
        ));
        let (ok, output) = server.config_test();
        assert!(!ok, "`{line}` must fail httpd -t:\n{output}");
        let where_ = format!(
            "Syntax error on line {} of {}",
            config_line_of(&conf, line),
            conf.display()
        );
        assert!(
            output.contains(&where_),
            "`{line}`: expected {where_:?} in:\n{output}"
        );
        for part in *expected {
            assert!(
                output.contains(part),
                "`{line}`: expected {part:?} in:\n{output}"
            );
        }
    }
}

#[test]
fn a_bad_directive_keeps_the_server_from_starting() {
    let server = Server::prepare(Options::default());
    server.write_config("PhotoGuardAllowCookie \"LtpaToken2;\"");
    let out = server.run(&["-DFOREGROUND"]);
    assert!(!out.status.success(), "httpd must refuse to start");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Syntax error on line") && text.contains("PhotoGuardAllowCookie"),
        "{text}"
    );
}

#[test]
fn good_directives_pass_the_config_test_in_every_context() {
    let server = Server::prepare(Options::default());
    server.write_config(
        "PhotoGuardAllowNetwork 127.0.16.0/20
<VirtualHost 127.0.0.1:{port}>
    PhotoGuard On
    PhotoGuardMode report
</VirtualHost>
<Directory \"{docs}\">
    PhotoGuardAllowCookie LtpaToken2 STPluginActivePage=stMeetingroom
</Directory>
<Location /x>
    PhotoGuardTrustedProxy 127.0.3.0/29 ::1
    PhotoGuardClientIPHeader X-Real-IP
</Location>
<Files \"*.jpg\">
    PhotoGuardDenyAction redirect https://www.example.com/
</Files>",
    );
    let (ok, output) = server.config_test();
    assert!(ok, "{output}");
    assert!(output.contains("Syntax OK"), "{output}");
}

/// The 1-based line of `directive` in the written config.
fn config_line_of(conf: &std::path::Path, directive: &str) -> usize {
    let text = std::fs::read_to_string(conf).unwrap();
    text.lines()
        .position(|l| l.trim() == directive)
        .map(|i| i + 1)
        .expect("the directive is in the config")
}
