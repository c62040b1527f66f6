//! A small keyed memory that keeps the latest values and drops the oldest: the CUDA path's
//! per-stream events of a frame, and RIFE's timesteps and cut metrics on the device.

/// Small bounded memory of values by key, oldest dropped first; [`Recent::default`] keeps
/// every key (a handful: one event per CUDA stream).
#[derive(Debug)]
pub struct Recent<K, V> {
    entries: Vec<(K, V)>,
    capacity: usize,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent {
            entries: Vec::new(),
            capacity: usize::MAX,
        }
    }
}

impl<K: PartialEq, V> Recent<K, V> {
    /// An empty memory of at most `capacity` values (at least one).
    pub fn new(capacity: usize) -> Self {
        Recent {
            entries: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`, when kept.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, made by `make` and kept when missing.
    pub fn get_or_try_insert<E>(
        &mut self,
        key: K,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<&V, E> {
        let at = match self.entries.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let value = make()?;
                self.insert(key, value);
                self.entries.len() - 1
            }
        };
        Ok(&self.entries[at].1)
    }

    /// Keeps `value` for `key` (replacing an earlier one), dropping the oldest when full.
    pub fn insert(&mut self, key: K, value: V) {
        self.entries.retain(|(k, _)| *k != key);
        if self.entries.len() == self.capacity {
            self.entries.remove(0);
        }
        self.entries.push((key, value));
    }

    /// Every kept value, oldest first.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The number of values kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_values_are_found_and_the_oldest_dropped() {
        let mut r = Recent::new(2);
        r.insert((0, 1), 0.5);
        r.insert((1, 2), 0.25);
        assert_eq!(r.get(&(0, 1)), Some(&0.5));
        r.insert((1, 2), 0.75);
        assert_eq!((r.entries.len(), r.get(&(1, 2))), (2, Some(&0.75)));
        r.insert((2, 3), 0.0);
        assert_eq!(r.get(&(0, 1)), None);
        assert_eq!(r.get(&(2, 3)), Some(&0.0));
        let made: Result<&f64, ()> = r.get_or_try_insert((2, 3), || Err(()));
        assert_eq!(made, Ok(&0.0));
        assert_eq!(r.get_or_try_insert((5, 6), || Err("no")), Err("no"));
        assert_eq!(r.get_or_try_insert((5, 6), || Ok::<_, ()>(1.0)), Ok(&1.0));
        assert_eq!(r.get(&(1, 2)), None);
    }
}
