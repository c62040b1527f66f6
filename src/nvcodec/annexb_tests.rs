//! Unit tests of the Annex-B conversion on hand-made records and packets, hostile ones included.

use proptest::prelude::*;

use super::*;

const SPS: &[u8] = &[0x67, 0x64, 0x00, 0x1f];
const PPS: &[u8] = &[0x68, 0xeb, 0xe3];
const IDR: &[u8] = &[0x65, 0x88, 0x84];
const SLICE: &[u8] = &[0x41, 0x9a, 0x02];
const SEI: &[u8] = &[0x06, 0x05, 0x01];

fn avcc(length_size: u8) -> Vec<u8> {
    let mut r = vec![1, 0x64, 0, 0x1f, 0xfc | (length_size - 1), 0xe1];
    r.extend_from_slice(&(SPS.len() as u16).to_be_bytes());
    r.extend_from_slice(SPS);
    r.push(1);
    r.extend_from_slice(&(PPS.len() as u16).to_be_bytes());
    r.extend_from_slice(PPS);
    r
}

fn packet(length_size: usize, units: &[&[u8]]) -> Vec<u8> {
    let mut p = Vec::new();
    for u in units {
        p.extend_from_slice(&u.len().to_be_bytes()[8 - length_size..]);
        p.extend_from_slice(u);
    }
    p
}

fn annexb(units: &[(&[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (u, long) in units {
        out.extend_from_slice(if *long {
            &[0, 0, 0, 1][..]
        } else {
            &[0, 0, 1][..]
        });
        out.extend_from_slice(u);
    }
    out
}

fn convert(c: &mut AnnexB, p: &[u8]) -> Result<Vec<u8>, AnnexBError> {
    let mut out = Vec::new();
    c.convert(p, &mut out).map(|()| out)
}

#[test]
fn avcc_parameter_sets_go_before_the_first_idr_and_after_non_idr_slices() {
    for length_size in [1u8, 2, 4] {
        let mut c = AnnexB::new(NalCodec::H264, &avcc(length_size)).unwrap();
        assert_eq!(c.nal_length_size(), Some(usize::from(length_size)));
        assert_eq!(c.header(), annexb(&[(SPS, true), (PPS, true)]));
        let n = usize::from(length_size);
        let first = convert(&mut c, &packet(n, &[SEI, IDR])).unwrap();
        assert_eq!(
            first,
            annexb(&[(SEI, true), (SPS, true), (PPS, true), (IDR, false)])
        );
        let second = convert(&mut c, &packet(n, &[SLICE, SLICE])).unwrap();
        assert_eq!(second, annexb(&[(SLICE, true), (SLICE, false)]));
        let third = convert(&mut c, &packet(n, &[IDR])).unwrap();
        assert_eq!(third, annexb(&[(SPS, true), (PPS, true), (IDR, false)]));
    }
}

#[test]
fn in_band_parameter_sets_are_not_duplicated() {
    let mut c = AnnexB::new(NalCodec::H264, &avcc(4)).unwrap();
    let out = convert(&mut c, &packet(4, &[SPS, PPS, IDR])).unwrap();
    assert_eq!(out, annexb(&[(SPS, true), (PPS, true), (IDR, false)]));
    // Only an SPS in band: the record's PPS is added before the IDR.
    let mut c = AnnexB::new(NalCodec::H264, &avcc(4)).unwrap();
    let out = convert(&mut c, &packet(4, &[SPS, IDR])).unwrap();
    assert_eq!(out, annexb(&[(SPS, true), (PPS, true), (IDR, false)]));
}

#[test]
fn nal_length_size_three_is_rejected() {
    let mut record = avcc(4);
    record[4] = 0xfe;
    assert_eq!(
        AnnexB::new(NalCodec::H264, &record).unwrap_err(),
        AnnexBError::NalLengthSize {
            codec: NalCodec::H264,
            size: 3
        }
    );
}

#[test]
fn every_truncation_of_a_record_is_an_error() {
    let record = avcc(4);
    for cut in 1..record.len() {
        let err = AnnexB::new(NalCodec::H264, &record[..cut]).unwrap_err();
        assert!(
            matches!(
                err,
                AnnexBError::ConfigTooShort { .. } | AnnexBError::ConfigTruncated { .. }
            ),
            "cut {cut}: {err}"
        );
    }
    let record = hvcc();
    for cut in 1..record.len() {
        assert!(
            AnnexB::new(NalCodec::Hevc, &record[..cut]).is_err(),
            "cut {cut}"
        );
    }
}

#[test]
fn lengths_beyond_the_packet_are_errors_and_leave_the_output_alone() {
    let mut c = AnnexB::new(NalCodec::H264, &avcc(4)).unwrap();
    let mut bad = packet(4, &[IDR]);
    bad[3] = 200;
    let mut out = vec![9];
    let err = c.convert(&bad, &mut out).unwrap_err();
    assert_eq!(
        err,
        AnnexBError::PacketTruncated {
            offset: 0,
            needed: 200,
            available: 3
        }
    );
    assert_eq!(out, [9]);
    // A length prefix cut short.
    let mut short = packet(4, &[IDR]);
    short.extend_from_slice(&[0, 0]);
    assert!(matches!(
        convert(&mut c, &short),
        Err(AnnexBError::PacketTruncated {
            offset: 7,
            needed: 4,
            available: 2
        })
    ));
    // An empty NAL unit.
    assert!(matches!(
        convert(&mut c, &[0, 0, 0, 0]),
        Err(AnnexBError::ShortNal { offset: 0, len: 0 })
    ));
    // A length of 0xffffffff must not overflow anything.
    assert!(convert(&mut c, &[0xff, 0xff, 0xff, 0xff, 1]).is_err());
}

const VPS: &[u8] = &[0x40, 0x01, 0x0c];
const HSPS: &[u8] = &[0x42, 0x01, 0x01];
const HPPS: &[u8] = &[0x44, 0x01, 0xc1];
const IDR_W_RADL: &[u8] = &[0x26, 0x01, 0xaf];
const TRAIL_R: &[u8] = &[0x02, 0x01, 0xd0];

fn hvcc() -> Vec<u8> {
    let mut r = vec![1; 21];
    r.push(0xff); // length size 4
    r.push(3);
    for (kind, unit) in [(32u8, VPS), (33, HSPS), (34, HPPS)] {
        r.push(0x80 | kind);
        r.extend_from_slice(&1u16.to_be_bytes());
        r.extend_from_slice(&(unit.len() as u16).to_be_bytes());
        r.extend_from_slice(unit);
    }
    r
}

#[test]
fn hvcc_parameter_sets_go_before_each_irap_packet() {
    let mut c = AnnexB::new(NalCodec::Hevc, &hvcc()).unwrap();
    let header = annexb(&[(VPS, true), (HSPS, true), (HPPS, true)]);
    assert_eq!(c.header(), header);
    let out = convert(&mut c, &packet(4, &[IDR_W_RADL, IDR_W_RADL])).unwrap();
    let mut want = header.clone();
    want.extend(annexb(&[(IDR_W_RADL, true), (IDR_W_RADL, true)]));
    assert_eq!(out, want);
    let out = convert(&mut c, &packet(4, &[TRAIL_R])).unwrap();
    assert_eq!(out, annexb(&[(TRAIL_R, true)]));
    // A one-byte unit cannot hold the two-byte HEVC header.
    assert!(matches!(
        convert(&mut c, &[0, 0, 0, 1, 0x26]),
        Err(AnnexBError::ShortNal { offset: 0, len: 1 })
    ));
}

#[test]
fn hvcc_arrays_of_other_nal_types_are_rejected() {
    let mut record = hvcc();
    record[23] = 0x80 | 19; // an IDR slice where the VPS array was
    assert_eq!(
        AnnexB::new(NalCodec::Hevc, &record).unwrap_err(),
        AnnexBError::UnexpectedArray(19)
    );
}

#[test]
fn annexb_or_absent_configuration_passes_packets_through() {
    for extradata in [&[][..], &[0, 0, 0, 1, 0x67, 1][..], &[0, 0, 1, 0x40, 1][..]] {
        for codec in [NalCodec::H264, NalCodec::Hevc] {
            let mut c = AnnexB::new(codec, extradata).unwrap();
            assert!(c.is_passthrough());
            assert!(c.header().is_empty());
            assert_eq!(
                convert(&mut c, &[0, 0, 1, 0x65, 7]).unwrap(),
                [0, 0, 1, 0x65, 7]
            );
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_records_and_packets_never_panic(
        record in proptest::collection::vec(any::<u8>(), 0..64),
        packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
        hevc in any::<bool>(),
    ) {
        let codec = if hevc { NalCodec::Hevc } else { NalCodec::H264 };
        if let Ok(mut c) = AnnexB::new(codec, &record) {
            for p in &packets {
                let mut out = Vec::new();
                if c.convert(p, &mut out).is_err() {
                    prop_assert!(out.is_empty());
                }
            }
        }
    }

    #[test]
    fn valid_packets_round_trip_to_their_units(
        units in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 2..40), 1..6),
        length_size in prop_oneof![Just(1usize), Just(2), Just(4)],
    ) {
        // Non-IRAP HEVC units (type 1) come out as start code + unit, nothing else.
        let units: Vec<Vec<u8>> = units.into_iter().map(|mut u| { u[0] = 0x02; u }).collect();
        let mut record = hvcc();
        record[21] = 0xfc | (length_size as u8 - 1);
        let mut c = AnnexB::new(NalCodec::Hevc, &record).unwrap();
        let refs: Vec<&[u8]> = units.iter().map(Vec::as_slice).collect();
        let out = convert(&mut c, &packet(length_size, &refs)).unwrap();
        let want = annexb(&refs.iter().map(|u| (*u, true)).collect::<Vec<_>>());
        prop_assert_eq!(out, want);
    }
}
