//! The command line writes key files the library reads back, and prints the
//! same tokens the library mints (minting is deterministic).

use std::process::Command;

use photoguard_ltpa_mint::{
    Claims, MintKeys, broken, mint_domino, mint_ltpa2, mint_v1, read_password_file,
};

fn mint(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_photoguard-ltpa-mint"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

#[test]
fn keys_and_tokens_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("ltpa-mint-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (keys_file, pw_file, secret_file) = (path("ltpa.keys"), path("pw"), path("secret"));

    mint(&[
        "keys",
        "--out",
        &keys_file,
        "--password",
        "pa ss",
        "--password-out",
        &pw_file,
        "--xor",
        "--realm",
        "r1",
    ]);
    let pw_text = std::fs::read(&pw_file).unwrap();
    assert!(pw_text.starts_with(b"{xor}"));
    let password = read_password_file(&pw_text);
    assert_eq!(password, b"pa ss");
    let keys =
        MintKeys::from_keys_file(&std::fs::read_to_string(&keys_file).unwrap(), &password).unwrap();
    assert_eq!(keys.realm, "r1");

    let common = [
        "--keys",
        &keys_file,
        "--password-file",
        &pw_file,
        "--user",
        "uid=jane",
        "--expires",
        "1795168800",
    ];
    let claims = Claims::new("uid=jane", "r1", 1_795_168_800_000);
    assert_eq!(
        mint(&[&["ltpa2"][..], &common].concat()),
        mint_ltpa2(&keys, &claims)
    );
    assert_eq!(
        mint(&[&["v1"][..], &common].concat()),
        mint_v1(&keys, &claims)
    );
    let flipped = mint(&[&["ltpa2"][..], &common, &["--break", "flip-last"]].concat());
    assert_eq!(
        flipped,
        broken::flip_last_byte(&mint_ltpa2(&keys, &claims), 1)
    );

    mint(&["domino-secret", "--out", &secret_file]);
    let secret_b64 = std::fs::read_to_string(&secret_file).unwrap();
    use base64::Engine as _;
    let secret: [u8; 20] = base64::engine::general_purpose::STANDARD
        .decode(secret_b64.trim())
        .unwrap()
        .try_into()
        .unwrap();
    let token = mint(&[
        "domino",
        "--secret-file",
        &secret_file,
        "--user",
        "CN=Jane",
        "--created",
        "100",
        "--expires",
        "200",
    ]);
    assert_eq!(token, mint_domino(&secret, b"CN=Jane", 100, 200));
    std::fs::remove_dir_all(&dir).unwrap();
}
