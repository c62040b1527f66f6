//! What RIFE's GPU stage keeps between calls, as pure bookkeeping over any value type (device
//! buffers in the run, plain numbers in the tests): the encoder's features of the current pair's
//! source frames ([`FeatureCache`]); its timesteps and cut metrics are kept in
//! [`crate::recent::Recent`].

/// The encoder's features of the (at most two) source frames of the current pair, by source
/// index, as the CPU interpolator keeps its encoded frames: a frame is encoded when a pair needs
/// it and its features are not held, and kept while the next pair still uses it; the features of
/// a frame outside the pair are dropped, their storage handed back for the next encoding.
#[derive(Debug)]
pub struct FeatureCache<V> {
    held: Vec<(usize, V)>,
    encodes: usize,
}

impl<V> Default for FeatureCache<V> {
    fn default() -> Self {
        FeatureCache {
            held: Vec::with_capacity(2),
            encodes: 0,
        }
    }
}

impl<V> FeatureCache<V> {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The features of `pair`'s two source frames, first frame first: those held are reused, the
    /// others made by `encode(index, spare)` (first frame first; `spare`: the storage of a dropped
    /// frame to reuse, `None`: allocate), and the features of every other frame are dropped. On
    /// an error the cache is left empty: the next pair encodes both of its frames.
    pub fn pair_or_encode<E>(
        &mut self,
        (first, second): (usize, usize),
        mut encode: impl FnMut(usize, Option<V>) -> Result<V, E>,
    ) -> Result<(&V, &V), E> {
        let (mut a, mut b, mut spare) = (None, None, Vec::new());
        for (index, value) in self.held.drain(..) {
            if index == first {
                a = Some(value);
            } else if index == second {
                b = Some(value);
            } else {
                spare.push(value);
            }
        }
        let mut made = |index, held: Option<V>| match held {
            Some(value) => Ok(value),
            None => {
                let value = encode(index, spare.pop())?;
                self.encodes += 1;
                Ok(value)
            }
        };
        let a = made(first, a)?;
        if first == second {
            self.held.push((first, a));
            let only = &self.held[0].1;
            return Ok((only, only));
        }
        let b = made(second, b)?;
        self.held.extend([(first, a), (second, b)]);
        Ok((&self.held[0].1, &self.held[1].1))
    }

    /// The source frames whose features are held, in the order of the last pair.
    pub fn held(&self) -> Vec<usize> {
        self.held.iter().map(|(i, _)| *i).collect()
    }

    /// How many times `encode` made features: the encoder's runs.
    pub fn encodes(&self) -> usize {
        self.encodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the blend sequence `pairs` through a cache whose "features" are buffer ids: returns
    /// the frames encoded per pair, the buffers allocated, and the cache.
    fn encode_plan(pairs: &[(usize, usize)]) -> (Vec<Vec<usize>>, usize, FeatureCache<usize>) {
        let mut cache = FeatureCache::new();
        let mut allocated = 0;
        let mut plan = Vec::new();
        for &pair in pairs {
            let mut encoded = Vec::new();
            let (a, b) = cache
                .pair_or_encode(pair, |index, spare| {
                    encoded.push(index);
                    Ok::<_, ()>(spare.unwrap_or_else(|| {
                        allocated += 1;
                        allocated
                    }))
                })
                .unwrap();
            assert_ne!(a, b, "two frames never share a buffer");
            plan.push(encoded);
        }
        (plan, allocated, cache)
    }

    #[test]
    fn each_source_frame_is_encoded_once_across_its_pairs_and_timesteps() {
        // 2x, then 4x: a pair repeats for every timestep, and pairs advance by one frame.
        let pairs = [(0, 1), (1, 2), (1, 2), (1, 2), (2, 3), (3, 4)];
        let (plan, allocated, cache) = encode_plan(&pairs);
        let want: [&[usize]; 6] = [&[0, 1], &[2], &[], &[], &[3], &[4]];
        assert_eq!(plan, want);
        assert_eq!(cache.encodes(), 5, "one run per source frame");
        assert_eq!(allocated, 2, "the dropped frame's buffer is reused");
        assert_eq!(cache.held(), [3, 4]);
    }

    #[test]
    fn frames_left_behind_are_dropped_and_skipped_frames_never_encoded() {
        // An exact retime to a lower rate skips source frames 2 and 4; then a seek goes back.
        let pairs = [(0, 1), (1, 3), (3, 5), (0, 1)];
        let (plan, allocated, cache) = encode_plan(&pairs);
        let want: [&[usize]; 4] = [&[0, 1], &[3], &[5], &[0, 1]];
        assert_eq!(plan, want);
        assert_eq!((allocated, cache.encodes()), (2, 6));
        assert_eq!(cache.held(), [0, 1]);
        let mut cache = FeatureCache::new();
        let mut runs = 0;
        let (a, b) = cache
            .pair_or_encode((7, 7), |_, _| {
                runs += 1;
                Ok::<_, ()>(70)
            })
            .unwrap();
        assert_eq!(
            (a, b, runs),
            (&70, &70, 1),
            "a frame paired with itself: once"
        );
    }

    #[test]
    fn a_failed_encoding_leaves_nothing_half_held() {
        let mut cache = FeatureCache::new();
        cache.pair_or_encode((0, 1), |i, _| Ok::<_, ()>(i)).unwrap();
        let failed = cache.pair_or_encode((1, 2), |i, _| Err(format!("frame {i}")));
        assert_eq!(failed, Err("frame 2".to_string()));
        assert!(cache.held().is_empty());
        assert_eq!(cache.encodes(), 2, "the failed run is not counted");
        let mut encoded = Vec::new();
        cache
            .pair_or_encode((1, 2), |i, _| {
                encoded.push(i);
                Ok::<_, ()>(i)
            })
            .unwrap();
        assert_eq!(encoded, [1, 2]);
    }
}
