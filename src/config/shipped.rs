//! The scenarios shipped in `distributions/`, compiled into the binary so an
//! installed `nexus-mc` finds them from any directory.

/// `(name, file contents)` of every shipped scenario.
pub const SHIPPED: &[(&str, &str)] = &[
    ("central", include_str!("../../distributions/central.toml")),
    (
        "kpmg-point",
        include_str!("../../distributions/kpmg-point.toml"),
    ),
    ("alt-tax", include_str!("../../distributions/alt-tax.toml")),
    (
        "optimism-bias",
        include_str!("../../distributions/optimism-bias.toml"),
    ),
    (
        "plan-as-written",
        include_str!("../../distributions/plan-as-written.toml"),
    ),
];

/// The contents of a shipped scenario, by name with or without `.toml`.
pub fn find(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The shipped names, comma-separated, for messages.
pub fn names() -> String {
    SHIPPED
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}
