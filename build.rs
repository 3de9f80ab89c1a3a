fn main() { println!("cargo:rustc-check-cfg=cfg(photoguard_apache)"); }
