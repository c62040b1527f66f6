use super::*;
use proptest::prelude::*;

fn r(n: i128, d: i128) -> Rational {
    Rational::new(n, d).unwrap()
}

/// Times of `n` frames at `rate`, expressed in a `1/tb` time base the way a muxer rounds them.
fn cfr_times(n: usize, rate: Rational, tb: i128) -> Vec<Rational> {
    (0..n)
        .map(|i| {
            let exact = Rational::from_int(i as i64) / rate;
            r((exact * Rational::from_int(tb as i64)).round(), tb)
        })
        .collect()
}

fn source_of(c: Content) -> Option<usize> {
    match c {
        Content::Source(i) => Some(i),
        Content::Blend { .. } => None,
    }
}

#[test]
fn keep_is_identity_on_constant_rate() {
    let rate = r(30000, 1001);
    let times = cfr_times(10, rate, 90000);
    let end = Rational::from_int(10) / rate;
    let out = plan(RateMode::Keep, rate, r(1, 90000), &times, end).unwrap();
    let sources: Vec<_> = out.iter().map(|o| source_of(o.content)).collect();
    assert_eq!(sources, (0..10).map(Some).collect::<Vec<_>>());
}

#[test]
fn double_rate_interleaves_halves_and_holds_the_last() {
    let rate = Rational::from_int(24);
    let times = cfr_times(3, rate, 1000);
    let end = Rational::from_int(3) / rate;
    let out = plan(RateMode::Multiply(2), rate, r(1, 1000), &times, end).unwrap();
    let contents: Vec<_> = out.iter().map(|o| o.content).collect();
    assert_eq!(contents.len(), 6);
    assert_eq!(contents[0], Content::Source(0));
    assert!(
        matches!(contents[1], Content::Blend { first: 0, t } if (t.to_f64() - 0.5).abs() < 0.02)
    );
    assert_eq!(contents[2], Content::Source(1));
    assert!(matches!(contents[3], Content::Blend { first: 1, .. }));
    assert_eq!(contents[4], Content::Source(2));
    assert_eq!(contents[5], Content::Source(2));
}

#[test]
fn retime_24_to_60_uses_exact_timesteps() {
    let rate = Rational::from_int(24);
    let times = cfr_times(5, rate, 24);
    let end = Rational::from_int(5) / rate;
    let out = plan(
        RateMode::Fps(Rational::from_int(60)),
        rate,
        Rational::ZERO,
        &times,
        end,
    )
    .unwrap();
    // 5 frames at 24 fps last 5/24 s: ceil(60 * 5 / 24) = 13 output frames.
    assert_eq!(out.len(), 13);
    // Output k at k/60 s; 24 -> 60 is 2 -> 5, so every 5th output lands on every 2nd source.
    assert_eq!(out[0].content, Content::Source(0));
    assert_eq!(
        out[1].content,
        Content::Blend {
            first: 0,
            t: r(2, 5)
        }
    );
    assert_eq!(
        out[2].content,
        Content::Blend {
            first: 0,
            t: r(4, 5)
        }
    );
    assert_eq!(
        out[3].content,
        Content::Blend {
            first: 1,
            t: r(1, 5)
        }
    );
    assert_eq!(out[5].content, Content::Source(2));
}

#[test]
fn variable_rate_gap_is_filled() {
    // The real clip's shape: a 0.18 s gap after the first frame, then 30 fps.
    let rate = r(90000, 2999);
    let mut times = vec![Rational::ZERO];
    times.extend((0..4).map(|i| r(16610 + 2999 * i, 90000)));
    let end = times[4] + r(2999, 90000);
    let keep = plan(RateMode::Keep, rate, r(1, 90000), &times, end).unwrap();
    // The gap spans about six frame periods at the nominal rate: frames repeat, none are lost.
    let used: Vec<_> = keep.iter().filter_map(|o| source_of(o.content)).collect();
    assert!(used.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(used.iter().copied().max(), Some(4));
    assert!(used.iter().filter(|&&i| i == 0).count() >= 3);
    let smooth = plan(RateMode::Multiply(1), rate, r(1, 90000), &times, end).unwrap();
    assert_eq!(smooth.len(), keep.len());
    let blends = smooth
        .iter()
        .filter(|o| matches!(o.content, Content::Blend { first: 0, .. }))
        .count();
    assert!(blends >= 4, "the gap is interpolated: {blends} blends");
}

#[test]
fn rejects_non_increasing_times_and_bad_rates() {
    let mut t = Timeline::new(Rational::from_int(30), true, Rational::ZERO).unwrap();
    t.push(Rational::ONE).unwrap();
    assert!(matches!(
        t.push(Rational::ONE),
        Err(TimelineError::NotIncreasing { .. })
    ));
    assert_eq!(t.sources(), 1);
    assert!(Timeline::new(Rational::ZERO, false, Rational::ZERO).is_err());
}

#[test]
fn empty_source_plans_nothing() {
    let out = plan(
        RateMode::Multiply(2),
        Rational::from_int(30),
        Rational::ZERO,
        &[],
        Rational::ONE,
    );
    assert_eq!(out.unwrap(), Vec::new());
}

/// A strictly increasing list of source times with random gaps, in a 1/1000 s time base.
fn vfr_source() -> impl Strategy<Value = (Vec<Rational>, Rational)> {
    (
        prop::collection::vec(1i128..200, 1..60),
        0i128..5000,
        1i128..100,
    )
        .prop_map(|(gaps, start, last_duration)| {
            let mut t = start;
            let mut times = Vec::new();
            for g in gaps {
                times.push(r(t, 1000));
                t += g;
            }
            let end = *times.last().unwrap() + r(last_duration, 1000);
            (times, end)
        })
}

fn mode() -> impl Strategy<Value = RateMode> {
    prop_oneof![
        Just(RateMode::Keep),
        (1u32..9).prop_map(RateMode::Multiply),
        (1i128..24000, 1i128..1001).prop_map(|(n, d)| RateMode::Fps(r(n, d) + Rational::ONE)),
    ]
}

proptest! {
    #[test]
    fn constant_rate_multiply_gives_n_times_the_frames(
        n_in in 1usize..80, n in 1u32..9, num in 1i128..120_000, den in 1i128..1001
    ) {
        let rate = r(num, den) + Rational::ONE;
        let times = cfr_times(n_in, rate, 1_000_000_007);
        let end = Rational::from_int(n_in as i64) / rate;
        let out = plan(RateMode::Multiply(n), rate, Rational::ZERO, &times, end).unwrap();
        prop_assert_eq!(out.len() as u64, u64::from(n) * n_in as u64);
    }

    #[test]
    fn plans_keep_time_order_duration_and_valid_pairs((times, end) in vfr_source(), mode in mode()) {
        let nominal = r(30, 1);
        let out = plan(mode, nominal, r(1, 1000), &times, end).unwrap();
        let rate = Timeline::for_mode(mode, nominal, Rational::ZERO).unwrap().rate();
        let duration = end - times[0];
        // Count: every output time in [0, duration) and no other.
        prop_assert_eq!(out.len() as i128, (duration * rate).ceil());
        for (k, o) in out.iter().enumerate() {
            prop_assert_eq!(o.index, k as u64);
            prop_assert_eq!(o.time, Rational::from_int(k as i64) / rate);
            match o.content {
                Content::Source(i) => prop_assert!(i < times.len()),
                Content::Blend { first, t } => {
                    prop_assert!(mode != RateMode::Keep);
                    prop_assert!(first + 1 < times.len());
                    prop_assert!(t > Rational::ZERO && t < Rational::ONE);
                    // Exact retime: the blend sits precisely at the output time.
                    let (s0, s1) = (times[first], times[first + 1]);
                    prop_assert_eq!(s0 + t * (s1 - s0), times[0] + o.time);
                }
            }
        }
        // Source frames are used in order.
        let firsts: Vec<usize> = out.iter().map(|o| match o.content {
            Content::Source(i) | Content::Blend { first: i, .. } => i,
        }).collect();
        prop_assert!(firsts.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn streaming_matches_planning((times, end) in vfr_source(), mode in mode()) {
        let whole = plan(mode, r(25, 1), r(1, 1000), &times, end).unwrap();
        let mut t = Timeline::for_mode(mode, r(25, 1), r(1, 1000)).unwrap();
        let mut streamed = Vec::new();
        for (i, &time) in times.iter().enumerate() {
            for o in t.push(time).unwrap() {
                // An output decided at push i refers to no frame after i.
                let last = match o.content {
                    Content::Source(j) => j,
                    Content::Blend { first, .. } => first + 1,
                };
                prop_assert!(last <= i);
                streamed.push(o);
            }
        }
        streamed.extend(t.finish(end));
        prop_assert_eq!(streamed, whole);
    }
}
