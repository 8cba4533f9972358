// SPDX-License-Identifier: GPL-2.0
//! Host tests of the error-source registry: references, stale ids, parents
//! kept by children, walks with a sliding reference, orphans, no leaks; a
//! randomized comparison with a naive model. With `--cfg loom`, a walker
//! races a remover under loom.

#[cfg(not(loom))]
mod std_tests {
    use lastwords_core::registry::{
        Freed, Id, NodeInfo, RegError, Registry, Released, MAX_DEPTH, MAX_REFS,
    };

    fn freed(r: Option<Released>) -> Vec<Id> {
        r.map(|r| r.iter().map(|f| f.id).collect())
            .unwrap_or_default()
    }

    fn assert_empty<const N: usize>(reg: &Registry<N>) {
        assert!(reg.check());
        assert_eq!(reg.live_count(), 0);
        assert_eq!(reg.orphan_count(), 0);
        assert_eq!(reg.free_count(), N);
        assert_eq!(reg.linked_nodes().count(), 0);
    }

    /// Walks to the end, returning the nodes visited and those freed.
    fn walk_all<const N: usize>(reg: &mut Registry<N>) -> (Vec<Id>, Vec<Id>) {
        let (mut seen, mut gone) = (Vec::new(), Vec::new());
        let mut cur = reg.walk_first().unwrap();
        while let Some(c) = cur {
            seen.push(c);
            let (next, rel) = reg.walk_next(c).unwrap();
            gone.extend(freed(rel));
            cur = next;
        }
        (seen, gone)
    }

    #[test]
    fn add_get_put_remove() {
        let mut reg: Registry<4> = Registry::new();
        assert_empty(&reg);
        assert_eq!(reg.capacity(), 4);
        let a = reg.add(None, 7).unwrap();
        assert_eq!(reg.live_count(), 1);
        assert_eq!(reg.free_count(), 3);
        let info = reg.info(a).unwrap();
        assert_eq!(
            info,
            NodeInfo {
                id: a,
                parent: None,
                kind: 7,
                depth: 1,
                refs: 0,
                children: 0,
                removed: false,
            }
        );
        reg.get(a).unwrap();
        reg.get(a).unwrap();
        assert_eq!(reg.info(a).unwrap().refs, 2);
        assert_eq!(reg.put(a).unwrap(), None);
        // Removed with a reference held: an orphan, no longer looked up.
        assert_eq!(reg.remove(a).unwrap(), None);
        assert_eq!(reg.live_count(), 0);
        assert_eq!(reg.orphan_count(), 1);
        assert_eq!(reg.get(a), Err(RegError::Removed));
        assert_eq!(reg.remove(a), Err(RegError::Removed));
        assert!(reg.info(a).unwrap().removed);
        assert!(reg.check());
        // The last reference frees it and says so.
        let rel = reg.put(a).unwrap().unwrap();
        assert_eq!(rel.as_slice(), &[Freed { id: a, kind: 7 }]);
        assert_eq!(rel.len(), 1);
        assert!(!rel.is_empty());
        assert_eq!((&rel).into_iter().count(), 1);
        assert_empty(&reg);
        // Removing an unreferenced node frees it at once.
        let b = reg.add(None, 8).unwrap();
        assert_eq!(freed(reg.remove(b).unwrap()), [b]);
        assert_empty(&reg);
    }

    #[test]
    fn stale_ids_are_rejected() {
        let mut reg: Registry<2> = Registry::new();
        let a = reg.add(None, 1).unwrap();
        assert_eq!(freed(reg.remove(a).unwrap()), [a]);
        // Every operation refuses the freed id.
        assert_eq!(reg.get(a), Err(RegError::StaleId));
        assert_eq!(reg.put(a), Err(RegError::StaleId));
        assert_eq!(reg.remove(a), Err(RegError::StaleId));
        assert_eq!(reg.info(a), Err(RegError::StaleId));
        assert_eq!(reg.walk_next(a), Err(RegError::StaleId));
        assert_eq!(reg.add(Some(a), 0), Err(RegError::StaleId));
        // Fill both slots so that a's slot is reused: the old id stays stale.
        let b = reg.add(None, 2).unwrap();
        let c = reg.add(None, 3).unwrap();
        assert_eq!(c.index(), a.index(), "the freed slot is reused");
        assert_ne!(c.generation(), a.generation());
        assert_eq!(reg.get(a), Err(RegError::StaleId));
        assert_eq!(reg.remove(a), Err(RegError::StaleId));
        assert_eq!(reg.info(c).unwrap().kind, 3);
        // Ids naming no slot, or a never-used one.
        for bad in [
            Id::from_u32(0),
            Id::from_u32(0xffff_ffff),
            Id::from_u32((1 << 16) | 5),
        ] {
            assert_eq!(reg.get(bad), Err(RegError::StaleId), "{bad:?}");
            assert_eq!(reg.put(bad), Err(RegError::StaleId));
            assert_eq!(reg.walk_next(bad), Err(RegError::StaleId));
        }
        let mut big: Registry<8> = Registry::new();
        assert_eq!(big.get(Id::from_u32((1 << 16) | 5)), Err(RegError::StaleId));
        for id in [b, c] {
            assert_eq!(freed(reg.remove(id).unwrap()), [id]);
        }
        assert_empty(&reg);
    }

    #[test]
    fn id_packing() {
        let mut reg: Registry<3> = Registry::new();
        let ids: Vec<Id> = (0..3).map(|k| reg.add(None, k).unwrap()).collect();
        for id in ids {
            assert_ne!(id.to_u32(), 0);
            assert_eq!(Id::from_u32(id.to_u32()), id);
            assert_eq!(id.to_u32() & 0xffff, id.index() as u32);
            assert_eq!(id.to_u32() >> 16, u32::from(id.generation()));
        }
    }

    #[test]
    fn full_then_oldest_free_slot_reused() {
        let mut reg: Registry<3> = Registry::new();
        let ids: Vec<Id> = (0..3).map(|k| reg.add(None, k).unwrap()).collect();
        assert_eq!(reg.add(None, 9), Err(RegError::Full));
        assert_eq!(reg.free_count(), 0);
        // An orphan still takes its slot.
        reg.get(ids[0]).unwrap();
        assert!(reg.remove(ids[0]).unwrap().is_none());
        assert_eq!(reg.add(None, 9), Err(RegError::Full));
        // Free slots 2 then 1: reuse takes 2 first (the longest free).
        assert_eq!(freed(reg.remove(ids[2]).unwrap()), [ids[2]]);
        assert_eq!(freed(reg.remove(ids[1]).unwrap()), [ids[1]]);
        let x = reg.add(None, 10).unwrap();
        let y = reg.add(None, 11).unwrap();
        assert_eq!((x.index(), y.index()), (2, 1));
        assert_eq!(reg.add(None, 12), Err(RegError::Full));
        assert!(reg.check());
        assert_eq!(freed(reg.put(ids[0]).unwrap()), [ids[0]]);
        for id in [x, y] {
            assert_eq!(freed(reg.remove(id).unwrap()), [id]);
        }
        assert_empty(&reg);
    }

    #[test]
    fn zero_capacity_is_always_full() {
        let mut reg: Registry<0> = Registry::new();
        assert_eq!(reg.add(None, 0), Err(RegError::Full));
        assert_eq!(reg.walk_first(), Ok(None));
        assert_eq!(reg.get(Id::from_u32(1 << 16)), Err(RegError::StaleId));
        assert_empty(&reg);
    }

    #[test]
    fn parent_kept_alive_by_children() {
        let mut reg: Registry<4> = Registry::new();
        let plat = reg.add(None, 1).unwrap();
        let s1 = reg.add(Some(plat), 2).unwrap();
        let s2 = reg.add(Some(plat), 2).unwrap();
        assert_eq!(reg.info(plat).unwrap().children, 2);
        assert_eq!(reg.info(s1).unwrap().parent, Some(plat));
        assert_eq!(reg.info(s1).unwrap().depth, 2);
        // Removing the platform leaves it as an orphan while sources exist.
        assert_eq!(reg.remove(plat).unwrap(), None);
        assert_eq!(reg.orphan_count(), 1);
        assert_eq!(reg.add(Some(plat), 2), Err(RegError::ParentGone));
        assert_eq!(reg.get(plat), Err(RegError::Removed));
        // Children still live and walkable; the platform is not.
        assert_eq!(walk_all(&mut reg), (vec![s1, s2], vec![]));
        assert_eq!(reg.remove(s1).unwrap().map(|r| r.len()), Some(1));
        // The last child frees the platform too, child first.
        reg.get(s2).unwrap();
        assert_eq!(reg.remove(s2).unwrap(), None);
        let rel = reg.put(s2).unwrap().unwrap();
        assert_eq!(
            rel.as_slice(),
            &[Freed { id: s2, kind: 2 }, Freed { id: plat, kind: 1 }]
        );
        assert_empty(&reg);
    }

    #[test]
    fn cascade_frees_a_whole_chain() {
        let mut reg: Registry<{ MAX_DEPTH + 1 }> = Registry::new();
        let mut chain = vec![reg.add(None, 0).unwrap()];
        for d in 1..MAX_DEPTH {
            let parent = *chain.last().unwrap();
            chain.push(reg.add(Some(parent), d as u8).unwrap());
        }
        let leaf = *chain.last().unwrap();
        assert_eq!(reg.info(leaf).unwrap().depth as usize, MAX_DEPTH);
        assert_eq!(reg.add(Some(leaf), 9), Err(RegError::TooDeep));
        // Every ancestor removed first: all orphans, kept by the leaf.
        for &id in &chain[..MAX_DEPTH - 1] {
            assert_eq!(reg.remove(id).unwrap(), None);
        }
        assert_eq!(reg.orphan_count(), MAX_DEPTH - 1);
        assert_eq!(reg.orphans().count(), MAX_DEPTH - 1);
        assert!(reg.check());
        let rel = reg.remove(leaf).unwrap().unwrap();
        let got: Vec<Id> = rel.iter().map(|f| f.id).collect();
        let want: Vec<Id> = chain.iter().rev().copied().collect();
        assert_eq!(got, want);
        assert_empty(&reg);
    }

    #[test]
    fn reference_overflow_is_an_error() {
        let mut reg: Registry<3> = Registry::new();
        let a = reg.add(None, 0).unwrap();
        let b = reg.add(None, 0).unwrap();
        for _ in 0..MAX_REFS {
            reg.get(b).unwrap();
        }
        assert_eq!(reg.get(b), Err(RegError::RefOverflow));
        assert_eq!(reg.info(b).unwrap().refs, MAX_REFS);
        // A walk cannot step onto b: it keeps its reference on a.
        let w = reg.walk_first().unwrap().unwrap();
        assert_eq!(w, a);
        assert_eq!(reg.walk_next(a), Err(RegError::RefOverflow));
        assert_eq!(reg.info(a).unwrap().refs, 1);
        assert!(reg.put(a).unwrap().is_none());
        // Nor start on it.
        assert!(reg.remove(a).unwrap().is_some());
        assert_eq!(reg.walk_first(), Err(RegError::RefOverflow));
        assert!(reg.check());
        for _ in 0..MAX_REFS {
            assert!(reg.put(b).unwrap().is_none());
        }
        assert_eq!(freed(reg.remove(b).unwrap()), [b]);
        assert_empty(&reg);
    }

    #[test]
    fn put_without_a_reference_is_refused() {
        let mut reg: Registry<2> = Registry::new();
        let a = reg.add(None, 0).unwrap();
        // The registry's own reference cannot be dropped by put().
        assert_eq!(reg.put(a), Err(RegError::NoRef));
        assert_eq!(reg.walk_next(a), Err(RegError::NoRef));
        assert_eq!(reg.live_count(), 1);
        // A parent's reference from its child is not the caller's either.
        let c = reg.add(Some(a), 0).unwrap();
        assert_eq!(reg.remove(a).unwrap(), None);
        assert_eq!(reg.put(a), Err(RegError::NoRef));
        assert_eq!(reg.orphan_count(), 1);
        assert_eq!(freed(reg.remove(c).unwrap()), [c, a]);
        assert_empty(&reg);
    }

    #[test]
    fn walk_visits_in_order_and_releases_its_reference() {
        let mut reg: Registry<5> = Registry::new();
        assert_eq!(reg.walk_first(), Ok(None));
        let p = reg.add(None, 0).unwrap();
        let a = reg.add(Some(p), 1).unwrap();
        let b = reg.add(None, 2).unwrap();
        let c = reg.add(Some(p), 3).unwrap();
        assert_eq!(walk_all(&mut reg), (vec![p, a, b, c], vec![]));
        for id in [p, a, b, c] {
            assert_eq!(reg.info(id).unwrap().refs, 0);
        }
        for id in [a, b, c, p] {
            assert!(reg.remove(id).unwrap().is_some());
        }
        assert_empty(&reg);
    }

    #[test]
    fn walk_survives_removal_of_current_and_next() {
        let mut reg: Registry<5> = Registry::new();
        let ids: Vec<Id> = (0..5).map(|k| reg.add(None, k).unwrap()).collect();
        let cur = reg.walk_first().unwrap().unwrap();
        assert_eq!(cur, ids[0]);
        // The current node is removed: it stays linked (an orphan) for the
        // walk, which steps past it and frees it.
        assert_eq!(reg.remove(ids[0]).unwrap(), None);
        assert_eq!(reg.orphans().map(|o| o.id).collect::<Vec<_>>(), [ids[0]]);
        let (next, rel) = reg.walk_next(cur).unwrap();
        assert_eq!(next, Some(ids[1]));
        assert_eq!(freed(rel), [ids[0]]);
        // The next nodes are removed: they are skipped.
        assert!(reg.remove(ids[2]).unwrap().is_some());
        assert!(reg.remove(ids[3]).unwrap().is_some());
        // A node after a removed-but-referenced node is still reached.
        reg.get(ids[1]).unwrap();
        assert_eq!(reg.remove(ids[1]).unwrap(), None);
        let (next, rel) = reg.walk_next(ids[1]).unwrap();
        assert_eq!(next, Some(ids[4]));
        assert_eq!(rel, None, "the get() reference keeps it");
        // The removed node is never returned again, even by a new walk.
        let (seen, _) = walk_all(&mut reg);
        assert_eq!(seen, [ids[4]]);
        let (next, rel) = reg.walk_next(ids[4]).unwrap();
        assert_eq!((next, rel), (None, None));
        assert_eq!(freed(reg.put(ids[1]).unwrap()), [ids[1]]);
        assert_eq!(freed(reg.remove(ids[4]).unwrap()), [ids[4]]);
        assert_empty(&reg);
    }

    #[test]
    fn walk_sees_additions_until_it_passes_the_tail() {
        let mut reg: Registry<5> = Registry::new();
        let a = reg.add(None, 0).unwrap();
        let cur = reg.walk_first().unwrap().unwrap();
        // Added while the walk is on a, before the tail: visited.
        let b = reg.add(None, 1).unwrap();
        let (next, _) = reg.walk_next(cur).unwrap();
        assert_eq!(next, Some(b));
        let (next, _) = reg.walk_next(b).unwrap();
        assert_eq!(next, None, "walk over");
        // Added after the walk passed the tail: not visited by it.
        let c = reg.add(None, 2).unwrap();
        // A new walk sees it, in list order.
        assert_eq!(walk_all(&mut reg).0, [a, b, c]);
        // A freed slot reused during a walk is a new node at the tail.
        let cur = reg.walk_first().unwrap().unwrap();
        assert!(reg.remove(a).unwrap().is_none());
        let d = reg.add(None, 3).unwrap();
        let e = reg.add(None, 4).unwrap();
        assert_eq!(reg.add(None, 5), Err(RegError::Full), "a is an orphan");
        let mut seen = vec![];
        let (mut c2, rel) = reg.walk_next(cur).unwrap();
        assert_eq!(freed(rel), [a]);
        while let Some(x) = c2 {
            seen.push(x);
            c2 = reg.walk_next(x).unwrap().0;
        }
        assert_eq!(seen, [b, c, d, e]);
        for id in [b, c, d, e] {
            assert!(reg.remove(id).unwrap().is_some());
        }
        assert_empty(&reg);
    }

    #[test]
    fn orphans_are_listed_then_freed() {
        let mut reg: Registry<6> = Registry::new();
        let p = reg.add(None, 1).unwrap();
        let s = reg.add(Some(p), 2).unwrap();
        let q = reg.add(None, 3).unwrap();
        let r = reg.add(None, 4).unwrap();
        reg.get(q).unwrap();
        assert!(reg.remove(p).unwrap().is_none()); // kept by s
        assert!(reg.remove(q).unwrap().is_none()); // kept by the get
        assert!(reg.remove(r).unwrap().is_some()); // freed at once
        let orphans: Vec<NodeInfo> = reg.orphans().collect();
        assert_eq!(orphans.len(), 2);
        assert_eq!(reg.orphan_count(), 2);
        assert_eq!(
            (orphans[0].id, orphans[0].children, orphans[0].refs),
            (p, 1, 0)
        );
        assert_eq!(
            (orphans[1].id, orphans[1].children, orphans[1].refs),
            (q, 0, 1)
        );
        assert!(orphans.iter().all(|o| o.removed));
        assert_eq!(reg.live_count(), 1);
        assert_eq!(reg.free_count(), 3);
        assert_eq!(freed(reg.put(q).unwrap()), [q]);
        assert_eq!(freed(reg.remove(s).unwrap()), [s, p]);
        assert_eq!(reg.orphans().count(), 0);
        assert_empty(&reg);
    }

    #[test]
    fn threads_walk_while_others_mutate() {
        use std::sync::{Arc, Mutex};
        const N: usize = 16;
        let reg = Arc::new(Mutex::new(Registry::<N>::new()));
        // Nodes that stay live throughout: every walk visits each once.
        let stable: Vec<Id> = {
            let mut g = reg.lock().unwrap();
            (0..4).map(|k| g.add(None, k).unwrap()).collect()
        };
        let walkers: Vec<_> = (0..2)
            .map(|_| {
                let reg = Arc::clone(&reg);
                let stable = stable.clone();
                std::thread::spawn(move || {
                    for _ in 0..300 {
                        let mut seen = vec![];
                        let mut cur = reg.lock().unwrap().walk_first().unwrap();
                        while let Some(c) = cur {
                            seen.push(c);
                            let (next, _rel) = reg.lock().unwrap().walk_next(c).unwrap();
                            cur = next;
                        }
                        for s in &stable {
                            assert_eq!(seen.iter().filter(|&x| x == s).count(), 1);
                        }
                        let mut sorted = seen.clone();
                        sorted.sort_by_key(|i| i.to_u32());
                        sorted.dedup();
                        assert_eq!(sorted.len(), seen.len(), "no node twice");
                    }
                })
            })
            .collect();
        let mutator = {
            let reg = Arc::clone(&reg);
            std::thread::spawn(move || {
                let mut mine: Vec<Id> = vec![];
                for i in 0..3000u32 {
                    let mut g = reg.lock().unwrap();
                    if i % 3 != 2 {
                        let parent = mine.first().copied().filter(|_| i % 2 == 0);
                        match g.add(parent, 9) {
                            Ok(id) => mine.push(id),
                            Err(e) => {
                                assert!(matches!(e, RegError::Full | RegError::TooDeep), "{e:?}")
                            }
                        }
                    } else if !mine.is_empty() {
                        let id = mine.remove((i as usize / 3) % mine.len());
                        let _ = g.remove(id).unwrap();
                    }
                    assert!(g.check());
                }
                let mut g = reg.lock().unwrap();
                for id in mine {
                    let _ = g.remove(id).unwrap();
                }
            })
        };
        for w in walkers {
            w.join().unwrap();
        }
        mutator.join().unwrap();
        let mut g = reg.lock().unwrap();
        assert_eq!(g.orphan_count(), 0, "walks left nothing behind");
        for s in stable {
            assert!(g.remove(s).unwrap().is_some());
        }
        assert_empty(&g);
    }

    // ---- Randomized comparison with a naive model ----

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// A linked node of the model.
    #[derive(Clone, Debug)]
    struct MNode {
        id: Id,
        parent: Option<Id>,
        kind: u8,
        depth: u8,
        refs: u16,
        children: u16,
        live: bool,
    }

    /// The naive model: the linked nodes in list order.
    #[derive(Default)]
    struct Model {
        list: Vec<MNode>,
    }

    impl Model {
        fn pos(&self, id: Id) -> Option<usize> {
            self.list.iter().position(|n| n.id == id)
        }

        fn node(&mut self, id: Id) -> Option<&mut MNode> {
            self.list.iter_mut().find(|n| n.id == id)
        }

        /// Frees `id` and its ancestors while dead and unreferenced.
        fn release(&mut self, mut id: Id) -> Vec<Freed> {
            let mut out = vec![];
            while let Some(p) = self.pos(id) {
                let n = &self.list[p];
                if n.live || n.refs != 0 || n.children != 0 {
                    break;
                }
                let n = self.list.remove(p);
                out.push(Freed {
                    id: n.id,
                    kind: n.kind,
                });
                let Some(parent) = n.parent else { break };
                self.node(parent).unwrap().children -= 1;
                id = parent;
            }
            out
        }

        fn add(&mut self, parent: Option<Id>, n: usize) -> Result<u8, RegError> {
            let depth = match parent {
                None => 1,
                Some(p) => {
                    let p = self
                        .list
                        .iter()
                        .find(|x| x.id == p)
                        .ok_or(RegError::StaleId)?;
                    if !p.live {
                        return Err(RegError::ParentGone);
                    }
                    if p.depth as usize >= MAX_DEPTH {
                        return Err(RegError::TooDeep);
                    }
                    p.depth + 1
                }
            };
            if self.list.len() == n {
                return Err(RegError::Full);
            }
            Ok(depth)
        }

        fn remove(&mut self, id: Id) -> Result<Vec<Freed>, RegError> {
            let n = self.node(id).ok_or(RegError::StaleId)?;
            if !n.live {
                return Err(RegError::Removed);
            }
            n.live = false;
            Ok(self.release(id))
        }

        fn get(&mut self, id: Id) -> Result<(), RegError> {
            let n = self.node(id).ok_or(RegError::StaleId)?;
            if !n.live {
                return Err(RegError::Removed);
            }
            n.refs = n.refs.checked_add(1).ok_or(RegError::RefOverflow)?;
            Ok(())
        }

        fn put(&mut self, id: Id) -> Result<Vec<Freed>, RegError> {
            let n = self.node(id).ok_or(RegError::StaleId)?;
            n.refs = n.refs.checked_sub(1).ok_or(RegError::NoRef)?;
            Ok(self.release(id))
        }

        fn first_live_from(&self, start: usize) -> Option<Id> {
            self.list.iter().skip(start).find(|n| n.live).map(|n| n.id)
        }

        fn walk_first(&mut self) -> Option<Id> {
            let id = self.first_live_from(0)?;
            self.node(id).unwrap().refs += 1;
            Some(id)
        }

        fn walk_next(&mut self, cur: Id) -> (Option<Id>, Vec<Freed>) {
            let p = self.pos(cur).expect("a walk's node stays linked");
            let next = self.first_live_from(p + 1);
            if let Some(n) = next {
                self.node(n).unwrap().refs += 1;
            }
            (next, self.put(cur).unwrap())
        }

        fn infos(&self) -> Vec<NodeInfo> {
            self.list
                .iter()
                .map(|n| NodeInfo {
                    id: n.id,
                    parent: n.parent,
                    kind: n.kind,
                    depth: n.depth,
                    refs: n.refs,
                    children: n.children,
                    removed: !n.live,
                })
                .collect()
        }
    }

    /// A walk in progress and what it must see.
    #[derive(Default)]
    struct Walk {
        cur: Option<Id>,
        /// Live when the walk started.
        start_live: Vec<Id>,
        /// Removed since the walk started.
        removed: Vec<Id>,
        seen: Vec<Id>,
    }

    fn rel_vec(r: Option<Released>) -> Vec<Freed> {
        r.map(|r| r.as_slice().to_vec()).unwrap_or_default()
    }

    fn run_model(seed: u64, steps: usize) {
        const N: usize = 10;
        let mut rng = XorShift(seed);
        let mut reg: Registry<N> = Registry::new();
        let mut model = Model::default();
        // References held by the test through get().
        let mut held: Vec<Id> = vec![];
        // Every id ever handed out (so stale ones get used too).
        let mut ever: Vec<Id> = vec![];
        let mut walks: [Walk; 2] = Default::default();
        let (mut added, mut freed_total, mut walks_done) = (0usize, 0usize, 0usize);

        let pick = |rng: &mut XorShift, ever: &Vec<Id>| -> Id {
            match rng.below(8) {
                0 => Id::from_u32(rng.next() as u32),
                _ if ever.is_empty() => Id::from_u32(0),
                _ => ever[rng.below(ever.len())],
            }
        };

        for step in 0..steps {
            match rng.below(10) {
                0..=2 => {
                    let parent = match rng.below(3) {
                        0 => None,
                        _ => Some(pick(&mut rng, &ever)),
                    };
                    let kind = rng.next() as u8;
                    let want = model.add(parent, N);
                    match reg.add(parent, kind) {
                        Ok(id) => {
                            let depth = want.expect("model agrees it can be added");
                            assert!(model.pos(id).is_none());
                            assert!(!ever.contains(&id), "ids are not reused");
                            assert!(id.index() < N);
                            if let Some(p) = parent {
                                model.node(p).unwrap().children += 1;
                            }
                            model.list.push(MNode {
                                id,
                                parent,
                                kind,
                                depth,
                                refs: 0,
                                children: 0,
                                live: true,
                            });
                            ever.push(id);
                            added += 1;
                        }
                        Err(e) => assert_eq!(Err(e), want.map(|_| ())),
                    }
                }
                3 | 4 => {
                    let id = pick(&mut rng, &ever);
                    let want = model.remove(id);
                    let got = reg.remove(id).map(rel_vec);
                    assert_eq!(got, want, "remove {id:?}");
                    if let Ok(f) = got {
                        freed_total += f.len();
                        for w in walks.iter_mut() {
                            w.removed.push(id);
                        }
                    }
                }
                5 => {
                    let id = pick(&mut rng, &ever);
                    let got = reg.get(id);
                    assert_eq!(got, model.get(id));
                    if got.is_ok() {
                        held.push(id);
                    }
                }
                6 => {
                    // Put a held reference, or a random id (then refused,
                    // unless a reference happens to be held on it).
                    let id = if !held.is_empty() && rng.below(4) != 0 {
                        held.swap_remove(rng.below(held.len()))
                    } else {
                        let id = pick(&mut rng, &ever);
                        if model.list.iter().any(|n| n.id == id && n.refs > 0) {
                            continue;
                        }
                        id
                    };
                    let got = reg.put(id).map(rel_vec);
                    assert_eq!(got, model.put(id));
                    freed_total += got.map(|f| f.len()).unwrap_or(0);
                }
                _ => {
                    let w = &mut walks[rng.below(2)];
                    match w.cur {
                        None => {
                            *w = Walk {
                                start_live: model
                                    .list
                                    .iter()
                                    .filter(|n| n.live)
                                    .map(|n| n.id)
                                    .collect(),
                                ..Walk::default()
                            };
                            let got = reg.walk_first().unwrap();
                            assert_eq!(got, model.walk_first());
                            w.cur = got;
                            w.seen.extend(got);
                        }
                        Some(c) => {
                            let (next, rel) = reg.walk_next(c).unwrap();
                            let rel = rel_vec(rel);
                            let (mnext, mrel) = model.walk_next(c);
                            assert_eq!((next, &rel), (mnext, &mrel));
                            freed_total += rel.len();
                            w.cur = next;
                            w.seen.extend(next);
                        }
                    }
                    if w.cur.is_none() {
                        for id in &w.start_live {
                            let times = w.seen.iter().filter(|&s| s == id).count();
                            if w.removed.contains(id) {
                                assert!(times <= 1);
                            } else {
                                assert_eq!(times, 1, "seed {seed} step {step}: {id:?}");
                            }
                        }
                        let mut s = w.seen.clone();
                        s.sort_by_key(|i| i.to_u32());
                        s.dedup();
                        assert_eq!(s.len(), w.seen.len(), "visited twice");
                        walks_done += 1;
                    } else if let Some(c) = w.cur {
                        assert!(!w.removed.contains(&c), "returned after removal");
                    }
                }
            }
            assert!(reg.check(), "seed {seed} step {step}");
            assert_eq!(reg.linked_nodes().collect::<Vec<_>>(), model.infos());
            let live = model.list.iter().filter(|n| n.live).count();
            assert_eq!(reg.live_count(), live);
            assert_eq!(reg.orphan_count(), model.list.len() - live);
            assert_eq!(reg.free_count(), N - model.list.len());
            assert_eq!(
                reg.orphans().map(|o| o.id).collect::<Vec<_>>(),
                model
                    .list
                    .iter()
                    .filter(|n| !n.live)
                    .map(|n| n.id)
                    .collect::<Vec<_>>()
            );
        }
        assert!(walks_done > 0);

        // Tear down: finish the walks, drop held references, remove all.
        for w in walks.iter_mut() {
            while let Some(c) = w.cur {
                let (next, rel) = reg.walk_next(c).unwrap();
                freed_total += rel.map(|r| r.len()).unwrap_or(0);
                w.cur = next;
            }
        }
        for id in held {
            freed_total += rel_vec(reg.put(id).unwrap()).len();
        }
        for id in ever {
            if let Ok(r) = reg.remove(id) {
                freed_total += rel_vec(r).len();
            }
        }
        assert_empty(&reg);
        assert_eq!(freed_total, added, "every node freed exactly once");
    }

    #[test]
    fn randomized_against_model() {
        for seed in 1..=40u64 {
            run_model(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 3000);
        }
    }
}

#[cfg(loom)]
mod loom_tests {
    use lastwords_core::registry::{Id, Registry};
    use loom::sync::{Arc, Mutex};

    /// A walker steps with sliding references while another thread removes
    /// a child, adds one and removes the platform under it. The nodes live
    /// throughout are visited exactly once, removed ones never after their
    /// removal, and in the end every node is freed exactly once.
    #[test]
    fn loom_registry_walker_vs_remove() {
        loom::model(|| {
            let mut reg: Registry<5> = Registry::new();
            let p = reg.add(None, 0).unwrap();
            let a = reg.add(Some(p), 1).unwrap();
            let b = reg.add(Some(p), 2).unwrap();
            let x = reg.add(None, 3).unwrap();
            let reg = Arc::new(Mutex::new(reg));

            let r2 = Arc::clone(&reg);
            let mutator = loom::thread::spawn(move || {
                let mut freed = 0;
                let mut g = r2.lock().unwrap();
                freed += g.remove(a).unwrap().map_or(0, |r| r.len());
                drop(g);
                let c = r2.lock().unwrap().add(Some(p), 4).unwrap();
                let mut g = r2.lock().unwrap();
                // p has live children: it stays, as an orphan.
                assert!(g.remove(p).unwrap().is_none());
                drop(g);
                (c, freed)
            });

            let mut seen: Vec<Id> = vec![];
            let mut freed = 0;
            let mut cur = reg.lock().unwrap().walk_first().unwrap();
            while let Some(c) = cur {
                seen.push(c);
                let mut g = reg.lock().unwrap();
                let (next, rel) = g.walk_next(c).unwrap();
                freed += rel.map_or(0, |r| r.len());
                // Returned under the same lock hold: it is live now.
                if let Some(n) = next {
                    assert!(!g.info(n).unwrap().removed);
                }
                cur = next;
            }
            let (c, mfreed) = mutator.join().unwrap();
            freed += mfreed;

            for id in [b, x] {
                assert_eq!(seen.iter().filter(|&&s| s == id).count(), 1);
            }
            for id in [p, a, c] {
                assert!(seen.iter().filter(|&&s| s == id).count() <= 1);
            }

            let mut g = reg.lock().unwrap();
            assert_eq!(g.orphan_count(), 1, "p, kept by b and c");
            for id in [b, x, c] {
                freed += g.remove(id).unwrap().map_or(0, |r| r.len());
            }
            assert!(g.check());
            assert_eq!(g.live_count(), 0);
            assert_eq!(g.orphan_count(), 0);
            assert_eq!(g.free_count(), 5);
            assert_eq!(freed, 5, "p, a, b, x and c each freed once");
        });
    }
}
