//! First validation of each format (no cache), a cached repeat, and the RSA
//! verification alone with RustCrypto's `rsa` against `ring`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use photoguard_engine::ltpa::{Accept, DominoSecret, KeySet, TokenCache, Validator};
use photoguard_ltpa_mint::{Claims, MintKeys, mint_domino, mint_ltpa2, mint_v1, tokens};
use rsa::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;
use sha1::{Digest, Sha1};

const EXPIRES: u64 = 1_795_168_800_000;
const NOW: u64 = EXPIRES - 3_600_000;

fn bench(c: &mut Criterion) {
    let keys = MintKeys::generate("example.com");
    let file = keys.to_keys_file(b"pw", 1_790_000_000, "bench");
    // A second, unrelated key set listed first: the common rotation case
    // where the token's key set is not the first tried.
    let old = MintKeys::generate("example.com").to_keys_file(b"pw", 1_780_000_000, "bench");
    let secret = [7u8; 20];
    let v = Validator {
        key_sets: vec![KeySet::from_keys_file(file.as_bytes(), b"pw").unwrap()],
        domino_secrets: vec![
            DominoSecret::from_base64_line(STANDARD.encode(secret).as_bytes()).unwrap(),
        ],
        accept: Accept::ALL,
        ..Validator::default()
    };
    let rotated = Validator {
        key_sets: vec![
            KeySet::from_keys_file(old.as_bytes(), b"pw").unwrap(),
            KeySet::from_keys_file(file.as_bytes(), b"pw").unwrap(),
        ],
        ..Validator::default()
    };
    let claims = Claims::new(
        "uid=jane.doe,ou=people,o=example",
        "ldap.example.com:389",
        EXPIRES,
    );
    let ltpa2 = mint_ltpa2(&keys, &claims);
    let v1 = mint_v1(&keys, &claims);
    let domino = mint_domino(
        &secret,
        b"CN=Jane Doe/O=Example",
        1_795_000_000,
        (EXPIRES / 1000) as u32,
    );
    for t in [&ltpa2, &v1, &domino] {
        v.validate(t.as_bytes(), NOW).unwrap();
    }

    let mut g = c.benchmark_group("first validation");
    g.bench_function("LtpaToken2", |b| {
        b.iter(|| v.validate(ltpa2.as_bytes(), NOW))
    });
    g.bench_function("LtpaToken2, second key set", |b| {
        b.iter(|| rotated.validate(ltpa2.as_bytes(), NOW))
    });
    g.bench_function("Domino LtpaToken", |b| {
        b.iter(|| v.validate(domino.as_bytes(), NOW))
    });
    g.bench_function("WebSphere v1 LtpaToken", |b| {
        b.iter(|| v.validate(v1.as_bytes(), NOW))
    });
    g.bench_function("forged LtpaToken2 (random 192 bytes)", |b| {
        let forged = STANDARD.encode([0x5a; 192]);
        b.iter(|| v.validate(forged.as_bytes(), NOW))
    });
    g.finish();

    let cache = TokenCache::default();
    v.validate_cached(&cache, ltpa2.as_bytes(), NOW).unwrap();
    c.bench_function("cached repeat (LtpaToken2)", |b| {
        b.iter(|| v.validate_cached(&cache, ltpa2.as_bytes(), NOW))
    });

    // RSA PKCS#1 v1.5 / SHA-1 verification alone, 1024-bit key, e = 65537.
    let body = tokens::userdata(&claims, Some(EXPIRES));
    let sig = tokens::sign_ltpa2(&keys, &body);
    let once = Sha1::digest(body.as_bytes());
    let twice = Sha1::digest(once);
    let public = keys.private.to_public_key();
    assert!(
        public
            .verify(Pkcs1v15Sign::new::<Sha1>(), &twice, &sig)
            .is_ok()
    );
    let n = public.n().to_bytes_be();
    let e = public.e().to_bytes_be();
    let ring_key = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
    let alg = &ring::signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY;
    // ring hashes its message itself: give it SHA-1(userdata).
    assert!(ring_key.verify(alg, &once, &sig).is_ok());
    let mut g = c.benchmark_group("RSA-1024 PKCS#1 verify");
    g.bench_function("rsa 0.9 (RustCrypto)", |b| {
        b.iter(|| public.verify(Pkcs1v15Sign::new::<Sha1>(), &twice, &sig))
    });
    g.bench_function("ring 0.17", |b| {
        b.iter(|| ring_key.verify(alg, &once, &sig))
    });
    {
        use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
        use crypto_bigint::{Encoding as _, U1024};
        let mut nb = [0u8; 128];
        nb[128 - n.len()..].copy_from_slice(&n);
        let params = DynResidueParams::new(&U1024::from_be_slice(&nb));
        let e_bits = 65537u32;
        let mut sb = [0u8; 128];
        sb[128 - sig.len()..].copy_from_slice(&sig);
        let want = rsa::BigUint::from_bytes_be(&sig)
            .modpow(public.e(), public.n())
            .to_bytes_be();
        let run = || {
            let x = DynResidue::new(&U1024::from_be_slice(&sb), params);
            let mut acc = x;
            for bit in (0..16).rev() {
                acc = acc.square();
                if e_bits >> bit & 1 == 1 {
                    acc = acc.mul(&x);
                }
            }
            acc.retrieve()
        };
        let got = run().to_be_bytes();
        assert_eq!(&got[got.len() - want.len()..], &want[..]);
        g.bench_function("crypto-bigint 0.5, s^e only (the module's method)", |b| {
            b.iter(run)
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
