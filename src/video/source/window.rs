//! The processed window and the output clock: which decoded pictures and copied packets fall
//! inside `--start/--duration`, and how their times move so that the first kept frame is 0.

use ffmpeg_next as ff;

use super::{rational_time, DecodedFrame, Item, Source, VideoDecoder};
use crate::timeline::Rational;
use crate::video::VideoError;

impl<D: VideoDecoder> Source<D> {
    /// Moves a copied packet's timestamps so that the first kept video frame is time 0.
    pub(super) fn to_output_clock(&self, item: Item<D::Frame>) -> Item<D::Frame> {
        let Item::Packet(mut packet) = item else {
            return item;
        };
        let tb = self
            .input
            .stream(packet.stream())
            .map(|s| Rational::from(s.time_base()))
            .filter(|tb| tb.is_positive());
        if let (Some(tb), Some(origin)) = (tb, self.origin) {
            let shift = i64::try_from((origin / tb).round()).unwrap_or(0);
            packet.set_pts(packet.pts().map(|t| t - shift));
            packet.set_dts(packet.dts().map(|t| t - shift));
        }
        Item::Packet(packet)
    }

    /// Converts a decoded frame in the window and queues it.
    pub(super) fn accept(&mut self, frame: D::Picture) -> Result<(), VideoError> {
        let picture_time = self.decoder.time(&frame);
        let Some(ts) = picture_time.pts else {
            log::warn!(
                "{}: a decoded frame has no timestamp; skipped",
                self.path.display()
            );
            return Ok(());
        };
        let time = rational_time(ts, self.time_base);
        if self.start.is_some_and(|start| time < start) {
            return Ok(());
        }
        if self.end.is_some_and(|end| time >= end) {
            self.video_done = true;
            return Ok(());
        }
        let origin = *self.origin.get_or_insert(time);
        let duration = picture_time
            .duration
            .filter(|&d| d > 0)
            .map(|d| rational_time(d, self.time_base));
        let period = self.info.rate.recip().unwrap_or(Rational::ZERO);
        self.last_end = Some(time - origin + duration.unwrap_or(period));
        let rgb = self.decoder.convert(frame)?;
        self.queue.push_back(Item::Frame(DecodedFrame {
            time: time - origin,
            duration,
            rgb,
        }));
        Ok(())
    }

    /// After the video's window has ended: reads on for copied packets still inside the window
    /// (files need not interleave their streams), until each copied stream has passed the end.
    pub(super) fn read_copies_to_end(&mut self) -> Result<(), VideoError> {
        if self.open_copies.is_empty() {
            self.finished = true;
            return Ok(());
        }
        let mut packet = ff::Packet::empty();
        match packet.read(&mut self.input) {
            Ok(()) if packet.stream() != self.video => self.route(packet),
            Ok(()) => Ok(()),
            Err(ff::Error::Eof) => {
                self.finished = true;
                Ok(())
            }
            Err(e) => Err(VideoError::input(&self.path, "read", e)),
        }
    }

    /// Sends a video packet to the decoder, or queues a copied packet on the output clock.
    pub(super) fn route(&mut self, packet: ff::Packet) -> Result<(), VideoError> {
        let index = packet.stream();
        if index == self.video {
            if !self.decoder.send(&packet)? {
                log::warn!(
                    "{}: a corrupt video packet was skipped",
                    self.path.display()
                );
            }
            return Ok(());
        }
        if !self.copied.contains(&index) {
            return Ok(());
        }
        let Some(stream) = self.input.stream(index) else {
            return Ok(());
        };
        let tb = Rational::from(stream.time_base());
        if let Some(ts) = packet.pts().or(packet.dts()) {
            let time = rational_time(ts, tb);
            if self.end.is_some_and(|e| time >= e) {
                self.open_copies.retain(|&i| i != index);
                return Ok(());
            }
            if self.start.is_some_and(|s| time < s) {
                return Ok(());
            }
        }
        self.queue.push_back(Item::Packet(packet));
        Ok(())
    }
}
