//! The fingerprint of the protocol's wire at each version, which `protocol_wire.rs` checks
//! the shapes of today's messages against.

/// Each protocol version and the SHA-256 of its shapes (the snapshot's text). A change to the
/// wire bumps `PROTOCOL_VERSION` and adds a line; a line once written never changes.
pub const WIRE: &[(u32, &str)] = &[
    (
        3,
        "1523c1a6569becb86eb259b19d6aaa56e4a71a0f6b6fb5ff4b3a3c03a76a8135",
    ),
    (
        4,
        "ff2becf3e349286dd2bc3c8dab9e87c661a1b351a1c0ebc1a0c87fbecbfe0d9b",
    ),
    (
        5,
        "82a122849ca105d8cd3ba5f401eef9fdf432701276e1946c9ad1da83be8845fa",
    ),
    (
        6,
        "cb2e5e524008671216a3b885309e6ecad9fb8f5838016967c11f1627bd0ffcbb",
    ),
    (
        7,
        "3b369a41744b6537726ebf9496cabb7b18d327b2cc05d738dba5e72010ed08f5",
    ),
    (
        8,
        "37497563051b057a03370b005b367273955d32e23aee78f7f6f5df632c744b4a",
    ),
    (
        9,
        "e503d62fd08cd01568fb634902eeb3ff61ae511f7bcd016c617f96a43ec5c668",
    ),
    (
        10,
        "2ff775076d454a7baf8d465bd23fe70a0005d8310568618cdfd229d0cc33cb4b",
    ),
    (
        11,
        "8067f2cbdec5f6dd0e9eea2a0e2235e55823958530a6a5092d0bc1a6a0b2006a",
    ),
    (
        12,
        "7c2350b9834368644e9cd40eb2da895228b36300fde1440aed8fa41a3be6f229",
    ),
];
