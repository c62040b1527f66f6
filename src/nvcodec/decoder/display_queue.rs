//! The pictures the parser has displayed and the caller has not mapped yet, with the two rules
//! that keep their surfaces intact, tested on the CPU with a simulated parser:
//!
//! - a displayed picture's surface is free again as far as the parser knows, so a later
//!   `cuvidDecodePicture` may pick it (`CurrPicIdx`) before the caller has mapped it: that decode
//!   is refused ([`QueueError::SurfaceStillQueued`]) instead of overwriting the picture (NVIDIA's
//!   older `cudaDecodeGL` sample waits on its frame queue for `CurrPicIdx` for the same reason);
//! - the queue can never hold more pictures than the decoder has surfaces.
//!
//! The end-of-stream flush shows every picture the decoded picture buffer still holds (up to 16
//! for H.264/HEVC) in one call and decodes nothing after, so it needs no other limit: an earlier
//! fixed limit of 8 failed deep-reorder streams on their last packet.

use std::collections::VecDeque;

/// Which decoder (one per sequence) and which of its surfaces a picture is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurfaceKey {
    /// Counts the decoders of one session; a new sequence gets a new decoder and new surfaces.
    pub decoder: u64,
    /// The parser's `picture_index` / `CurrPicIdx`.
    pub picture: i32,
}

/// Why a displayed picture or a decode was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error(
        "{queued} decoded pictures are waiting for a decoder of {surfaces} surfaces: \
         take frames out after every packet"
    )]
    Backlog { queued: usize, surfaces: u32 },
    #[error(
        "the parser decodes into surface {picture}, whose displayed picture was not taken out \
         yet: take frames out after every packet"
    )]
    SurfaceStillQueued { picture: i32 },
}

/// Displayed pictures, oldest first, each with the surface it is in.
#[derive(Debug)]
pub struct DisplayQueue<T> {
    entries: VecDeque<(SurfaceKey, T)>,
}

impl<T> Default for DisplayQueue<T> {
    fn default() -> Self {
        DisplayQueue {
            entries: VecDeque::new(),
        }
    }
}

impl<T> DisplayQueue<T> {
    /// The parser is about to decode into `key`: refused while a displayed picture is still in
    /// that surface.
    pub fn check_decode(&self, key: SurfaceKey) -> Result<(), QueueError> {
        if self.entries.iter().any(|(k, _)| *k == key) {
            return Err(QueueError::SurfaceStillQueued {
                picture: key.picture,
            });
        }
        Ok(())
    }

    /// The parser displayed the picture in `key`, of a decoder with `surfaces` decode surfaces.
    pub fn push(&mut self, key: SurfaceKey, surfaces: u32, value: T) -> Result<(), QueueError> {
        let same_decoder = self
            .entries
            .iter()
            .filter(|(k, _)| k.decoder == key.decoder)
            .count();
        if same_decoder >= surfaces as usize {
            return Err(QueueError::Backlog {
                queued: same_decoder + 1,
                surfaces,
            });
        }
        self.entries.push_back((key, value));
        Ok(())
    }

    /// The oldest displayed picture.
    pub fn pop(&mut self) -> Option<T> {
        self.entries.pop_front().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
#[path = "display_queue_tests.rs"]
mod tests;
