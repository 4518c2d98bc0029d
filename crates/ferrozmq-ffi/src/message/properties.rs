//! What `zmq_msg_gets` reads: the properties of the connection a message came through,
//! with NUL-terminated values that live as long as the message does.

use ferrozmq::Properties;
use std::ffi::{CStr, CString};

/// The properties of a received message, shared by every message from one connection and
/// by copies of a message (`zmq_msg_copy`), so that a value's address stays valid for as
/// long as any message holding it lives.
#[derive(Debug)]
pub struct MsgProperties {
    properties: Properties,
    /// The value of each property as C reads it, in `properties.iter()` order. A value
    /// holding a NUL reads, in C, as its text up to the NUL.
    values: Vec<CString>,
}

impl MsgProperties {
    /// The C view of `properties`.
    pub fn new(properties: Properties) -> Self {
        let values = properties
            .iter()
            .map(|(_, value)| {
                let text = value.split(|&b| b == 0).next().unwrap_or_default();
                CString::new(text).expect("the text before the first NUL holds no NUL")
            })
            .collect();
        MsgProperties { properties, values }
    }

    /// The properties this is the C view of.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// A property's value, by name as ferrozmq looks names up (without regard to case;
    /// `Routing-Id` also finds `Identity`).
    pub fn get(&self, name: &str) -> Option<&CStr> {
        let value = self.properties.get(name)?;
        // `get` returns one of the listed values: find which, by address.
        let index = self
            .properties
            .iter()
            .position(|(_, listed)| std::ptr::eq(listed, value))?;
        self.values.get(index).map(CString::as_c_str)
    }
}
