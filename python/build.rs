//! Links the extension module so that its calls of `exp`, `log`, `pow` and
//! the other maths functions nexus-mc defines (its `math` module) go to
//! those definitions, not to the C library's, which Python loaded first and
//! which differ by processor: the same bits as the command line everywhere.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic-functions");
    }
}
