//! The 64 bytes of a `zmq_msg_t`: how a message part is stored in memory C owns.
//!
//! ```text
//!  64-bit layout (32-bit: the same fields, pointers of 4 bytes, 48 bytes inline)
//!  0                                       40        48        56     60    62    63
//!  ├─ body (union) ────────────────────────┼─────────┼─────────┼──────┼─────┼─────┤
//!  │ inline: up to 40 bytes of content      │ props   │ group   │ rid  │magic│kind │flags
//!  │ small:  SmallBuf, len (41..=69 bytes)  │ Arc ptr │ Arc ptr │ u32  │ u16 │ u8  │ u8
//!  │ owned:  Box<[u8]>    (init_size > 69)  │ or NULL │ or NULL │      │     │     │
//!  │ foreign: data, len, ffn, hint          │ or NULL │ or NULL │      │     │     │
//!  │ shared: bytes::Bytes                   │         │         │      │     │     │
//! ```
//!
//! - `kind` says which body the union holds: `0..=INLINE_CAPACITY` is an inline body of
//!   that length, or one of the values `SMALL`, `OWNED`, `FOREIGN`, `SHARED`.
//! - `magic` is a fixed value while the storage holds a message and 0 once it was closed or
//!   moved out of, so that closing twice, or using storage that was never initialised,
//!   fails with EFAULT (as libzmq's type check does) instead of freeing twice. Garbage
//!   that happens to hold the magic and a valid kind cannot be told apart: C must
//!   initialise before use, as with libzmq.
//! - Nothing in the 64 bytes points into the 64 bytes, so C may move the storage with
//!   `memcpy` as long as it then uses only the new place (libzmq's rule too).
//!
//! The body kinds:
//! - **inline**: small parts (the usual benchmark sizes up to 40 bytes) cost no allocation;
//! - **small**: content of 41 to `MESSAGE_INLINE` bytes, which ferrozmq stores inline and
//!   so copies anyway, in a buffer of its own ([`SmallBuf`]) that C may write through
//!   `zmq_msg_data`: what `zmq_msg_init_size` makes for these sizes (zeroed), and what a
//!   received part of these sizes is copied into, reused by the next receive into the same
//!   message. A buffer let go of becomes its thread's spare for the next small part, so a
//!   sender's init-send-close loop allocates nothing (see [`super::small`]);
//! - **owned**: one allocation this message alone owns, which C may write through
//!   `zmq_msg_data`: what `zmq_msg_init_size` beyond `MESSAGE_INLINE` bytes makes
//!   (zeroed);
//! - **foreign**: `zmq_msg_init_data`: C's buffer, not copied, with the function that frees
//!   it; `zmq_msg_data` gives back C's own pointer;
//! - **shared**: a reference-counted [`Bytes`]: what received parts beyond `MESSAGE_INLINE`
//!   bytes arrive as (no copy from ferrozmq), and what small, owned and foreign bodies
//!   become, without copying their content, when the message is copied (`zmq_msg_copy`)
//!   or, when it is shared already or beyond 4 KiB, sent (smaller unshared ones are
//!   copied: into ferrozmq's inline storage up to `MESSAGE_INLINE` bytes, into the sending
//!   thread's block of medium bodies up to 4 KiB, see `ferrozmq_zmtp`'s `block` module).

use super::properties::MsgProperties;
use super::small::{self, SmallBuf, SmallContent};
use crate::errno::Errno;
use crate::types::{zmq_free_fn, zmq_msg_t};
use bytes::Bytes;
use std::alloc::{self, Layout};
use std::ffi::{c_char, c_void};
use std::mem::{align_of, offset_of, size_of, ManuallyDrop};
use std::ptr::{self, addr_of, addr_of_mut, NonNull};
use std::sync::Arc;

const POINTER: usize = size_of::<*const c_void>();

/// Content up to this many bytes is stored inside the `zmq_msg_t`.
pub const INLINE_CAPACITY: usize = 64 - 2 * POINTER - 8;
/// `kind` of a [`Small`](Body::Small) body.
const SMALL: u8 = 0xFC;
/// `kind` of a body in an [`Owned`](Body::Owned) allocation.
const OWNED: u8 = 0xFD;
/// `kind` of a [`Foreign`](Body::Foreign) buffer.
const FOREIGN: u8 = 0xFE;
/// `kind` of a [`Shared`](Body::Shared) body.
const SHARED: u8 = 0xFF;
/// `magic` of storage holding a message.
const MAGIC: u16 = 0x5A4D;
/// `flags`: more parts follow.
const MORE: u8 = 0x01;

/// Content up to this many bytes is stored inside a `ferrozmq::Message` (as its
/// documentation says), so handing it over copies it whatever it was stored as here.
pub const MESSAGE_INLINE: usize = small::CAPACITY;

/// From this size up, `zmq_msg_init_size` asks the allocator for zeroed memory (glibc's
/// calloc then maps fresh, already zeroed pages) instead of zeroing it itself.
const ZEROED_BY_THE_SYSTEM: usize = 128 * 1024;

/// The longest group name (`ZMQ_GROUP_MAX_LENGTH`).
pub const GROUP_MAX_LENGTH: usize = 255;

#[repr(C)]
union BodyStorage {
    inline: [u8; INLINE_CAPACITY],
    small: ManuallyDrop<SmallStorage>,
    owned: ManuallyDrop<Box<[u8]>>,
    foreign: ManuallyDrop<ForeignBuffer>,
    shared: ManuallyDrop<Bytes>,
}

/// A small body in the union: the buffer, and the content's length.
#[repr(C)]
struct SmallStorage {
    buf: SmallBuf,
    len: u8,
}

#[repr(C)]
struct Repr {
    body: BodyStorage,
    /// `Arc::into_raw` of the message's properties, or NULL.
    properties: *const MsgProperties,
    /// `Arc::into_raw` of the message's group, or NULL.
    group: *const GroupName,
    routing_id: u32,
    magic: u16,
    kind: u8,
    flags: u8,
}

const _: () = assert!(size_of::<Repr>() == size_of::<zmq_msg_t>());
const _: () = assert!(align_of::<Repr>() <= align_of::<zmq_msg_t>());
const _: () = assert!(size_of::<BodyStorage>() == INLINE_CAPACITY);
const _: () = assert!(offset_of!(Repr, body) == 0);
// Every inline length, and the other kinds, fit in `kind` without overlapping.
const _: () = assert!(INLINE_CAPACITY < SMALL as usize);
const _: () = assert!(size_of::<SmallStorage>() <= INLINE_CAPACITY);

/// A buffer C handed over with `zmq_msg_init_data`, and the function that frees it.
///
/// Dropping it calls the function, once, on the thread that drops it: the thread that
/// closes the last copy of the message, or, for a message sent, whichever ferrozmq thread
/// lets go of the content last (the I/O thread after writing it, or the receiving thread
/// for inproc). libzmq's documentation asks C for a thread-safe function for this reason.
pub struct ForeignBuffer {
    data: *mut c_void,
    len: usize,
    free: Option<zmq_free_fn>,
    hint: *mut c_void,
}

// SAFETY: the buffer and hint belong to this value alone once C handed them over (libzmq's
// contract), and C promises a free function callable from any thread.
unsafe impl Send for ForeignBuffer {}

impl AsRef<[u8]> for ForeignBuffer {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: C promised `len` readable bytes at `data` (non-NULL when len > 0, checked
        // at init), valid until the free function is called, which only Drop does.
        unsafe { std::slice::from_raw_parts(self.data.cast::<u8>(), self.len) }
    }
}

impl Drop for ForeignBuffer {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: called once, with the arguments C gave, when nothing refers to the
            // buffer any more.
            unsafe { free(self.data, self.hint) }
        }
    }
}

/// A RADIO/DISH group name, NUL-terminated for `zmq_msg_group`.
pub struct GroupName {
    len: u8,
    bytes: [u8; GROUP_MAX_LENGTH + 1],
}

impl GroupName {
    /// A group of at most [`GROUP_MAX_LENGTH`] bytes without NUL.
    pub fn new(name: &[u8]) -> Option<Self> {
        if name.len() > GROUP_MAX_LENGTH || name.contains(&0) {
            return None;
        }
        let mut bytes = [0; GROUP_MAX_LENGTH + 1];
        bytes[..name.len()].copy_from_slice(name);
        Some(GroupName {
            len: name.len() as u8,
            bytes,
        })
    }

    /// The name, without its NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// What a message's content is stored as; see the module documentation.
pub enum Body {
    /// Up to [`INLINE_CAPACITY`] bytes, stored in the message.
    Inline {
        /// Bytes used.
        len: u8,
        /// The content, in `data[..len]`.
        data: [u8; INLINE_CAPACITY],
    },
    /// More than [`INLINE_CAPACITY`] and at most [`MESSAGE_INLINE`] bytes, in a buffer
    /// this message alone owns.
    Small {
        /// The buffer.
        buf: SmallBuf,
        /// Bytes used.
        len: u8,
    },
    /// An allocation this message alone owns.
    Owned(Box<[u8]>),
    /// C's buffer from `zmq_msg_init_data`.
    Foreign(ForeignBuffer),
    /// Reference-counted content, possibly shared with other messages.
    Shared(Bytes),
}

/// What a received part carries beside its content: the routing id (SERVER, PEER), the
/// group (DISH) and the properties of the connection it came through (`zmq_msg_gets`).
#[derive(Default)]
pub struct Extras {
    /// The routing id, 0 for none.
    pub routing_id: u32,
    /// The group, if any.
    pub group: Option<Arc<GroupName>>,
    /// The connection's properties, if any.
    pub properties: Option<Arc<MsgProperties>>,
}

/// A message part as Rust owns it: what a `zmq_msg_t` holds, decoded.
pub struct Msg {
    body: Body,
    properties: Option<Arc<MsgProperties>>,
    group: Option<Arc<GroupName>>,
    routing_id: u32,
    more: bool,
}

impl Msg {
    /// An empty part.
    pub fn empty() -> Self {
        Msg::with_body(Body::Inline {
            len: 0,
            data: [0; INLINE_CAPACITY],
        })
    }

    fn with_body(body: Body) -> Self {
        Msg {
            body,
            properties: None,
            group: None,
            routing_id: 0,
            more: false,
        }
    }

    /// `size` zeroed bytes for C to fill in.
    #[inline]
    pub fn zeroed(size: usize) -> Result<Self, Errno> {
        if size <= INLINE_CAPACITY {
            return Ok(Msg::with_body(Body::Inline {
                len: size as u8,
                data: [0; INLINE_CAPACITY],
            }));
        }
        if size <= MESSAGE_INLINE {
            return Ok(Msg::with_body(Body::Small {
                buf: SmallBuf::zeroed(size),
                len: size as u8,
            }));
        }
        let layout = Layout::array::<u8>(size).map_err(|_| Errno::ENOMEM)?;
        // SAFETY (both arms): the layout has a non-zero size (size > MESSAGE_INLINE).
        // Large buffers come zeroed from the system at no cost (calloc); small ones are
        // cheaper taken from the allocator's per-thread cache, which glibc's calloc
        // bypasses, and zeroed here.
        let data = if size < ZEROED_BY_THE_SYSTEM {
            // black_box: the compiler would fuse the allocation and the zeroing back into
            // a calloc.
            let data = std::hint::black_box(unsafe { alloc::alloc(layout) });
            if !data.is_null() {
                // SAFETY: `data` is valid for writes of `size` bytes.
                unsafe { ptr::write_bytes(data, 0, size) };
            }
            data
        } else {
            unsafe { alloc::alloc_zeroed(layout) }
        };
        if data.is_null() {
            return Err(Errno::ENOMEM);
        }
        // SAFETY: `data` is a fresh, zeroed allocation of `size` bytes from the global
        // allocator with the layout Box<[u8]> uses for that length.
        let owned = unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(data, size)) };
        Ok(Msg::with_body(Body::Owned(owned)))
    }

    /// A copy of `content`.
    pub fn copy_of(content: &[u8]) -> Result<Self, Errno> {
        let mut msg = Msg::zeroed(content.len())?;
        msg.content_mut().copy_from_slice(content);
        Ok(msg)
    }

    /// C's buffer, not copied, freed by `free` (if any) when no message refers to it.
    ///
    /// # Safety
    /// `data` must be valid for reads of `len` bytes (it may be NULL only when `len` is 0)
    /// until `free` is called, or for ever when `free` is `None`; `free(data, hint)` must
    /// be safe to call once from any thread.
    pub unsafe fn foreign(
        data: *mut c_void,
        len: usize,
        free: Option<zmq_free_fn>,
        hint: *mut c_void,
    ) -> Self {
        Msg::with_body(Body::Foreign(ForeignBuffer {
            data,
            len,
            free,
            hint,
        }))
    }

    /// The content.
    pub fn content(&self) -> &[u8] {
        match &self.body {
            Body::Inline { len, data } => &data[..usize::from(*len)],
            Body::Small { buf, len } => buf.content(usize::from(*len)),
            Body::Owned(owned) => owned,
            Body::Foreign(foreign) => foreign.as_ref(),
            Body::Shared(bytes) => bytes,
        }
    }

    fn content_mut(&mut self) -> &mut [u8] {
        match &mut self.body {
            Body::Inline { len, data } => &mut data[..usize::from(*len)],
            Body::Small { buf, len } => &mut buf.block_mut()[..usize::from(*len)],
            Body::Owned(owned) => owned,
            Body::Foreign(_) | Body::Shared(_) => {
                unreachable!("content is only written in messages made for it")
            }
        }
    }

    /// Whether more parts follow.
    pub fn more(&self) -> bool {
        self.more
    }

    /// Marks whether more parts follow.
    pub fn set_more(&mut self, more: bool) {
        self.more = more;
    }

    /// A copy that shares the content instead of copying it (`zmq_msg_copy`): small, owned
    /// and foreign bodies become shared first, in this message too.
    pub fn share(&mut self) -> Msg {
        if matches!(
            self.body,
            Body::Small { .. } | Body::Owned(_) | Body::Foreign(_)
        ) {
            let bytes = self.take_bytes();
            self.body = Body::Shared(bytes);
        }
        let body = match &self.body {
            Body::Inline { len, data } => Body::Inline {
                len: *len,
                data: *data,
            },
            Body::Shared(bytes) => Body::Shared(bytes.clone()),
            Body::Small { .. } | Body::Owned(_) | Body::Foreign(_) => {
                unreachable!("made shared above")
            }
        };
        Msg {
            body,
            properties: self.properties.clone(),
            group: self.group.clone(),
            routing_id: self.routing_id,
            more: self.more,
        }
    }

    /// The content as `Bytes`, without copying owned, foreign or shared content; the
    /// message is left empty.
    fn take_bytes(&mut self) -> Bytes {
        match std::mem::replace(&mut self.body, Msg::empty().body) {
            Body::Inline { len, data } => Bytes::copy_from_slice(&data[..usize::from(len)]),
            Body::Small { buf, len } => Bytes::from_owner(SmallContent { buf, len }),
            Body::Owned(owned) => Bytes::from(owned),
            Body::Foreign(foreign) => Bytes::from_owner(foreign),
            Body::Shared(bytes) => bytes,
        }
    }

    /// Whether the content may be shared with other messages (`ZMQ_SHARED`): after a
    /// copy, for content received shared, and for constant buffers C keeps
    /// (`zmq_msg_init_data` without a free function), as libzmq reports them.
    pub fn is_shared(&self) -> bool {
        match &self.body {
            Body::Inline { .. } | Body::Small { .. } | Body::Owned(_) => false,
            Body::Foreign(foreign) => foreign.free.is_none(),
            Body::Shared(bytes) => !bytes.is_unique(),
        }
    }

    /// The routing id (SERVER and PEER sockets), 0 for none.
    pub fn routing_id(&self) -> u32 {
        self.routing_id
    }

    /// Sets the routing id a SERVER or PEER sends the message to.
    pub fn set_routing_id(&mut self, routing_id: u32) {
        self.routing_id = routing_id;
    }

    /// The group (RADIO and DISH sockets).
    pub fn group(&self) -> Option<&GroupName> {
        self.group.as_deref()
    }

    /// Sets the group; `None` for no group.
    pub fn set_group(&mut self, group: Option<GroupName>) {
        self.group = group.map(Arc::new);
    }

    /// The properties of the connection it came from (`zmq_msg_gets`).
    pub fn properties(&self) -> Option<&MsgProperties> {
        self.properties.as_deref()
    }

    /// Makes owned and foreign content shared, without copying it, so that
    /// [`message`](Self::message) can hand it to ferrozmq any number of times. Content
    /// ferrozmq stores inline anyway (up to [`MESSAGE_INLINE`] bytes) stays as it is: it
    /// is copied by each [`message`](Self::message), which costs less than making it
    /// shared (an allocation).
    pub fn share_body(&mut self) {
        let small = self.content().len() <= MESSAGE_INLINE;
        if !small && matches!(self.body, Body::Owned(_) | Body::Foreign(_)) {
            let bytes = self.take_bytes();
            self.body = Body::Shared(bytes);
        }
    }

    /// The part as ferrozmq sends it, leaving this message as it is: small content is
    /// copied into ferrozmq's inline storage, shared content is shared once more (no
    /// copy). Call [`share_body`](Self::share_body) first: larger owned and foreign
    /// content would be copied here.
    pub fn message(&self) -> ferrozmq::Message {
        match &self.body {
            Body::Shared(bytes) => ferrozmq::Message::from(bytes.clone()),
            _ => ferrozmq::Message::from(self.content()),
        }
    }

    /// A part ferrozmq received (`zmq_msg_recv`): content that fits is copied inline;
    /// content ferrozmq stored inline (up to [`MESSAGE_INLINE`] bytes) is copied into a
    /// small buffer, which the next receive into the same message can reuse (see
    /// [`store_received`](Self::store_received)); larger content is shared without a
    /// copy. MORE is taken from the part.
    pub fn from_message(message: ferrozmq::Message) -> Self {
        let more = message.more();
        let len = message.len();
        let mut msg = if len <= INLINE_CAPACITY {
            let mut data = [0; INLINE_CAPACITY];
            data[..len].copy_from_slice(&message);
            Msg::with_body(Body::Inline {
                len: len as u8,
                data,
            })
        } else if len <= MESSAGE_INLINE {
            Msg::with_body(Body::Small {
                buf: SmallBuf::copy_of(&message),
                len: len as u8,
            })
        } else {
            Msg::with_body(Body::Shared(message.into_bytes()))
        };
        msg.more = more;
        msg
    }

    /// Stores a received part in C's storage (`zmq_msg_recv`), releasing what it held.
    ///
    /// A receive loop passes the same `zmq_msg_t` again and again: when a small part
    /// (more than [`INLINE_CAPACITY`], at most [`MESSAGE_INLINE`] bytes) arrives in a
    /// message that still holds a small buffer (the last part received, or one C made with
    /// `zmq_msg_init_size`), the content is copied into it instead of into a new one, so a
    /// stream of small parts costs no allocation at all. Larger parts ferrozmq keeps shared
    /// are shared, not copied, as [`from_message`](Self::from_message) does.
    ///
    /// What the message held before is handed back when it is not reused: the caller drops
    /// it once it has let go of the socket, since releasing it may run C's free function
    /// (`zmq_msg_init_data`), which may call into that socket.
    ///
    /// # Safety
    /// As [`take_from`](Self::take_from).
    #[inline(always)]
    pub unsafe fn store_received(
        msg: *mut zmq_msg_t,
        message: ferrozmq::Message,
        extras: Extras,
    ) -> Result<Option<Msg>, Errno> {
        let len = message.len();
        let repr = checked(msg)?;
        let reusable = repr.kind == SMALL && (INLINE_CAPACITY + 1..=MESSAGE_INLINE).contains(&len);
        if !reusable {
            let old = Msg::take_from(msg)?;
            let mut part = Msg::from_message(message);
            part.properties = extras.properties;
            part.group = extras.group;
            part.routing_id = extras.routing_id;
            part.write_to(msg);
            return Ok(Some(old));
        }
        let repr = msg.cast::<Repr>();
        // SAFETY: checked above: the storage holds a small buffer, which this message alone
        // owns, and `len` fits in it; the Arcs it held are released once, as they are
        // replaced.
        let small: &mut ManuallyDrop<SmallStorage> = &mut *addr_of_mut!((*repr).body.small);
        small.buf.block_mut()[..len].copy_from_slice(&message);
        small.len = len as u8;
        let old_properties = std::mem::replace(
            &mut (*repr).properties,
            extras.properties.map_or(ptr::null(), Arc::into_raw),
        );
        if !old_properties.is_null() {
            drop(Arc::from_raw(old_properties));
        }
        let old_group = std::mem::replace(
            &mut (*repr).group,
            extras.group.map_or(ptr::null(), Arc::into_raw),
        );
        if !old_group.is_null() {
            drop(Arc::from_raw(old_group));
        }
        (*repr).routing_id = extras.routing_id;
        (*repr).flags = if message.more() { MORE } else { 0 };
        Ok(None)
    }

    /// Stores the message in C's storage, without looking at what the storage held.
    ///
    /// # Safety
    /// `msg` must be valid for writes of a `zmq_msg_t` and aligned (see
    /// [`crate::call::usable`]).
    #[inline]
    pub unsafe fn write_to(self, msg: *mut zmq_msg_t) {
        let repr = msg.cast::<Repr>();
        let Msg {
            body,
            properties,
            group,
            routing_id,
            more,
        } = self;
        let (kind, body) = match body {
            Body::Inline { len, data } => (len, BodyStorage { inline: data }),
            Body::Small { buf, len } => (
                SMALL,
                BodyStorage {
                    small: ManuallyDrop::new(SmallStorage { buf, len }),
                },
            ),
            Body::Owned(owned) => (
                OWNED,
                BodyStorage {
                    owned: ManuallyDrop::new(owned),
                },
            ),
            Body::Foreign(foreign) => (
                FOREIGN,
                BodyStorage {
                    foreign: ManuallyDrop::new(foreign),
                },
            ),
            Body::Shared(bytes) => (
                SHARED,
                BodyStorage {
                    shared: ManuallyDrop::new(bytes),
                },
            ),
        };
        repr.write(Repr {
            body,
            properties: properties.map_or(ptr::null(), Arc::into_raw),
            group: group.map_or(ptr::null(), Arc::into_raw),
            routing_id,
            magic: MAGIC,
            kind,
            flags: if more { MORE } else { 0 },
        });
    }

    /// Takes the message out of C's storage, which is left closed (using it again fails
    /// with EFAULT until it is initialised again).
    ///
    /// # Safety
    /// `msg` must be NULL or point to a `zmq_msg_t` C owns (initialised or not).
    pub unsafe fn take_from(msg: *mut zmq_msg_t) -> Result<Msg, Errno> {
        checked(msg)?;
        let repr = msg.cast::<Repr>();
        // SAFETY: `checked` verified the storage holds a message with this kind; reading
        // moves the body and the two Arcs out, and clearing the magic makes sure nothing
        // reads them from the storage again.
        let body = match (*repr).kind {
            SMALL => {
                let SmallStorage { buf, len } =
                    ManuallyDrop::into_inner(ptr::read(addr_of!((*repr).body.small)));
                Body::Small { buf, len }
            }
            OWNED => Body::Owned(ManuallyDrop::into_inner(ptr::read(addr_of!(
                (*repr).body.owned
            )))),
            FOREIGN => Body::Foreign(ManuallyDrop::into_inner(ptr::read(addr_of!(
                (*repr).body.foreign
            )))),
            SHARED => Body::Shared(ManuallyDrop::into_inner(ptr::read(addr_of!(
                (*repr).body.shared
            )))),
            len => Body::Inline {
                len,
                data: (*repr).body.inline,
            },
        };
        let properties = (*repr).properties;
        let group = (*repr).group;
        let msg = Msg {
            body,
            properties: (!properties.is_null()).then(|| Arc::from_raw(properties)),
            group: (!group.is_null()).then(|| Arc::from_raw(group)),
            routing_id: (*repr).routing_id,
            more: (*repr).flags & MORE != 0,
        };
        (*repr).magic = 0;
        Ok(msg)
    }

    /// Runs `f` on the message in C's storage, which keeps it (also when `f` fails).
    ///
    /// # Safety
    /// As [`take_from`](Self::take_from).
    pub unsafe fn update<R>(
        msg: *mut zmq_msg_t,
        f: impl FnOnce(&mut Msg) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        /// Puts the message back when dropped, also if `f` panics.
        struct Restore(*mut zmq_msg_t, Option<Msg>);
        impl Drop for Restore {
            fn drop(&mut self) {
                if let Some(msg) = self.1.take() {
                    // SAFETY: the storage the message was taken from, still C's.
                    unsafe { msg.write_to(self.0) }
                }
            }
        }
        let mut restore = Restore(msg, Some(Msg::take_from(msg)?));
        let taken = restore.1.as_mut().expect("the message was just taken");
        f(taken)
    }
}

/// The storage's `Repr`, if it holds a message.
///
/// # Safety
/// `msg` must be NULL or point to a `zmq_msg_t` C owns (initialised or not), which nothing
/// else uses while the result is in use.
#[inline]
unsafe fn checked<'a>(msg: *const zmq_msg_t) -> Result<&'a Repr, Errno> {
    crate::call::usable(msg, Errno::EFAULT)?;
    let repr = &*msg.cast::<Repr>();
    let valid_kind = usize::from(repr.kind) <= INLINE_CAPACITY
        || matches!(repr.kind, SMALL | OWNED | FOREIGN | SHARED);
    if repr.magic != MAGIC || !valid_kind {
        return Err(Errno::EFAULT);
    }
    Ok(repr)
}

/// A stored body, borrowed.
enum BodyRef<'a> {
    Inline(&'a [u8]),
    Owned(&'a [u8]),
    Foreign(&'a ForeignBuffer),
    Shared(&'a Bytes),
}

impl Repr {
    #[inline]
    fn body(&self) -> BodyRef<'_> {
        // SAFETY: `kind` says which field of the union holds a value (checked on entry).
        unsafe {
            match self.kind {
                SMALL => {
                    let small = &self.body.small;
                    BodyRef::Owned(small.buf.content(usize::from(small.len)))
                }
                OWNED => BodyRef::Owned(&self.body.owned),
                FOREIGN => BodyRef::Foreign(&self.body.foreign),
                SHARED => BodyRef::Shared(&self.body.shared),
                len => BodyRef::Inline(&self.body.inline[..usize::from(len)]),
            }
        }
    }
}

/// Views of a message where it lies in C's storage: what `zmq_msg_data`, `zmq_msg_size`
/// and the other getters need, without moving the message.
pub struct Stored;

impl Stored {
    /// The content's address, writable by C: inside the storage for inline content, C's
    /// own pointer for a foreign buffer.
    ///
    /// # Safety
    /// `msg` must be NULL or point to a `zmq_msg_t` C owns.
    pub unsafe fn data(msg: *mut zmq_msg_t) -> Result<*mut c_void, Errno> {
        let kind = checked(msg)?.kind;
        let repr = msg.cast::<Repr>();
        // Pointers to inline and owned content derive from C's mutable pointer, so that C
        // writing through them writes memory the message owns.
        Ok(match kind {
            SMALL => {
                let small: &mut ManuallyDrop<SmallStorage> = &mut *addr_of_mut!((*repr).body.small);
                small.buf.block_mut().as_mut_ptr().cast()
            }
            OWNED => {
                let owned: &mut ManuallyDrop<Box<[u8]>> = &mut *addr_of_mut!((*repr).body.owned);
                owned.as_mut_ptr().cast()
            }
            FOREIGN | SHARED => {
                let stored: &Repr = &*repr;
                match stored.body() {
                    BodyRef::Foreign(foreign) => foreign.data,
                    BodyRef::Shared(bytes) => bytes.as_ptr().cast_mut().cast(),
                    BodyRef::Inline(_) | BodyRef::Owned(_) => unreachable!("kind checked above"),
                }
            }
            _ => addr_of_mut!((*repr).body.inline).cast(),
        })
    }

    /// The content's length in bytes.
    ///
    /// # Safety
    /// As [`data`](Self::data).
    #[inline]
    pub unsafe fn size(msg: *const zmq_msg_t) -> Result<usize, Errno> {
        Ok(match checked(msg)?.body() {
            BodyRef::Inline(content) | BodyRef::Owned(content) => content.len(),
            BodyRef::Foreign(foreign) => foreign.len,
            BodyRef::Shared(bytes) => bytes.len(),
        })
    }

    /// Whether more parts follow.
    ///
    /// # Safety
    /// As [`data`](Self::data).
    pub unsafe fn more(msg: *const zmq_msg_t) -> Result<bool, Errno> {
        Ok(checked(msg)?.flags & MORE != 0)
    }

    /// Whether the content may be shared with other messages (`ZMQ_SHARED`), as
    /// [`Msg::is_shared`].
    ///
    /// # Safety
    /// As [`data`](Self::data).
    pub unsafe fn shared(msg: *const zmq_msg_t) -> Result<bool, Errno> {
        Ok(match checked(msg)?.body() {
            BodyRef::Inline(_) | BodyRef::Owned(_) => false,
            BodyRef::Foreign(foreign) => foreign.free.is_none(),
            BodyRef::Shared(bytes) => !bytes.is_unique(),
        })
    }

    /// The routing id, 0 for none.
    ///
    /// # Safety
    /// As [`data`](Self::data).
    pub unsafe fn routing_id(msg: *const zmq_msg_t) -> Result<u32, Errno> {
        Ok(checked(msg)?.routing_id)
    }

    /// The group as a NUL-terminated string: empty for none. It lives as long as the
    /// message (or a copy of it) does.
    ///
    /// # Safety
    /// As [`data`](Self::data).
    pub unsafe fn group(msg: *const zmq_msg_t) -> Result<*const c_char, Errno> {
        let group = checked(msg)?.group;
        if group.is_null() {
            return Ok(c"".as_ptr());
        }
        // SAFETY: a non-NULL group is a live Arc the message holds.
        Ok((*group).bytes.as_ptr().cast())
    }

    /// The part as ferrozmq sends it (`zmq_msg_send`), built where the message lies, with
    /// its routing id and group; the storage is left as it was, so a send that fails leaves
    /// C its message. Inline, small, owned and foreign content is copied (into ferrozmq's
    /// inline storage up to [`MESSAGE_INLINE`] bytes), shared content is shared once
    /// more. Make large content shared first ([`Msg::share_body`]) to send it without a
    /// copy.
    ///
    /// # Safety
    /// As [`data`](Self::data); the group must not outlive the message.
    #[inline(always)]
    pub unsafe fn outgoing<'a>(
        msg: *const zmq_msg_t,
    ) -> Result<(ferrozmq::Message, u32, Option<&'a GroupName>), Errno> {
        let repr: &'a Repr = checked(msg)?;
        let message = match repr.body() {
            BodyRef::Inline(content) | BodyRef::Owned(content) => {
                ferrozmq::Message::from_slice(content)
            }
            BodyRef::Foreign(foreign) => ferrozmq::Message::from_slice(foreign.as_ref()),
            BodyRef::Shared(bytes) => ferrozmq::Message::from(bytes.clone()),
        };
        // SAFETY: a non-NULL group is a live Arc the message holds.
        let group = NonNull::new(repr.group.cast_mut()).map(|g| g.as_ref());
        Ok((message, repr.routing_id, group))
    }

    /// Releases the content, leaving an empty message: what a successful `zmq_msg_send`
    /// leaves C.
    ///
    /// # Safety
    /// As [`data`](Self::data).
    #[inline]
    pub unsafe fn empty(msg: *mut zmq_msg_t) -> Result<(), Errno> {
        let kind = checked(msg)?.kind;
        let repr = msg.cast::<Repr>();
        // The storage reads as empty before anything is released, and each value is
        // released once: `checked` verified that `kind` names the union's value, and the
        // Arc pointers are cleared as they are taken.
        (*repr).kind = 0;
        (*repr).routing_id = 0;
        (*repr).flags = 0;
        let properties = std::mem::replace(&mut (*repr).properties, ptr::null());
        let group = std::mem::replace(&mut (*repr).group, ptr::null());
        match kind {
            SMALL => ManuallyDrop::drop(&mut *addr_of_mut!((*repr).body.small)),
            OWNED => ManuallyDrop::drop(&mut *addr_of_mut!((*repr).body.owned)),
            FOREIGN => ManuallyDrop::drop(&mut *addr_of_mut!((*repr).body.foreign)),
            SHARED => ManuallyDrop::drop(&mut *addr_of_mut!((*repr).body.shared)),
            _ => {}
        }
        if !properties.is_null() {
            drop(Arc::from_raw(properties));
        }
        if !group.is_null() {
            drop(Arc::from_raw(group));
        }
        Ok(())
    }

    /// Releases the content and closes the storage (`zmq_msg_close`): using it again fails
    /// with EFAULT until it is initialised again.
    ///
    /// # Safety
    /// As [`data`](Self::data).
    pub unsafe fn close(msg: *mut zmq_msg_t) -> Result<(), Errno> {
        Stored::empty(msg)?;
        (*msg.cast::<Repr>()).magic = 0;
        Ok(())
    }

    /// The properties of the connection the message came from, if any. They live as long
    /// as the message (or a copy of it) does.
    ///
    /// # Safety
    /// As [`data`](Self::data); the reference must not outlive the message.
    pub unsafe fn properties<'a>(
        msg: *const zmq_msg_t,
    ) -> Result<Option<&'a MsgProperties>, Errno> {
        let properties = checked(msg)?.properties;
        // SAFETY: a non-NULL pointer is a live Arc the message holds.
        Ok(NonNull::new(properties.cast_mut()).map(|p| p.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn storage() -> MaybeUninit<zmq_msg_t> {
        MaybeUninit::zeroed()
    }

    #[test]
    fn every_kind_round_trips_through_c_storage() {
        let mut raw = storage();
        let msg = raw.as_mut_ptr();
        for size in [
            0,
            1,
            INLINE_CAPACITY,
            INLINE_CAPACITY + 1,
            MESSAGE_INLINE,
            MESSAGE_INLINE + 1,
            5000,
        ] {
            let mut part = Msg::zeroed(size).unwrap();
            part.content_mut().fill(7);
            part.set_more(true);
            part.set_routing_id(9);
            unsafe { part.write_to(msg) };
            assert_eq!(unsafe { Stored::size(msg) }, Ok(size));
            assert_eq!(unsafe { Stored::more(msg) }, Ok(true));
            assert_eq!(unsafe { Stored::routing_id(msg) }, Ok(9));
            let back = unsafe { Msg::take_from(msg) }.unwrap();
            assert_eq!(back.content(), vec![7; size].as_slice());
            assert!(back.more());
            assert!(
                unsafe { Msg::take_from(msg) }.is_err(),
                "taken storage is closed"
            );
        }
    }

    #[test]
    fn never_initialised_or_misaligned_storage_is_refused() {
        let mut raw = storage();
        let msg = raw.as_mut_ptr();
        assert_eq!(unsafe { Stored::size(msg) }.err(), Some(Errno::EFAULT));
        let bytes = [0xA5u8; 80];
        let odd = bytes.as_ptr().wrapping_add(1).cast::<zmq_msg_t>();
        assert_eq!(unsafe { Stored::size(odd) }.err(), Some(Errno::EFAULT));
        assert_eq!(
            unsafe { Stored::size(ptr::null()) }.err(),
            Some(Errno::EFAULT)
        );
    }

    #[test]
    fn large_content_is_shared_not_copied_on_the_way_to_ferrozmq_and_back() {
        let mut part = Msg::zeroed(1000).unwrap();
        let address = part.content().as_ptr();
        part.share_body();
        let message = part.message();
        assert_eq!(message.as_ptr(), address, "send: no copy");
        assert!(part.is_shared());

        let big = Bytes::from(vec![3u8; 4096]);
        let received = Msg::from_message(ferrozmq::Message::from(big.clone()));
        assert_eq!(
            received.content().as_ptr(),
            big.as_ptr(),
            "receive: no copy"
        );
    }

    #[test]
    fn small_content_lives_inline() {
        let received = Msg::from_message(ferrozmq::Message::from(&b"hello"[..]));
        assert!(matches!(received.body, Body::Inline { len: 5, .. }));
        assert!(!received.more());
        assert!(!received.is_shared());
    }

    #[test]
    // Miri cannot run ferrozmq's sockets (eventfd, threads blocking in poll).
    #[cfg_attr(miri, ignore)]
    fn a_received_part_keeps_its_more_flag() {
        let ctx = ferrozmq::Context::new();
        let a = ctx.socket(ferrozmq::PAIR).unwrap();
        a.bind("inproc://repr-more").unwrap();
        let b = ctx.socket(ferrozmq::PAIR).unwrap();
        b.connect("inproc://repr-more").unwrap();
        a.send_more("hello").unwrap();
        a.send("world").unwrap();
        let first = Msg::from_message(b.recv().unwrap());
        assert!(matches!(first.body, Body::Inline { len: 5, .. }));
        assert!(first.more());
        assert!(!Msg::from_message(b.recv().unwrap()).more());
    }

    #[test]
    fn a_receive_into_a_message_owning_a_small_buffer_reuses_the_buffer() {
        let mut raw = storage();
        let msg = raw.as_mut_ptr();
        unsafe { Msg::zeroed(64).unwrap().write_to(msg) };
        let buffer = unsafe { Stored::data(msg) }.unwrap();
        let group = Arc::new(GroupName::new(b"news").unwrap());
        let extras = Extras {
            routing_id: 7,
            group: Some(group.clone()),
            properties: None,
        };
        let part = ferrozmq::Message::from(&[5u8; 64][..]);
        unsafe { Msg::store_received(msg, part, extras) }.unwrap();
        assert_eq!(
            unsafe { Stored::data(msg) },
            Ok(buffer),
            "no new allocation"
        );
        assert_eq!(unsafe { Stored::routing_id(msg) }, Ok(7));
        assert_eq!(Arc::strong_count(&group), 2);
        let again = ferrozmq::Message::from(&[6u8; 64][..]);
        unsafe { Msg::store_received(msg, again, Extras::default()) }.unwrap();
        assert_eq!(unsafe { Stored::data(msg) }, Ok(buffer));
        assert_eq!(Arc::strong_count(&group), 1, "the old group was released");
        assert_eq!(unsafe { Stored::routing_id(msg) }, Ok(0));

        // Another small size fits the same buffer.
        let other = ferrozmq::Message::from(&[7u8; 50][..]);
        unsafe { Msg::store_received(msg, other, Extras::default()) }.unwrap();
        assert_eq!(unsafe { Stored::data(msg) }, Ok(buffer));
        assert_eq!(unsafe { Stored::size(msg) }, Ok(50));
        // Content that fits the storage itself, or is too large for a small buffer, does
        // not use it.
        let tiny = ferrozmq::Message::from(&[8u8; 3][..]);
        unsafe { Msg::store_received(msg, tiny, Extras::default()) }.unwrap();
        assert_eq!(unsafe { Stored::size(msg) }, Ok(3));
        let large = ferrozmq::Message::from(&[9u8; MESSAGE_INLINE + 1][..]);
        unsafe { Msg::store_received(msg, large, Extras::default()) }.unwrap();
        let back = unsafe { Msg::take_from(msg) }.unwrap();
        assert_eq!(back.content(), &[9u8; MESSAGE_INLINE + 1]);
    }

    #[test]
    fn a_copied_small_message_shares_its_buffer_without_moving_it() {
        let mut original = Msg::copy_of(&[4u8; 64]).unwrap();
        let address = original.content().as_ptr();
        assert!(!original.is_shared());
        let copy = original.share();
        assert_eq!(
            original.content().as_ptr(),
            address,
            "zmq_msg_data unchanged"
        );
        assert_eq!(copy.content().as_ptr(), address);
        assert!(original.is_shared() && copy.is_shared());
        drop(original);
        assert_eq!(copy.content(), &[4u8; 64]);
    }

    /// Counts its calls in the AtomicUsize `hint` points to.
    unsafe extern "C" fn count_free(_data: *mut c_void, hint: *mut c_void) {
        (*hint.cast::<AtomicUsize>()).fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_foreign_buffer_is_freed_once_after_its_last_copy() {
        let freed = AtomicUsize::new(0);
        let hint = ptr::from_ref(&freed).cast_mut().cast();
        let mut buffer = [1u8; 100];
        let data = buffer.as_mut_ptr().cast::<c_void>();
        let mut original = unsafe { Msg::foreign(data, 100, Some(count_free), hint) };
        let mut copy = original.share();
        copy.share_body();
        let message = copy.message();
        assert_eq!(message.as_ptr(), buffer.as_ptr(), "never copied");
        drop(original);
        drop(copy);
        assert_eq!(freed.load(Ordering::SeqCst), 0);
        drop(message);
        assert_eq!(freed.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_small_foreign_buffer_is_freed_as_soon_as_ferrozmq_holds_a_copy_of_it() {
        let freed = AtomicUsize::new(0);
        let hint = ptr::from_ref(&freed).cast_mut().cast();
        let mut buffer = [2u8; 10];
        let data = buffer.as_mut_ptr().cast::<c_void>();
        let mut part = unsafe { Msg::foreign(data, 10, Some(count_free), hint) };
        part.share_body();
        let message = part.message();
        drop(part);
        assert_eq!(freed.load(Ordering::SeqCst), 1);
        assert_eq!(&message[..], &[2u8; 10]);
    }

    #[test]
    fn groups_are_at_most_255_bytes_without_nul() {
        assert!(GroupName::new(&[b'g'; 255]).is_some());
        assert!(GroupName::new(&[b'g'; 256]).is_none());
        assert!(GroupName::new(b"a\0b").is_none());
        assert_eq!(GroupName::new(b"news").unwrap().as_bytes(), b"news");
    }
}
