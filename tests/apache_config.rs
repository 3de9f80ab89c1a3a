//! photoguard's directives inside a real Apache: where they may appear,
//! how scopes merge (`<Location>` nesting, `.htaccess`), and how a bad
//! directive stops `httpd -t` and the server with the directive, the bad
//! token and a hint.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use std::fs;

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

/// How long `httpd -t` may take before a refusal test calls it hung (it
/// takes well under a second; a FIFO read would block forever).
const CONFIG_TEST_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// `httpd -t` on the server's current config, killed (and the test failed)
/// if it does not finish in time: (syntax ok, what httpd printed).
fn config_test_within(server: &Server) -> (bool, String) {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let mut child = Command::new(&flavor().httpd)
        .process_group(0)
        .arg("-f")
        .arg(server.path("httpd.conf"))
        .arg("-d")
        .arg(server.dir())
        .arg("-t")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run httpd -t");
    let deadline = std::time::Instant::now() + CONFIG_TEST_PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("httpd -t hung for {CONFIG_TEST_PATIENCE:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Writes `line` into a `<Directory>` of a fresh server (after `setup`) and
/// asserts that `httpd -t` refuses it with the config file and line and each
/// of `expected`. Returns httpd's output.
fn assert_refused(line: &str, setup: impl FnOnce(&Server), expected: &[&str]) -> String {
    let server = Server::prepare(Options::default());
    setup(&server);
    let conf = server.write_config(&format!(
        "<Directory \"{{docs}}\">\n    PhotoGuard On\n    {line}\n</Directory>"
    ));
    let (ok, output) = config_test_within(&server);
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
    for part in expected {
        let part = server.expand(part);
        // Apache 2.4 escapes a backslash in what it logs as `\\`.
        assert!(
            output.contains(&part) || output.contains(&part.replace('\\', "\\\\")),
            "`{line}`: expected {part:?} in:\n{output}"
        );
    }
    output
}

#[test]
fn a_trailing_comment_is_refused_not_read_as_rules() {
    const WHY: &str = "Apache has no trailing comments; put the comment on its own line";
    assert_refused(
        "PhotoGuardAllowCookie LtpaToken LtpaToken2 # SSO cookies",
        |_| {},
        &[&format!("PhotoGuardAllowCookie: '# SSO cookies': {WHY}")],
    );
    assert_refused(
        "PhotoGuardAllowNetwork 127.0.16.0/20 #office",
        |_| {},
        &[&format!("PhotoGuardAllowNetwork: '#office': {WHY}")],
    );
    assert_refused(
        "PhotoGuardMode report # until Monday",
        |_| {},
        &[&format!("PhotoGuardMode: '# until Monday': {WHY}")],
    );
}

#[test]
fn client_ip_header_refuses_client_controlled_and_credential_headers() {
    let advice = "name the header your trusted proxies set, e.g. X-Forwarded-For";
    for (header, why) in [
        (
            "Host",
            "the client writes it (it names the site asked for) and proxies pass it on",
        ),
        (
            "cookie",
            "the browser sends it and the client controls what it holds",
        ),
        ("Authorization", "it carries the client's credentials"),
        ("PROXY-AUTHORIZATION", "it carries the client's credentials"),
    ] {
        assert_refused(
            &format!("PhotoGuardClientIPHeader {header}"),
            |_| {},
            &[&format!(
                "PhotoGuardClientIPHeader: '{header}' cannot hold the client address: {why}; {advice}"
            )],
        );
    }
    assert_refused(
        "PhotoGuardClientIPHeader \"\"",
        |_| {},
        &[&format!(
            "PhotoGuardClientIPHeader: the header name is empty; {advice}"
        )],
    );
}

#[test]
fn network_files_must_be_small_regular_text_files() {
    const NOT_REGULAR: &str = "not a regular file; a network file must be a plain text file";
    // A FIFO: refused at once, not read (which would hang `httpd -t`).
    assert_refused(
        "PhotoGuardAllowNetworkFile conf/fifo",
        |server| {
            fs::create_dir_all(server.path("conf")).unwrap();
            let made = std::process::Command::new("mkfifo")
                .arg(server.path("conf/fifo"))
                .status()
                .expect("run mkfifo");
            assert!(made.success());
        },
        &[&format!(
            "PhotoGuardAllowNetworkFile: {{dir}}/conf/fifo is a named pipe (FIFO), {NOT_REGULAR}"
        )],
    );
    assert_refused(
        "PhotoGuardAllowNetworkFile /dev/zero",
        |_| {},
        &[&format!(
            "PhotoGuardAllowNetworkFile: /dev/zero is a character device, {NOT_REGULAR}"
        )],
    );
    assert_refused(
        "PhotoGuardAllowNetworkFile docs",
        |_| {},
        &[&format!(
            "PhotoGuardAllowNetworkFile: {{dir}}/docs is a directory, {NOT_REGULAR}"
        )],
    );
    // Over 64 MiB (sparse: nothing is written or read).
    assert_refused(
        "PhotoGuardAllowNetworkFile conf/huge.txt",
        |server| {
            server.write_file("conf/huge.txt", "");
            fs::OpenOptions::new()
                .write(true)
                .open(server.path("conf/huge.txt"))
                .unwrap()
                .set_len(64 * 1024 * 1024 + 1)
                .unwrap();
        },
        &[
            "PhotoGuardAllowNetworkFile: {dir}/conf/huge.txt is 67108865 bytes, more than a network file may have (64 MiB)",
        ],
    );
    // Another file's contents stay out of the messages.
    let output = assert_refused(
        "PhotoGuardAllowNetworkFile /etc/passwd",
        |_| {},
        &[
            "PhotoGuardAllowNetworkFile: /etc/passwd:1: not an address or CIDR: the entry has characters no address has (is this a network file?)",
        ],
    );
    let first_line = fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        first_line.len() < 8 || !output.contains(&first_line[..8]),
        "{output}"
    );
    // A NUL byte is named, not a cut message.
    assert_refused(
        "PhotoGuardAllowNetworkFile conf/nul.txt",
        |server| server.write_file("conf/nul.txt", "127.0.16.0/20\n127.30.\u{0}64.0/21\n"),
        &[
            "PhotoGuardAllowNetworkFile: {dir}/conf/nul.txt:2: a NUL byte: this is not a text file of networks",
        ],
    );
    // A near miss is quoted, escaped and cut.
    assert_refused(
        "PhotoGuardAllowNetworkFile conf/long.txt",
        |server| server.write_file("conf/long.txt", &format!("{}/8\n", "1".repeat(5000))),
        &[&format!(
            "PhotoGuardAllowNetworkFile: {{dir}}/conf/long.txt:1: '{}...': not an IPv4 or IPv6 address\n",
            "1".repeat(64)
        )],
    );
}

#[test]
fn prefix_lengths_with_leading_zeros_are_refused() {
    assert_refused(
        "PhotoGuardAllowNetwork 127.0.16.0/020",
        |_| {},
        &[
            "PhotoGuardAllowNetwork: '127.0.16.0/020': prefix length with a leading zero; did you mean /20?",
        ],
    );
    assert_refused(
        "PhotoGuardTrustedProxy 0.0.0.0/00",
        |_| {},
        &[
            "PhotoGuardTrustedProxy: '0.0.0.0/00': prefix length with a leading zero; did you mean /0?",
        ],
    );
    assert_refused(
        "PhotoGuardAllowNetworkFile conf/zero.txt",
        |server| server.write_file("conf/zero.txt", "127.0.16.0/20\n::1/0128\n"),
        &[
            "PhotoGuardAllowNetworkFile: {dir}/conf/zero.txt:2: '::1/0128': prefix length with a leading zero; did you mean /128?",
        ],
    );
}

#[test]
fn redirect_targets_are_http_urls_with_a_host_or_single_slash_paths() {
    for url in ["http://", "https:///", "http:///x", "https://:443/"] {
        assert_refused(
            &format!("PhotoGuardDenyAction redirect {url}"),
            |_| {},
            &[&format!(
                "PhotoGuardDenyAction: '{url}': a redirect URL needs a host, e.g. https://www.example.com/"
            )],
        );
    }
    assert_refused(
        "PhotoGuardDenyAction redirect //evil.example/",
        |_| {},
        &[
            "PhotoGuardDenyAction: '//evil.example/': browsers read a target starting with // as another host; write https://host/... or a path with a single /",
        ],
    );
    for url in [
        "/\\evil.example/",
        "https://www.example.com\\@evil.example/",
    ] {
        assert_refused(
            &format!("PhotoGuardDenyAction redirect {url}"),
            |_| {},
            &[&format!(
                "PhotoGuardDenyAction: '{url}': a redirect URL cannot contain a backslash (browsers read it as /); write %5C"
            )],
        );
    }
    // What stays valid.
    let server = Server::prepare(Options::default());
    server.write_config(
        "<Directory \"{docs}\">
    PhotoGuardDenyAction redirect /login?next=//x
</Directory>
<Location /a>
    PhotoGuardDenyAction redirect http://www.example.com
</Location>
<Location /b>
    PhotoGuardDenyAction redirect https://[::1]:8443/#top
</Location>",
    );
    let (ok, output) = config_test_within(&server);
    assert!(ok, "{output}");
}

#[test]
fn a_broad_ipv6_rule_lets_in_no_ipv4_client() {
    // `::/64` holds ::ffff:0:0/96 but is IPv6: IPv4 clients, plain or
    // IPv4-mapped at a dual-stack listener, are denied. A rule written
    // inside ::ffff:0:0/96 covers its IPv4 addresses.
    let site = "<Directory \"{docs}\">
    PhotoGuard On
    PhotoGuardAllowNetwork ::/64
</Directory>
<Directory \"{docs}/mapped\">
    PhotoGuardAllowNetwork ::/0 ::ffff:127.9.0.0/112
</Directory>";
    for dual_stack in [false, true] {
        let server = Server::start_with(
            Options {
                dual_stack,
                ..Options::default()
            },
            site,
        );
        server.write_file("docs/mapped/jane.jpg", "JPEG\n");
        let status = |path: &str, from: &str| server.get(path).from(from).send().status;
        assert_eq!(status(JANE, "127.9.9.9"), 403, "dual stack: {dual_stack}");
        assert_eq!(status(JANE, "127.0.0.1"), 403, "dual stack: {dual_stack}");
        assert_eq!(status(JANE, "::1"), 200, "::1 is in ::/64");
        assert_eq!(status("/mapped/jane.jpg", "127.9.9.9"), 200);
        assert_eq!(status("/mapped/jane.jpg", "127.10.9.9"), 403);
        let entries = server.access_log(5);
        let mapped = entries
            .iter()
            .find(|e| e.path == "/mapped/jane.jpg" && e.status == "200")
            .unwrap();
        assert!(
            mapped.reason.starts_with("network ::ffff:127.9.0.0/112"),
            "{entries:?}"
        );
    }
}

/// The 1-based line of `directive` in the written config.
fn config_line_of(conf: &std::path::Path, directive: &str) -> usize {
    let text = std::fs::read_to_string(conf).unwrap();
    text.lines()
        .position(|l| l.trim() == directive)
        .map(|i| i + 1)
        .expect("the directive is in the config")
}
