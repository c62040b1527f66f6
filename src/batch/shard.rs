//! A stable share of the clips for one of N machines, with no coordinator: a clip belongs to
//! shard `hash(file name) mod N`, so adding or removing a clip never moves the others.

use sha2::{Digest, Sha256};

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// Why a shard could not be worked out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    #[error("`{0}` is not a shard: use I/N with 0 <= I < N (e.g. 0/4), or `auto`")]
    Syntax(String),
    #[error(
        "--shard auto: no array index in the environment (looked for JOB_COMPLETION_INDEX and \
         JOB_COMPLETIONS of a Kubernetes Indexed Job, and SLURM_ARRAY_TASK_ID and \
         SLURM_ARRAY_TASK_COUNT of a Slurm array)"
    )]
    NoEnvironment,
    #[error("--shard auto: {0} is set but {1} is not (set it to the number of shards)")]
    Missing(&'static str, &'static str),
    #[error("--shard auto: {name}=`{value}` is not a whole number")]
    NotANumber { name: &'static str, value: String },
    #[error(
        "--shard auto: index {index} is not below the count {count} (a Slurm array must be a \
         range with one step, such as --array=0-7)"
    )]
    OutOfRange { index: u64, count: u64 },
}

impl Shard {
    /// The whole batch.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(text: &str) -> Result<Self, ShardError> {
        let bad = || ShardError::Syntax(text.to_string());
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard of an array job, from its environment (`var` looks a variable up): a Kubernetes
    /// Indexed Job (`JOB_COMPLETION_INDEX`, with `JOB_COMPLETIONS` set in the manifest) or a
    /// Slurm array (`SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN`, divided by
    /// `SLURM_ARRAY_TASK_STEP`, of `SLURM_ARRAY_TASK_COUNT`).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ShardError> {
        let number = |name: &'static str| -> Result<Option<u64>, ShardError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| ShardError::NotANumber { name, value: v }),
            }
        };
        let (index, count) = if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = number("JOB_COMPLETIONS")?.ok_or(ShardError::Missing(
                "JOB_COMPLETION_INDEX",
                "JOB_COMPLETIONS",
            ))?;
            (index, count)
        } else if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let count = number("SLURM_ARRAY_TASK_COUNT")?.ok_or(ShardError::Missing(
                "SLURM_ARRAY_TASK_ID",
                "SLURM_ARRAY_TASK_COUNT",
            ))?;
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let offset = id
                .checked_sub(min)
                .ok_or(ShardError::OutOfRange { index: id, count })?;
            if offset % step != 0 {
                return Err(ShardError::OutOfRange { index: id, count });
            }
            (offset / step, count)
        } else {
            return Err(ShardError::NoEnvironment);
        };
        if index >= count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether the clip named `name` (an input file name) is in this shard.
    pub fn owns(&self, name: &str) -> bool {
        let digest = Sha256::digest(name.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_name_has_exactly_one_shard_and_the_split_is_stable() {
        let names: Vec<String> = (0..200).map(|i| format!("clip{i:03}.mp4")).collect();
        let shards: Vec<Shard> = (0..4).map(|index| Shard { index, count: 4 }).collect();
        let mut sizes = [0usize; 4];
        for name in &names {
            let owners: Vec<_> = shards.iter().filter(|s| s.owns(name)).collect();
            assert_eq!(owners.len(), 1, "{name}");
            sizes[owners[0].index as usize] += 1;
        }
        assert!(sizes.iter().all(|&n| n > 25), "a fair split: {sizes:?}");
        // Fixed values (SHA-256, first 8 bytes big-endian, mod N): the split must never change
        // between versions or machines, or shards of different versions would overlap.
        for (name, count, index) in [
            ("clip000.mp4", 4, 3),
            ("a.mp4", 4, 0),
            ("holiday.mov", 7, 3),
        ] {
            assert!(Shard { index, count }.owns(name), "{name}");
        }
        assert!(Shard::ALL.owns("anything.mkv"));
    }

    #[test]
    fn kubernetes_and_slurm_environments() {
        let k8s = [("JOB_COMPLETION_INDEX", "3"), ("JOB_COMPLETIONS", "5")];
        assert_eq!(Shard::from_env(env(&k8s)), Ok(Shard { index: 3, count: 5 }));
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(&slurm)),
            Ok(Shard { index: 2, count: 4 })
        );
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(&stepped)),
            Ok(Shard { index: 3, count: 4 })
        );
        assert_eq!(Shard::from_env(env(&[])), Err(ShardError::NoEnvironment));
        assert_eq!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")])),
            Err(ShardError::Missing(
                "JOB_COMPLETION_INDEX",
                "JOB_COMPLETIONS"
            ))
        );
        let over = [
            ("SLURM_ARRAY_TASK_ID", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(matches!(
            Shard::from_env(env(&over)),
            Err(ShardError::OutOfRange { .. })
        ));
        let junk = [("JOB_COMPLETION_INDEX", "a"), ("JOB_COMPLETIONS", "2")];
        assert!(matches!(
            Shard::from_env(env(&junk)),
            Err(ShardError::NotANumber { .. })
        ));
    }
}
