//! `cargo xtask fixtures` (stub)
pub fn ensure_fixtures() -> anyhow::Result<()> {
    Ok(())
}
pub fn run(_a: &[&str]) -> anyhow::Result<()> {
    ensure_fixtures()
}
