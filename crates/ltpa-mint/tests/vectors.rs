//! The minter reproduces published tokens byte for byte: its key file
//! reading (IBM's private-key layout), its signing and its encryption are
//! those of WebSphere/Liberty and of markusberg/ltpa's Domino generator.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use photoguard_ltpa_mint::{Claims, MintKeys, mint_domino, tokens};

const KEYS: &str = include_str!("testdata/sephiroth-ltpa.keys");
const TOKEN: &str = include_str!("testdata/sephiroth-ltpatoken2.txt");
const PLAINTEXT: &str = include_str!("testdata/sephiroth-ltpatoken2-plaintext.txt");
const DOMINO: &str = include_str!("testdata/markusberg-domino.txt");

fn property(name: &str) -> String {
    KEYS.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .unwrap()
        .replace("\\=", "=")
}

#[test]
fn reads_the_published_key_set_and_reencodes_it_identically() {
    let keys = MintKeys::from_keys_file(KEYS, b"test123").unwrap();
    assert_eq!(
        STANDARD.encode(keys.public_key_bytes()),
        property("com.ibm.websphere.ltpa.PublicKey")
    );
    // Re-sealing the private key in IBM's layout gives the published bytes:
    // the layout (length, d, e, larger prime, smaller prime) is IBM's.
    let file = keys.to_keys_file(b"test123", 1_490_371_211, "localhost");
    let get = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('=').map(str::to_owned))
            .unwrap()
    };
    for name in [
        "com.ibm.websphere.ltpa.PrivateKey",
        "com.ibm.websphere.ltpa.3DESKey",
        "com.ibm.websphere.ltpa.PublicKey",
    ] {
        assert_eq!(get(&file, name), get(KEYS, name), "{name}");
    }
    assert_eq!(keys.realm, "defaultRealm");
    assert!(file.starts_with(
        "#Fri Mar 24 16:00:11 UTC 2017\ncom.ibm.websphere.CreationDate=Fri Mar 24 16\\:00\\:11 UTC 2017\n"
    ));
}

#[test]
fn reproduces_the_published_ltpatoken2() {
    let keys = MintKeys::from_keys_file(KEYS, b"test123").unwrap();
    let claims = Claims::new(
        "CN=fae6d87c-c642-45a6-9f09-915c7fd8b08c,OU=user,DC=foo,DC=bar",
        "LdapRegistry",
        1_519_043_460_000,
    );
    let body = tokens::userdata(&claims, Some(claims.expires_millis));
    let plain = PLAINTEXT.trim_end();
    assert!(plain.starts_with(&format!("{body}%1519043460000%")));
    let sig = tokens::sign_ltpa2(&keys, &body);
    assert_eq!(plain.rsplit('%').next().unwrap(), STANDARD.encode(&sig));
    assert_eq!(
        photoguard_ltpa_mint::mint_ltpa2(&keys, &claims),
        TOKEN.trim()
    );
}

#[test]
fn reproduces_the_published_domino_tokens() {
    let secret_b64 = DOMINO
        .lines()
        .find_map(|l| l.strip_prefix("secret example.com "))
        .unwrap();
    let secret: [u8; 20] = STANDARD.decode(secret_b64).unwrap().try_into().unwrap();
    let base = 1_234_567_890u32;
    let mut n = 0;
    for line in DOMINO.lines().filter_map(|l| l.strip_prefix("token ")) {
        let f: Vec<&str> = line.split(' ').collect();
        let (validity, grace): (u32, u32) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        assert_eq!(
            mint_domino(
                &secret,
                b"My Test User",
                base - grace,
                base + validity + grace
            ),
            f[2]
        );
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn generated_key_sets_round_trip_through_their_file() {
    let keys = MintKeys::generate("example.com:389");
    let file = keys.to_keys_file(b"s3cret", 1_800_000_000, "was.example.com");
    assert!(file.contains("com.ibm.websphere.ltpa.Realm=example.com\\:389\n"));
    let back = MintKeys::from_keys_file(&file, b"s3cret").unwrap();
    assert_eq!(back.des3_key, keys.des3_key);
    // Same key; IBM's layout stores the larger prime first, so compare parts.
    assert_eq!(back.private.to_public_key(), keys.private.to_public_key());
    assert_eq!(back.private_key_bytes(), keys.private_key_bytes());
    assert_eq!(back.realm, "example.com:389");
    assert!(MintKeys::from_keys_file(&file, b"wrong").is_err());
    assert_eq!(keys.public_key_bytes().len(), 132);
}
