// SPDX-License-Identifier: GPL-2.0

//! A fixed-capacity registry of error sources with reference counts, after
//! `klist` (`lib/klist.c`) and the device model's parent references.
//!
//! Nodes form a forest ("platform" → "source"): a child holds a reference on
//! its parent, so a parent stays until its children are gone. Every linked
//! node is on one list in the order it was added (a parent always comes
//! before its children); the registry holds one reference on each live node.
//!
//! [`Registry::remove`] marks a node removed (dead) and drops the registry's
//! reference. A dead node is never returned again by lookups or walks, but it
//! stays linked while anybody (a walker, a [`Registry::get`] holder, a child)
//! still references it, exactly like a klist node with `n_deleted` set: its
//! position in the list is still known, so a walker parked on it can step to
//! its successor. When the last reference goes, the node is unlinked, its slot
//! is freed and the caller receives a [`Released`] naming it (and every
//! ancestor that the same step freed), to free its own object for that slot
//! outside the lock. Nothing is ever freed without being reported.
//!
//! Ids carry a generation, bumped whenever a slot is freed, so an id kept past
//! its node's end is detected as [`RegError::StaleId`] instead of reaching the
//! slot's next user. The generation is 16 bits and never 0: an id is misread
//! only if its slot was freed a multiple of 65535 times meanwhile; freed slots
//! are reused oldest first to make that as unlikely as possible.
//!
//! The registry is a plain structure whose methods take `&mut self`: the
//! kernel wraps it in an interrupt-disabling spinlock, the host tests in a
//! mutex. Every operation is O(N) at worst, allocates nothing and never
//! panics.
//!
//! # Walks
//!
//! A walk holds a reference on its current node (a sliding reference):
//! [`Registry::walk_first`] takes one on the first live node and
//! [`Registry::walk_next`] moves it to the next live node in list order in one
//! step under the lock, even if the current node was removed meanwhile. So:
//!
//! - a node that is live for the whole walk is visited exactly once;
//! - a node is never returned after its removal;
//! - a node added during the walk is appended at the tail: it is visited if
//!   the walk has not yet passed the tail when it is added, and not otherwise.
//!
//! A walk that stops early drops its reference with [`Registry::put`].

/// Most nodes on a path from a root to a leaf (a root has depth 1). This
/// bounds how many slots one reference drop can free.
pub const MAX_DEPTH: usize = 4;

/// Most references that [`Registry::get`] and walks may hold on one node at
/// once; one more is [`RegError::RefOverflow`].
pub const MAX_REFS: u16 = u16::MAX;

/// Largest capacity: indices must fit in 16 bits.
pub const MAX_CAPACITY: usize = 0xffff;

/// A node's identity: slot index and generation. The all-zero value is never
/// a valid id (generations start at 1), so zeroed storage holds no id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Id {
    index: u16,
    gen: u16,
}

impl Id {
    /// The slot index, below the registry's capacity: the caller's own
    /// per-slot objects are indexed by it.
    pub const fn index(self) -> usize {
        self.index as usize
    }

    /// The slot's generation when this id was handed out.
    pub const fn generation(self) -> u16 {
        self.gen
    }

    /// Packs the id into a `u32` (generation in the high half).
    pub const fn to_u32(self) -> u32 {
        ((self.gen as u32) << 16) | self.index as u32
    }

    /// Unpacks an id packed by [`Id::to_u32`]. Any value is accepted; one
    /// that names no node is rejected as stale when used.
    pub const fn from_u32(v: u32) -> Self {
        Self {
            index: (v & 0xffff) as u16,
            gen: (v >> 16) as u16,
        }
    }
}

/// Why a registry operation failed. A failed operation changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegError {
    /// Every slot is in use (live or orphaned).
    Full,
    /// The id names no node: out of range, a free slot, or a slot reused since.
    StaleId,
    /// The node was removed: it is no longer looked up, nor removed twice.
    Removed,
    /// [`Registry::add`]: the parent was removed.
    ParentGone,
    /// [`Registry::add`]: the child would be deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Taking a reference would exceed [`MAX_REFS`].
    RefOverflow,
    /// [`Registry::put`] or [`Registry::walk_next`] on a node on which no
    /// reference is held.
    NoRef,
}

/// A slot freed by a reference drop: the caller frees its object for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freed {
    /// The id the node had; its [`Id::index`] is the freed slot.
    pub id: Id,
    /// The tag given to [`Registry::add`].
    pub kind: u8,
}

/// The slots one reference drop freed: the node itself first, then each
/// ancestor that lost its last reference as a consequence, child before
/// parent. Never empty when returned.
#[must_use = "the caller must free its objects for the released slots"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Released {
    freed: [Freed; MAX_DEPTH],
    len: usize,
}

impl Released {
    const fn new() -> Self {
        Self {
            freed: [Freed {
                id: Id { index: 0, gen: 0 },
                kind: 0,
            }; MAX_DEPTH],
            len: 0,
        }
    }

    /// Appends `f`; `false` if full (which the depth limit rules out).
    fn push(&mut self, f: Freed) -> bool {
        match self.freed.get_mut(self.len) {
            Some(slot) => {
                *slot = f;
                self.len = self.len.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// The freed slots, child before parent.
    pub fn as_slice(&self) -> &[Freed] {
        self.freed.get(..self.len).unwrap_or(&[])
    }

    /// Iterates over the freed slots, child before parent.
    pub fn iter(&self) -> core::slice::Iter<'_, Freed> {
        self.as_slice().iter()
    }

    /// How many slots were freed (1 to [`MAX_DEPTH`]).
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether no slot was freed (never, for a returned value).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> IntoIterator for &'a Released {
    type Item = &'a Freed;
    type IntoIter = core::slice::Iter<'a, Freed>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A linked node as seen by [`Registry::info`] and [`Registry::orphans`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node.
    pub id: Id,
    /// Its parent, if any (linked for as long as the node is).
    pub parent: Option<Id>,
    /// The tag given to [`Registry::add`].
    pub kind: u8,
    /// 1 for a root, parent's depth + 1 otherwise.
    pub depth: u8,
    /// References held by [`Registry::get`] callers and walks.
    pub refs: u16,
    /// Linked children (each holds a reference).
    pub children: u16,
    /// Whether [`Registry::remove`] was called on it (an orphan if linked).
    pub removed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not linked: on the free queue, or never used.
    Free,
    /// Linked, holding the registry's reference.
    Live,
    /// Linked, removed, kept by references or children.
    Dead,
}

#[derive(Clone, Copy)]
struct Node {
    state: State,
    gen: u16,
    kind: u8,
    depth: u8,
    refs: u16,
    children: u16,
    parent: Option<u16>,
    /// Previous linked node; unused when free.
    prev: Option<u16>,
    /// Next linked node, or next slot on the free queue.
    next: Option<u16>,
}

impl Node {
    const EMPTY: Self = Self {
        state: State::Free,
        gen: 1,
        kind: 0,
        depth: 0,
        refs: 0,
        children: 0,
        parent: None,
        prev: None,
        next: None,
    };
}

/// The registry of up to `N` nodes (`N` at most [`MAX_CAPACITY`]).
///
/// # Invariants
///
/// - Every slot is in exactly one place: the node list (`head`..`tail`
///   through `next`/`prev`, state Live or Dead), the free queue
///   (`free_head`..`free_tail` through `next`, state Free, index below
///   `fresh`), or the never-used slots (index `fresh` and above, Free).
/// - The node list is in order of addition; a node's parent is linked and
///   comes before it, and `depth` is the parent's plus one, at most
///   [`MAX_DEPTH`].
/// - `children` counts the linked nodes whose parent is this node.
/// - A Dead node has `refs + children > 0`: the step that makes both 0 frees
///   it (and reports it).
/// - `live` and `orphans` count the Live and Dead nodes; `gen` is never 0.
pub struct Registry<const N: usize> {
    nodes: [Node; N],
    head: Option<u16>,
    tail: Option<u16>,
    free_head: Option<u16>,
    free_tail: Option<u16>,
    fresh: u16,
    live: u16,
    orphans: u16,
}

impl<const N: usize> Default for Registry<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Registry<N> {
    const CAPACITY_OK: () = assert!(N <= MAX_CAPACITY, "registry capacity above 65535");

    /// An empty registry.
    pub const fn new() -> Self {
        // Fails the build for a capacity whose indices do not fit in 16 bits.
        let () = Self::CAPACITY_OK;
        Self {
            nodes: [Node::EMPTY; N],
            head: None,
            tail: None,
            free_head: None,
            free_tail: None,
            fresh: 0,
            live: 0,
            orphans: 0,
        }
    }

    /// How many slots there are.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// How many nodes are live (added and not removed).
    pub fn live_count(&self) -> usize {
        usize::from(self.live)
    }

    /// How many nodes are removed but still referenced (orphans).
    pub fn orphan_count(&self) -> usize {
        usize::from(self.orphans)
    }

    /// How many slots are free.
    pub fn free_count(&self) -> usize {
        N.saturating_sub(self.live_count())
            .saturating_sub(self.orphan_count())
    }

    fn node(&self, i: u16) -> Option<&Node> {
        self.nodes.get(usize::from(i))
    }

    fn node_mut(&mut self, i: u16) -> Option<&mut Node> {
        self.nodes.get_mut(usize::from(i))
    }

    /// The linked node `id` names.
    fn linked(&self, id: Id) -> Result<&Node, RegError> {
        match self.node(id.index) {
            Some(n) if n.state != State::Free && n.gen == id.gen => Ok(n),
            _ => Err(RegError::StaleId),
        }
    }

    fn linked_mut(&mut self, id: Id) -> Result<&mut Node, RegError> {
        match self.node_mut(id.index) {
            Some(n) if n.state != State::Free && n.gen == id.gen => Ok(n),
            _ => Err(RegError::StaleId),
        }
    }

    fn id_of(&self, i: u16) -> Option<Id> {
        self.node(i).map(|n| Id {
            index: i,
            gen: n.gen,
        })
    }

    /// Takes a slot: a never-used one first, then the longest-free one.
    fn alloc(&mut self) -> Result<u16, RegError> {
        if usize::from(self.fresh) < N {
            let i = self.fresh;
            // Below N <= 0xffff: no overflow.
            self.fresh = i.saturating_add(1);
            return Ok(i);
        }
        let i = self.free_head.ok_or(RegError::Full)?;
        let next = self.node(i).and_then(|n| n.next);
        self.free_head = next;
        if next.is_none() {
            self.free_tail = None;
        }
        Ok(i)
    }

    /// Puts an unlinked slot on the free queue with a new generation.
    fn free_slot(&mut self, i: u16) {
        let Some(n) = self.node_mut(i) else { return };
        let gen = match n.gen.wrapping_add(1) {
            0 => 1,
            g => g,
        };
        *n = Node { gen, ..Node::EMPTY };
        match self.free_tail.and_then(|t| self.node_mut(t)) {
            Some(t) => t.next = Some(i),
            None => self.free_head = Some(i),
        }
        self.free_tail = Some(i);
    }

    /// Links slot `i` at the tail of the node list.
    fn append(&mut self, i: u16) {
        let tail = self.tail;
        if let Some(n) = self.node_mut(i) {
            n.prev = tail;
            n.next = None;
        }
        match tail.and_then(|t| self.node_mut(t)) {
            Some(t) => t.next = Some(i),
            None => self.head = Some(i),
        }
        self.tail = Some(i);
    }

    /// Unlinks slot `i` from the node list.
    fn unlink(&mut self, i: u16) {
        let Some(&Node { prev, next, .. }) = self.node(i) else {
            return;
        };
        match prev.and_then(|p| self.node_mut(p)) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match next.and_then(|n| self.node_mut(n)) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    /// Frees slot `i` if it is dead and unreferenced, then each ancestor that
    /// this leaves dead and unreferenced.
    fn release_from(&mut self, i: u16) -> Option<Released> {
        let mut out = Released::new();
        let mut cur = Some(i);
        while let Some(i) = cur {
            let Some(&n) = self.node(i) else { break };
            if n.state != State::Dead || n.refs != 0 || n.children != 0 {
                break;
            }
            // Each step goes one level up, so at most MAX_DEPTH steps.
            if !out.push(Freed {
                id: Id {
                    index: i,
                    gen: n.gen,
                },
                kind: n.kind,
            }) {
                break;
            }
            self.unlink(i);
            self.free_slot(i);
            self.orphans = self.orphans.saturating_sub(1);
            cur = n.parent;
            if let Some(p) = cur.and_then(|p| self.node_mut(p)) {
                p.children = p.children.saturating_sub(1);
            }
        }
        if out.is_empty() {
            None
        } else {
            Some(out)
        }
    }

    /// Adds a live node tagged `kind`, as a child of `parent` (which must be
    /// live) or as a root. The registry holds one reference on it; the child
    /// holds one on its parent until the child is freed.
    pub fn add(&mut self, parent: Option<Id>, kind: u8) -> Result<Id, RegError> {
        let (depth, parent_children) = match parent {
            None => (1, None),
            Some(p) => {
                let n = self.linked(p)?;
                if n.state == State::Dead {
                    return Err(RegError::ParentGone);
                }
                if usize::from(n.depth) >= MAX_DEPTH {
                    return Err(RegError::TooDeep);
                }
                let children = n.children.checked_add(1).ok_or(RegError::RefOverflow)?;
                (n.depth.saturating_add(1), Some((p.index, children)))
            }
        };
        let i = self.alloc()?;
        if let Some((p, children)) = parent_children {
            if let Some(p) = self.node_mut(p) {
                p.children = children;
            }
        }
        let mut id = Id { index: i, gen: 0 };
        if let Some(n) = self.node_mut(i) {
            *n = Node {
                state: State::Live,
                gen: n.gen,
                kind,
                depth,
                parent: parent.map(|p| p.index),
                ..Node::EMPTY
            };
            id.gen = n.gen;
        }
        self.append(i);
        // At most N <= 0xffff nodes: no overflow.
        self.live = self.live.saturating_add(1);
        Ok(id)
    }

    /// Removes a live node: lookups and walks no longer return it, and the
    /// registry drops its reference. Returns the slots this freed, if the
    /// node was unreferenced (otherwise it stays linked as an orphan until
    /// its last reference goes).
    pub fn remove(&mut self, id: Id) -> Result<Option<Released>, RegError> {
        let n = self.linked_mut(id)?;
        if n.state == State::Dead {
            return Err(RegError::Removed);
        }
        n.state = State::Dead;
        self.live = self.live.saturating_sub(1);
        self.orphans = self.orphans.saturating_add(1);
        Ok(self.release_from(id.index))
    }

    /// Takes a reference on the live node `id`: the slot stays this node's
    /// until [`Registry::put`], even if it is removed meanwhile.
    pub fn get(&mut self, id: Id) -> Result<(), RegError> {
        let n = self.linked_mut(id)?;
        if n.state == State::Dead {
            return Err(RegError::Removed);
        }
        n.refs = n.refs.checked_add(1).ok_or(RegError::RefOverflow)?;
        Ok(())
    }

    /// Drops a reference taken by [`Registry::get`] or a walk, on a live or
    /// removed node. Returns the slots this freed, if any.
    pub fn put(&mut self, id: Id) -> Result<Option<Released>, RegError> {
        let n = self.linked_mut(id)?;
        n.refs = n.refs.checked_sub(1).ok_or(RegError::NoRef)?;
        Ok(self.release_from(id.index))
    }

    /// The first live node at or after `from` in list order.
    fn next_live(&self, mut from: Option<u16>) -> Option<u16> {
        // The list has at most N nodes; the bound only guards against a
        // broken invariant.
        for _ in 0..N {
            let i = from?;
            let n = self.node(i)?;
            if n.state == State::Live {
                return Some(i);
            }
            from = n.next;
        }
        None
    }

    /// Takes a reference on linked slot `i`, returning its id.
    fn take_ref(&mut self, i: u16) -> Result<Id, RegError> {
        let n = self.node_mut(i).ok_or(RegError::StaleId)?;
        n.refs = n.refs.checked_add(1).ok_or(RegError::RefOverflow)?;
        Ok(Id {
            index: i,
            gen: n.gen,
        })
    }

    /// Starts a walk: the first live node, with a reference taken on it, or
    /// `None` if there is none. Fails only if that node has [`MAX_REFS`]
    /// references already.
    pub fn walk_first(&mut self) -> Result<Option<Id>, RegError> {
        match self.next_live(self.head) {
            Some(i) => self.take_ref(i).map(Some),
            None => Ok(None),
        }
    }

    /// Steps a walk from `cur`, on which the walk holds a reference (`cur`
    /// may have been removed since): takes a reference on the next live node
    /// in list order and drops the one on `cur`. Returns the next node (`None`
    /// at the end: the walk is over and holds nothing) and the slots that
    /// dropping `cur` freed.
    ///
    /// On error nothing changed and the walk still holds `cur`: `StaleId` or
    /// `NoRef` if `cur` is not a referenced node, `RefOverflow` if the next
    /// node has [`MAX_REFS`] references.
    pub fn walk_next(&mut self, cur: Id) -> Result<(Option<Id>, Option<Released>), RegError> {
        let n = self.linked(cur)?;
        if n.refs == 0 {
            return Err(RegError::NoRef);
        }
        let next = match self.next_live(n.next) {
            Some(i) => Some(self.take_ref(i)?),
            None => None,
        };
        // Cannot fail: `cur` is linked with a reference.
        let released = self.put(cur)?;
        Ok((next, released))
    }

    fn info_of(&self, i: u16) -> Option<NodeInfo> {
        let n = self.node(i)?;
        if n.state == State::Free {
            return None;
        }
        Some(NodeInfo {
            id: Id {
                index: i,
                gen: n.gen,
            },
            parent: n.parent.and_then(|p| self.id_of(p)),
            kind: n.kind,
            depth: n.depth,
            refs: n.refs,
            children: n.children,
            removed: n.state == State::Dead,
        })
    }

    /// What the registry knows about the linked node `id`, live or removed
    /// (for diagnostics: this is not a lookup and takes no reference).
    pub fn info(&self, id: Id) -> Result<NodeInfo, RegError> {
        self.linked(id)?;
        self.info_of(id.index).ok_or(RegError::StaleId)
    }

    /// Iterates over the linked nodes in list order, live and removed.
    pub fn linked_nodes(&self) -> impl Iterator<Item = NodeInfo> + '_ {
        let mut cur = self.head;
        let mut left = N;
        core::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            let info = self.info_of(cur?)?;
            cur = self.node(info.id.index).and_then(|n| n.next);
            Some(info)
        })
    }

    /// Iterates over the orphans (removed, still referenced) in list order,
    /// e.g. for a debugfs listing.
    pub fn orphans(&self) -> impl Iterator<Item = NodeInfo> + '_ {
        self.linked_nodes().filter(|n| n.removed)
    }

    /// Checks every invariant of the registry; `false` means a bug. O(N²),
    /// for tests and debugging.
    pub fn check(&self) -> bool {
        let (mut live, mut dead, mut linked) = (0usize, 0usize, 0usize);
        let mut prev: Option<u16> = None;
        let mut cur = self.head;
        while let Some(i) = cur {
            let Some(n) = self.node(i) else { return false };
            linked = linked.saturating_add(1);
            if linked > N || n.prev != prev || n.gen == 0 {
                return false;
            }
            match n.state {
                State::Free => return false,
                State::Live => live = live.saturating_add(1),
                State::Dead => {
                    dead = dead.saturating_add(1);
                    if n.refs == 0 && n.children == 0 {
                        return false;
                    }
                }
            }
            match n.parent {
                None => {
                    if n.depth != 1 {
                        return false;
                    }
                }
                Some(p) => {
                    // The parent is linked, before the child.
                    if !self.precedes(p, i) {
                        return false;
                    }
                    match self.node(p) {
                        Some(pn) if pn.depth.checked_add(1) == Some(n.depth) => {}
                        _ => return false,
                    }
                }
            }
            if usize::from(n.depth) > MAX_DEPTH || n.depth == 0 {
                return false;
            }
            let children = self
                .linked_nodes()
                .filter(|c| c.parent.map(|p| p.index) == Some(i))
                .count();
            if children != usize::from(n.children) {
                return false;
            }
            prev = Some(i);
            cur = n.next;
        }
        if self.tail != prev || live != self.live_count() || dead != self.orphan_count() {
            return false;
        }
        let mut free = 0usize;
        let mut last = None;
        let mut cur = self.free_head;
        while let Some(i) = cur {
            let Some(n) = self.node(i) else { return false };
            free = free.saturating_add(1);
            if free > N || n.state != State::Free || i >= self.fresh || n.gen == 0 {
                return false;
            }
            last = Some(i);
            cur = n.next;
        }
        let never = N.saturating_sub(usize::from(self.fresh));
        let never_free = self
            .nodes
            .iter()
            .skip(usize::from(self.fresh))
            .all(|n| n.state == State::Free);
        self.free_tail == last
            && never_free
            && usize::from(self.fresh) <= N
            && linked.saturating_add(free).saturating_add(never) == N
    }

    /// Whether linked slot `a` comes before linked slot `b` in the list.
    fn precedes(&self, a: u16, b: u16) -> bool {
        let mut cur = self.head;
        for _ in 0..N {
            let Some(i) = cur else { return false };
            if i == b {
                return false;
            }
            if i == a {
                return true;
            }
            cur = self.node(i).and_then(|n| n.next);
        }
        false
    }
}
