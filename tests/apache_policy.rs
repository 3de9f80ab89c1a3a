//! photoguard's decisions inside a real Apache: the seed policy of the photo
//! host (rewritten to loopback ranges), bypass attempts, trusted proxies,
//! IPv6, deny actions, report mode, and what reaches the logs.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use support::{JANE, Options, Server, flavor, seed_site};

#[test]
fn seed_policy_allows_office_ranges_and_the_proxy_host() {
    let server = Server::start(&seed_site());
    for (client, reason) in [
        ("127.0.16.0", "network 127.0.16.0/20 (httpd.conf:"),
        ("127.0.16.5", "network 127.0.16.0/20 (httpd.conf:"),
        ("127.0.31.255", "network 127.0.16.0/20 (httpd.conf:"),
        ("127.30.64.1", "network 127.30.64.0/21 (httpd.conf:"),
        ("127.30.71.254", "network 127.30.64.0/21 (httpd.conf:"),
        ("127.172.131.7", "network 127.172.128.0/22 (httpd.conf:"),
        ("127.0.2.10", "network 127.0.2.10 (httpd.conf:"),
    ] {
        let response = server.get(JANE).from(client).send();
        assert_eq!(response.status, 200, "{client} is in an allowed range");
        assert_eq!(response.body, "JPEG jane.doe@example.com.jpg\n");
        let entry = server.access_log(1).into_iter().last().unwrap();
        assert_eq!(
            (entry.client.as_str(), entry.decision.as_str()),
            (client, "allow")
        );
        assert!(entry.reason.starts_with(reason), "{client}: {entry:?}");
    }
}

#[test]
fn seed_policy_redirects_everybody_else() {
    let server = Server::start(&seed_site());
    // Just outside each range, and the proxy host's neighbour.
    for client in [
        "127.0.0.1",
        "127.0.15.255",
        "127.0.32.0",
        "127.30.63.255",
        "127.30.72.0",
        "127.172.132.0",
        "127.0.2.11",
    ] {
        let response = server.get(JANE).from(client).send();
        assert_eq!(response.status, 302, "{client} is outside every range");
        assert_eq!(
            response.header("Location"),
            Some("https://www.example.com/")
        );
        assert!(
            !response.body.contains("JPEG"),
            "a denied client never sees the photo"
        );
    }
    let entries = server.access_log(7);
    assert!(
        entries
            .iter()
            .all(|e| e.status == "302" && e.decision == "deny" && e.reason == "no rule matched"),
        "{entries:#?}"
    );
}

#[test]
fn each_seed_cookie_allows_and_is_named_as_the_reason() {
    let server = Server::start(&seed_site());
    for (cookie, reason) in [
        ("LtpaToken2=AAECAzU2", "cookie LtpaToken2 (httpd.conf:"),
        ("LtpaToken=AAECAzU2", "cookie LtpaToken (httpd.conf:"),
        (
            "STPluginActivePage=stMeetingroom",
            "cookie STPluginActivePage=stMeetingroom (httpd.conf:",
        ),
        (
            "JSESSIONID=1; LtpaToken2=x; lang=en",
            "cookie LtpaToken2 (httpd.conf:",
        ),
        ("a=1;LtpaToken=\"quoted\"", "cookie LtpaToken (httpd.conf:"),
    ] {
        let response = server.get(JANE).from("127.0.0.1").cookie(cookie).send();
        assert_eq!(response.status, 200, "cookie {cookie:?} allows");
        let entry = server.access_log(1).into_iter().last().unwrap();
        assert_eq!(entry.decision, "allow");
        assert!(entry.reason.starts_with(reason), "{cookie:?}: {entry:?}");
    }
}

#[test]
fn cookie_bypass_attempts_are_denied() {
    let server = Server::start(&seed_site());
    let denied = |request: support::RequestBuilder, what: &str| {
        let response = request.send();
        assert_eq!(response.status, 302, "{what} must not get in");
    };
    for cookie in [
        "XLtpaToken2=1",
        "ltpatoken2=1",
        "LTPATOKEN=1",
        "LtpaToken2=",
        "LtpaToken=; LtpaToken2=",
        "LtpaToken2",
        "STPluginActivePage=stmeetingroom",
        "STPluginActivePage=stMeetingroom2",
        "XSTPluginActivePage=stMeetingroom",
        "foo=LtpaToken2=1",
        "foo=\"LtpaToken2=1\"",
    ] {
        denied(server.get(JANE).from("127.0.0.1").cookie(cookie), cookie);
    }
    // The cookie in another header than Cookie.
    for header in ["Cookie2", "X-Cookie", "Set-Cookie", "Referer"] {
        denied(
            server
                .get(JANE)
                .from("127.0.0.1")
                .header(header, "LtpaToken2=1"),
            header,
        );
    }
    denied(
        server
            .get(&format!("{JANE}?LtpaToken2=1"))
            .from("127.0.0.1"),
        "a query string",
    );
    // Repeated Cookie lines are joined by Apache; a good cookie on any line
    // allows, bad ones on all lines do not.
    denied(
        server
            .get(JANE)
            .from("127.0.0.1")
            .cookie("XLtpaToken2=1")
            .cookie("ltpatoken=2"),
        "two bad Cookie lines",
    );
    let response = server
        .get(JANE)
        .from("127.0.0.1")
        .cookie("a=1")
        .cookie("LtpaToken=2")
        .send();
    assert_eq!(
        response.status, 200,
        "a good cookie on the second Cookie line"
    );
}

#[test]
fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let server = Server::start(
        "<Directory \"{docs}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    PhotoGuardTrustedProxy 127.0.3.0/29
</Directory>
<Directory \"{docs}/realip\">
    PhotoGuardClientIPHeader X-Real-IP
</Directory>",
    );
    server.write_file("docs/realip/jane.jpg", "JPEG\n");
    let status = |from: &str, header: (&str, &str), path: &str| {
        server
            .get(path)
            .from(from)
            .header(header.0, header.1)
            .send()
            .status
    };

    assert_eq!(
        status("127.0.3.1", ("X-Forwarded-For", "127.0.16.9"), JANE),
        200,
        "trusted proxy, allowed client"
    );
    assert_eq!(
        status("127.0.3.1", ("X-Forwarded-For", "127.0.99.9"), JANE),
        403,
        "trusted proxy, outside client"
    );
    assert_eq!(
        status(
            "127.0.3.1",
            ("X-Forwarded-For", "127.0.16.9, 127.0.3.2"),
            JANE
        ),
        200,
        "a chain of trusted proxies is walked"
    );
    assert_eq!(
        status(
            "127.0.3.1",
            ("X-Forwarded-For", "127.0.16.9, 127.0.99.9"),
            JANE
        ),
        403,
        "the rightmost untrusted entry is the client"
    );
    assert_eq!(
        status(
            "127.0.3.1",
            ("X-Forwarded-For", "127.0.16.9, garbage"),
            JANE
        ),
        403,
        "a malformed entry stops the walk"
    );
    assert_eq!(
        status("127.0.99.2", ("X-Forwarded-For", "127.0.16.9"), JANE),
        403,
        "an untrusted peer cannot claim an address"
    );
    assert_eq!(
        status("127.0.16.9", ("X-Forwarded-For", "127.0.99.9"), JANE),
        200,
        "the header is ignored from an untrusted peer"
    );
    assert_eq!(
        status(
            "127.0.3.1",
            ("X-Forwarded-For", "127.0.16.9"),
            "/realip/jane.jpg"
        ),
        403,
        "this scope reads X-Real-IP only"
    );
    assert_eq!(
        status("127.0.3.1", ("X-Real-IP", "127.0.16.9"), "/realip/jane.jpg"),
        200,
        "the configured client-IP header"
    );

    let log = server.error_log();
    assert!(log.contains("photoguard: denied client 127.0.99.9 (via trusted proxy 127.0.3.1) for /jane.doe@example.com.jpg"), "{log}");
}

#[test]
fn ipv6_rules_and_dual_stack_clients() {
    let server = Server::start(
        "<Directory \"{docs}\">
    PhotoGuard On
    PhotoGuardAllowNetwork ::1/128
</Directory>
<Directory \"{docs}/v4only\">
    PhotoGuardAllowNetwork 127.0.16.0/20 2001:db8::/32
</Directory>",
    );
    server.write_file("docs/v4only/jane.jpg", "JPEG\n");
    assert_eq!(
        server.get(JANE).from("::1").send().status,
        200,
        "::1 is allowed"
    );
    assert_eq!(
        server.get(JANE).from("127.0.0.1").send().status,
        403,
        "IPv4 loopback is not ::1"
    );
    assert_eq!(
        server.get("/v4only/jane.jpg").from("::1").send().status,
        403,
        "::1 is not in 2001:db8::/32"
    );
    assert_eq!(
        server
            .get("/v4only/jane.jpg")
            .from("127.0.16.1")
            .send()
            .status,
        200
    );
    let entries = server.access_log(4);
    assert_eq!(entries[0].client, "::1");
    assert!(
        entries[0]
            .reason
            .starts_with("network ::1/128 (httpd.conf:"),
        "{entries:?}"
    );

    // On a dual-stack [::] listener IPv4 clients arrive as ::ffff:a.b.c.d
    // at the socket; they still match IPv4 rules.
    let dual = Server::start_with(
        Options {
            dual_stack: true,
            ..Options::default()
        },
        "<Directory \"{docs}\">\n    PhotoGuard On\n    PhotoGuardAllowNetwork 127.0.16.0/20\n</Directory>",
    );
    assert_eq!(dual.get(JANE).from("127.0.16.1").send().status, 200);
    assert_eq!(dual.get(JANE).from("127.0.0.1").send().status, 403);
    assert_eq!(dual.get(JANE).from("::1").send().status, 403);
}

#[test]
fn deny_actions_403_404_and_redirect() {
    let server = Server::start(
        "<Directory \"{docs}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
</Directory>
<Directory \"{docs}/hidden\">
    PhotoGuardDenyAction 404
</Directory>
<Directory \"{docs}/moved\">
    PhotoGuardDenyAction redirect /login?from=photos
</Directory>
<Directory \"{docs}/custom\">
    ErrorDocument 403 \"photo access is limited to the office network\"
</Directory>",
    );
    for sub in ["hidden", "moved", "custom"] {
        server.write_file(&format!("docs/{sub}/jane.doe@example.com.jpg"), "JPEG\n");
    }
    let forbidden = server.get(JANE).send();
    assert_eq!(forbidden.status, 403, "the default deny action");
    assert!(!forbidden.body.contains("JPEG"));

    // 404 hides which photos exist: an existing photo and a guessed one
    // look the same.
    let existing = server.get("/hidden/jane.doe@example.com.jpg").send();
    let guessed = server.get("/hidden/nobody@example.com.jpg").send();
    assert_eq!((existing.status, guessed.status), (404, 404));
    assert_eq!(
        existing.body.replace("jane.doe", "NAME"),
        guessed.body.replace("nobody", "NAME"),
        "the bodies differ only by the requested name"
    );
    assert_eq!(
        server
            .get("/hidden/jane.doe@example.com.jpg")
            .from("127.0.16.3")
            .send()
            .status,
        200
    );

    let moved = server.get("/moved/jane.doe@example.com.jpg").send();
    assert_eq!(moved.status, 302);
    assert_eq!(moved.header("Location"), Some("/login?from=photos"));

    // A 403 goes through ErrorDocument.
    let custom = server.get("/custom/jane.doe@example.com.jpg").send();
    assert_eq!(custom.status, 403);
    assert!(
        custom
            .body
            .contains("photo access is limited to the office network"),
        "{}",
        custom.body
    );
}

#[test]
fn report_mode_never_blocks_but_says_what_it_would_do() {
    let server = Server::start(&format!(
        "<Directory \"{{docs}}\">\n    {}\n    PhotoGuardMode report\n</Directory>\n",
        support::SEED_POLICY
    ));
    let outsider = server.get(JANE).from("127.0.0.1").send();
    assert_eq!(outsider.status, 200, "report mode serves the photo");
    assert_eq!(outsider.header("Location"), None);
    assert_eq!(server.get(JANE).from("127.0.16.1").send().status, 200);
    let entries = server.access_log(2);
    assert_eq!(
        (entries[0].decision.as_str(), entries[0].reason.as_str()),
        ("would-deny", "no rule matched")
    );
    assert_eq!(entries[1].decision, "allow");
    let log = server.error_log();
    assert!(
        log.contains("photoguard: report mode, would deny client 127.0.0.1 for /jane.doe@example.com.jpg: no rule matched (redirect https://www.example.com/)"),
        "{log}"
    );
}

#[test]
fn decisions_reach_the_access_log_and_the_error_log_without_cookie_values() {
    let server = Server::start(&format!(
        "{}\n{}\n",
        flavor().debug_log_level(),
        seed_site()
    ));
    server
        .get(JANE)
        .from("127.0.0.1")
        .cookie("LtpaToken2=s3cr3t-allowed")
        .send();
    server
        .get(JANE)
        .from("127.0.0.1")
        .cookie("XLtpaToken2=s3cr3t-denied")
        .send();
    server
        .get(JANE)
        .from("127.0.16.7")
        .cookie("LtpaToken=s3cr3t-network")
        .send();
    server.get("/nope%01%0d%0a.jpg").from("127.0.0.1").send();

    let entries = server.access_log(4);
    let decisions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.decision.as_str(), e.status.as_str()))
        .collect();
    assert_eq!(
        decisions[..3],
        [("allow", "200"), ("deny", "302"), ("allow", "200")]
    );
    assert!(
        entries[0]
            .reason
            .starts_with("cookie LtpaToken2 (httpd.conf:"),
        "{entries:?}"
    );
    assert_eq!(entries[1].reason, "no rule matched");
    assert!(
        entries[2]
            .reason
            .starts_with("network 127.0.16.0/20 (httpd.conf:"),
        "a network wins before cookies: {entries:?}"
    );

    let log = server.error_log();
    assert!(log.contains("photoguard: denied client 127.0.0.1 for /jane.doe@example.com.jpg: no rule matched (redirect https://www.example.com/)"), "{log}");
    assert!(log.contains("photoguard: allowed client 127.0.0.1 for /jane.doe@example.com.jpg: cookie LtpaToken2 (httpd.conf:"), "{log}");
    assert!(log.contains("photoguard: allowed client 127.0.16.7 for /jane.doe@example.com.jpg: network 127.0.16.0/20"), "{log}");
    assert!(
        !log.contains("s3cr3t"),
        "cookie values are credentials and never logged:\n{log}"
    );
    assert!(
        log.contains("for /nope%01%0D%0A.jpg: no rule matched"),
        "request bytes are escaped in the log:\n{log}"
    );
    assert!(
        !log.contains('\x01') && !log.contains('\r'),
        "no raw control bytes from a URL reach the log"
    );
}

#[test]
fn photoguard_only_denies_and_never_overrides_another_modules_denial() {
    let f = flavor();
    let server = Server::start(&format!(
        "<Directory \"{{docs}}\">\n    {}\n</Directory>\n<Files \"john.smith@example.com.jpg\">\n    {}\n</Files>\n",
        support::SEED_POLICY,
        f.deny_all()
    ));
    assert_eq!(server.get(JANE).from("127.0.16.1").send().status, 200);
    assert_eq!(
        server
            .get("/john.smith@example.com.jpg")
            .from("127.0.16.1")
            .send()
            .status,
        403,
        "photoguard allows, the server config denies"
    );
    assert_eq!(
        server
            .get("/john.smith@example.com.jpg")
            .from("127.0.0.1")
            .cookie("LtpaToken2=x")
            .send()
            .status,
        403
    );
}

#[test]
fn gate_off_by_default_and_below_photoguard_off() {
    let server = Server::start(&format!(
        "<Directory \"{{docs}}\">\n    {}\n</Directory>\n<Directory \"{{docs}}/public\">\n    PhotoGuard Off\n</Directory>\n<Directory \"{{docs}}/nested\">\n    PhotoGuardAllowNetwork 127.0.99.0/24\n</Directory>\n",
        support::SEED_POLICY
    ));
    server.write_file("docs/public/logo.png", "PNG\n");
    server.write_file("docs/nested/jane.jpg", "JPEG\n");
    assert_eq!(
        server
            .get("/public/logo.png")
            .from("127.0.0.1")
            .send()
            .status,
        200,
        "PhotoGuard Off below"
    );
    assert_eq!(
        server
            .get("/nested/jane.jpg")
            .from("127.0.99.5")
            .send()
            .status,
        200,
        "the child's network list"
    );
    let replaced = server.get("/nested/jane.jpg").from("127.0.16.5").send();
    assert_eq!(
        replaced.status, 302,
        "a child's network list replaces the parent's; the deny action is inherited"
    );
    assert_eq!(
        server
            .get("/nested/jane.jpg")
            .from("127.0.0.1")
            .cookie("LtpaToken=1")
            .send()
            .status,
        200,
        "cookies are inherited"
    );
    let entries = server.access_log(4);
    assert_eq!(
        entries[0].decision, "-",
        "no decision is recorded where the gate is off: {entries:?}"
    );
}

#[test]
fn subrequests_are_checked_against_their_own_scope() {
    // An open page that includes a gated photo through a subrequest (SSI):
    // the subrequest maps to the photo's scope and is decided there.
    let server = Server::start(&format!(
        "{}
<Directory \"{{docs}}/pages\">
    Options +Includes
    SetOutputFilter INCLUDES
</Directory>
<Directory \"{{docs}}/photos\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
</Directory>",
        flavor().load("include_module", "mod_include.so")
    ));
    server.write_file(
        "docs/pages/team.html",
        "before <!--#include virtual=\"/photos/jane.jpg\" --> after\n",
    );
    server.write_file("docs/photos/jane.jpg", "JPEG jane\n");

    let outsider = server.get("/pages/team.html").from("127.0.0.1").send();
    assert_eq!(outsider.status, 200, "the page itself is open");
    assert!(
        outsider.body.contains("before") && outsider.body.contains("after"),
        "{}",
        outsider.body
    );
    assert!(
        !outsider.body.contains("JPEG jane"),
        "the included photo is denied: {}",
        outsider.body
    );
    assert!(
        server
            .error_log()
            .contains("photoguard: denied client 127.0.0.1 for /photos/jane.jpg"),
        "{}",
        server.error_log()
    );

    let insider = server.get("/pages/team.html").from("127.0.16.5").send();
    assert!(
        insider.body.contains("before JPEG jane"),
        "{}",
        insider.body
    );
}

#[test]
fn error_documents_outside_the_gate_are_served_to_denied_clients() {
    // ErrorDocument with a local page: an internal redirect to a scope where
    // the gate is off.
    let server = Server::start(
        "CustomLog \"{dir}/logs/original.log\" \"%<{PHOTOGUARD_DECISION}e|%{REDIRECT_PHOTOGUARD_DECISION}e|%{PHOTOGUARD_DECISION}e\"
<Directory \"{docs}\">
    PhotoGuard On
    PhotoGuardAllowNetwork 127.0.16.0/20
    ErrorDocument 403 /errors/denied.html
</Directory>
<Directory \"{docs}/errors\">
    PhotoGuard Off
</Directory>",
    );
    server.write_file(
        "docs/errors/denied.html",
        "<p>Photos are for colleagues only.</p>\n",
    );
    let denied = server.get(JANE).from("127.0.0.1").send();
    assert_eq!(denied.status, 403);
    assert!(
        denied.body.contains("Photos are for colleagues only."),
        "{}",
        denied.body
    );
    assert!(!denied.body.contains("JPEG"));
    // The final request (the error page) has no decision of its own; the
    // original's is `%<{PHOTOGUARD_DECISION}e` or REDIRECT_PHOTOGUARD_DECISION.
    server.access_log(1);
    let original = std::fs::read_to_string(server.path("logs/original.log")).unwrap();
    assert_eq!(original.trim(), "deny|deny|-");
}
