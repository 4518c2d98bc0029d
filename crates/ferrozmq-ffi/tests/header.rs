//! `include/zmq.h` against libzmq 4.3.4's own `zmq.h` (from the vendored source cargo
//! fetched for the `zmq` crate): the same constants with the same values, the same
//! functions with the same types, the same layouts, with and without the draft API; and
//! a header that compiles without a warning as strict C99 and C++11.

use std::mem::{align_of, offset_of, size_of};
use std::path::PathBuf;
use zmq::types::{zmq_fd_t, zmq_msg_t, zmq_poller_event_t, zmq_pollitem_t};

fn our_header() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/zmq.h")
}

fn libzmq_header() -> PathBuf {
    xtask::vendor::libzmq_source()
        .unwrap()
        .join("include/zmq.h")
}

#[test]
fn every_constant_prototype_and_layout_matches_libzmq_4_3_4() {
    let differences = xtask::header::compare(&libzmq_header(), &our_header()).unwrap();
    assert!(
        differences.is_empty(),
        "zmq.h differs from libzmq's:\n{}",
        differences.join("\n")
    );
}

#[test]
fn the_header_compiles_cleanly_as_strict_c_and_cxx() {
    let complaints = xtask::header::compiler_complaints(&our_header()).unwrap();
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

#[test]
fn the_rust_types_have_the_c_layouts() {
    let c = xtask::header::layouts(&libzmq_header()).unwrap();
    let rust = [
        (
            "zmq_msg_t",
            (size_of::<zmq_msg_t>(), align_of::<zmq_msg_t>()),
        ),
        ("zmq_fd_t", (size_of::<zmq_fd_t>(), align_of::<zmq_fd_t>())),
        (
            "zmq_pollitem_t",
            (size_of::<zmq_pollitem_t>(), align_of::<zmq_pollitem_t>()),
        ),
        (
            "zmq_pollitem_t.socket",
            (offset_of!(zmq_pollitem_t, socket), 8),
        ),
        ("zmq_pollitem_t.fd", (offset_of!(zmq_pollitem_t, fd), 4)),
        (
            "zmq_pollitem_t.events",
            (offset_of!(zmq_pollitem_t, events), 2),
        ),
        (
            "zmq_pollitem_t.revents",
            (offset_of!(zmq_pollitem_t, revents), 2),
        ),
        (
            "zmq_poller_event_t",
            (
                size_of::<zmq_poller_event_t>(),
                align_of::<zmq_poller_event_t>(),
            ),
        ),
        (
            "zmq_poller_event_t.socket",
            (offset_of!(zmq_poller_event_t, socket), 8),
        ),
        (
            "zmq_poller_event_t.fd",
            (offset_of!(zmq_poller_event_t, fd), 4),
        ),
        (
            "zmq_poller_event_t.user_data",
            (offset_of!(zmq_poller_event_t, user_data), 8),
        ),
        (
            "zmq_poller_event_t.events",
            (offset_of!(zmq_poller_event_t, events), 2),
        ),
    ];
    for (item, layout) in rust {
        // Field sizes above are those of a 64-bit target.
        if cfg!(target_pointer_width = "64") || !item.contains('.') {
            assert_eq!(c.get(item), Some(&layout), "{item}");
        }
    }
    assert_eq!(
        c.len(),
        rust.len(),
        "a layout the C side has and the Rust side does not check"
    );
}
