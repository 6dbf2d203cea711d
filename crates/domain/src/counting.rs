//! Kiểm phiếu: vote-counting rules as data, and results that show their arithmetic.
//!
//! A rule is a quorum (present ≥ X of members, or none), a base (all members, those
//! present, or the votes cast) and a threshold (> 1/2, ≥ 2/3, any fraction). Vietnamese
//! people's councils and committees pass a resolution when more than half of ALL members
//! approve — not half of those who voted — which is [`CountingRule::council`].
//! All arithmetic is on integers, so no rounding decides a vote.

use serde::{Deserialize, Serialize};

/// How a count compares with a fraction of a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Quá (strictly more than).
    MoreThan,
    /// Ít nhất (at least).
    AtLeast,
}

/// "> 1/2", "≥ 2/3", "≥ 3/5"…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub cmp: Comparison,
    pub num: u32,
    pub den: u32,
}

impl Threshold {
    /// Quá nửa: more than half.
    pub const MAJORITY: Threshold = Threshold {
        cmp: Comparison::MoreThan,
        num: 1,
        den: 2,
    };
    /// Ít nhất hai phần ba.
    pub const TWO_THIRDS: Threshold = Threshold {
        cmp: Comparison::AtLeast,
        num: 2,
        den: 3,
    };

    pub fn validate(&self) -> Result<(), String> {
        if self.den == 0 || self.num == 0 || self.num > self.den || self.den > 1000 {
            return Err(format!(
                "a threshold is a fraction n/d with 1 ≤ n ≤ d ≤ 1000, not {}/{}",
                self.num, self.den
            ));
        }
        Ok(())
    }

    /// Whether `count` out of `base` meets the threshold (exact integer arithmetic).
    pub fn met(&self, count: u32, base: u32) -> bool {
        let lhs = u64::from(count) * u64::from(self.den);
        let rhs = u64::from(base) * u64::from(self.num);
        match self.cmp {
            Comparison::MoreThan => lhs > rhs,
            Comparison::AtLeast => lhs >= rhs,
        }
    }

    /// The smallest count that meets the threshold of `base`.
    pub fn required(&self, base: u32) -> u32 {
        let den = u64::from(self.den.max(1));
        let prod = u64::from(base) * u64::from(self.num);
        let r = match self.cmp {
            Comparison::MoreThan => prod / den + 1,
            Comparison::AtLeast => prod.div_ceil(den),
        };
        u32::try_from(r).unwrap_or(u32::MAX)
    }

    /// Parses "> 1/2", ">=2/3", "≥ 3/5", "1/2" (meaning more than).
    pub fn parse(s: &str) -> Result<Threshold, String> {
        let t = s.trim();
        let (cmp, rest) = if let Some(r) = t.strip_prefix(">=") {
            (Comparison::AtLeast, r)
        } else if let Some(r) = t.strip_prefix('≥') {
            (Comparison::AtLeast, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Comparison::MoreThan, r)
        } else {
            (Comparison::MoreThan, t)
        };
        let (n, d) = rest
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a threshold like \"> 1/2\" or \">= 2/3\""))?;
        let parse = |x: &str| {
            x.trim()
                .parse::<u32>()
                .map_err(|_| format!("{s:?} is not a threshold like \"> 1/2\" or \">= 2/3\""))
        };
        let th = Threshold {
            cmp,
            num: parse(n)?,
            den: parse(d)?,
        };
        th.validate()?;
        Ok(th)
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = match self.cmp {
            Comparison::MoreThan => ">",
            Comparison::AtLeast => "≥",
        };
        write!(f, "{sign} {}/{}", self.num, self.den)
    }
}

/// What the threshold is a fraction of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Tổng số thành viên / đại biểu (all who may vote, present or not).
    AllMembers,
    /// Số có mặt (present in person or represented by a proxy).
    Present,
    /// Số phiếu (ballots cast).
    VotesCast,
}

impl Base {
    pub fn label_vi(self) -> &'static str {
        match self {
            Base::AllMembers => "tổng số thành viên",
            Base::Present => "số thành viên có mặt",
            Base::VotesCast => "số phiếu biểu quyết",
        }
    }

    pub fn parse(s: &str) -> Result<Base, String> {
        match s.trim() {
            "all" | "all_members" | "members" => Ok(Base::AllMembers),
            "present" => Ok(Base::Present),
            "cast" | "votes_cast" | "votes" => Ok(Base::VotesCast),
            other => Err(format!(
                "{other:?} is not a base; expected all, present or cast"
            )),
        }
    }
}

/// A counting rule: data, so each body configures its own statute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountingRule {
    /// Present ≥ this fraction of members, or the vote decides nothing. None: no quorum.
    pub quorum: Option<Threshold>,
    pub base: Base,
    pub threshold: Threshold,
}

impl CountingRule {
    /// HĐND / UBND: the session needs two thirds present, and a resolution passes when
    /// more than half of ALL members approve.
    pub fn council() -> CountingRule {
        CountingRule {
            quorum: Some(Threshold::TWO_THIRDS),
            base: Base::AllMembers,
            threshold: Threshold::MAJORITY,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if let Some(q) = &self.quorum {
            q.validate()?;
        }
        self.threshold.validate()
    }
}

impl Default for CountingRule {
    fn default() -> Self {
        CountingRule::council()
    }
}

/// Biểu quyết thông qua (a motion) or bầu / lựa chọn (an election).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollMode {
    /// Passes when the first option (Tán thành) meets the rule.
    Motion,
    /// Each voter picks up to `max_choices` options; up to that many options that meet
    /// the rule are chosen, most votes first.
    Election,
}

/// The numbers a result is computed from, frozen when a poll closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Who may vote (each member once, however many proxies they hold).
    pub members: u32,
    /// Present in person or represented by a proxy; each member once.
    pub present: u32,
    /// Ballots received (one per member at most).
    pub cast: u32,
    /// Votes per option, in option order.
    pub votes: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumCheck {
    pub present: u32,
    pub members: u32,
    pub threshold: Option<Threshold>,
    /// The smallest number present that makes the quorum.
    pub required: u32,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionResult {
    pub label: String,
    pub votes: u32,
    /// Votes in hundredths of a percent of the base (6667 = 66.67 %), rounded down.
    pub basis_points_of_base: u32,
    /// Meets the threshold of the base.
    pub meets_threshold: bool,
    /// Motion: this is the approving option and it passed. Election: chosen.
    pub chosen: bool,
}

/// A decided vote, with every number that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollResult {
    pub rule: CountingRule,
    pub mode: PollMode,
    pub count: Count,
    pub quorum: QuorumCheck,
    /// The base's size under the rule.
    pub base: u32,
    /// Votes an option needs.
    pub required: u32,
    pub options: Vec<OptionResult>,
    /// Motion: passed. Election: at least one option chosen.
    pub passed: bool,
    /// Election: options tied at the last seat, left undecided.
    pub tied: Vec<u32>,
    /// The arithmetic, in Vietnamese, one step a line.
    pub arithmetic: Vec<String>,
}

fn pct(votes: u32, base: u32) -> u32 {
    if base == 0 {
        return 0;
    }
    u32::try_from(u64::from(votes) * 10_000 / u64::from(base)).unwrap_or(u32::MAX)
}

fn pct_text(bp: u32) -> String {
    format!("{},{:02}%", bp / 100, bp % 100)
}

/// Decides a poll. `labels` names the options (missing labels are numbered).
/// Never passes without quorum, never with zero votes, and never with an option that
/// got fewer votes than the rule requires.
pub fn decide(
    rule: &CountingRule,
    mode: PollMode,
    max_choices: u32,
    labels: &[String],
    count: &Count,
) -> PollResult {
    let mut lines = Vec::new();
    let quorum = match &rule.quorum {
        Some(q) => {
            let required = q.required(count.members);
            let met = q.met(count.present, count.members);
            lines.push(format!(
                "Số có mặt: {}/{} thành viên; điều kiện {} {} → cần ít nhất {} → {}",
                count.present,
                count.members,
                q,
                Base::AllMembers.label_vi(),
                required,
                if met { "đủ" } else { "KHÔNG đủ" }
            ));
            QuorumCheck {
                present: count.present,
                members: count.members,
                threshold: Some(*q),
                required,
                met,
            }
        }
        None => QuorumCheck {
            present: count.present,
            members: count.members,
            threshold: None,
            required: 0,
            met: true,
        },
    };
    let base = match rule.base {
        Base::AllMembers => count.members,
        Base::Present => count.present,
        Base::VotesCast => count.cast,
    };
    let required = rule.threshold.required(base).max(1);
    lines.push(format!(
        "Căn cứ tính: {} = {}; ngưỡng {} {} = {} phiếu trở lên",
        rule.base.label_vi(),
        base,
        rule.threshold,
        base,
        required
    ));
    let label = |i: usize| {
        labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("Phương án {}", i + 1))
    };
    let mut options: Vec<OptionResult> = count
        .votes
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let meets = v >= required && rule.threshold.met(v, base);
            OptionResult {
                label: label(i),
                votes: v,
                basis_points_of_base: pct(v, base),
                meets_threshold: meets,
                chosen: false,
            }
        })
        .collect();
    for o in &options {
        lines.push(format!(
            "{}: {} phiếu = {} của {}",
            o.label,
            o.votes,
            pct_text(o.basis_points_of_base),
            base
        ));
    }
    let mut tied = Vec::new();
    let passed = match mode {
        PollMode::Motion => {
            let ok = quorum.met && options.first().is_some_and(|o| o.meets_threshold);
            if let Some(first) = options.first_mut() {
                first.chosen = ok;
                lines.push(format!(
                    "{}: {} {} {} → {}",
                    first.label,
                    first.votes,
                    if first.meets_threshold { "≥" } else { "<" },
                    required,
                    if ok {
                        "THÔNG QUA"
                    } else if !quorum.met {
                        "KHÔNG THÔNG QUA (không đủ số có mặt)"
                    } else {
                        "KHÔNG THÔNG QUA"
                    }
                ));
            }
            ok
        }
        PollMode::Election => {
            if quorum.met {
                let mut ranked: Vec<usize> = (0..options.len())
                    .filter(|&i| options[i].meets_threshold)
                    .collect();
                ranked.sort_by_key(|&i| (std::cmp::Reverse(options[i].votes), i));
                let seats = (max_choices.max(1) as usize).min(ranked.len());
                if seats < ranked.len() {
                    let cut = options[ranked[seats - 1]].votes;
                    if options[ranked[seats]].votes == cut {
                        // Those with the cut's count share the last seats: none of them is
                        // chosen here; the body decides (usually a new round).
                        tied = ranked
                            .iter()
                            .filter(|&&i| options[i].votes == cut)
                            .map(|&i| i as u32)
                            .collect();
                    }
                }
                for &i in ranked.iter().take(seats) {
                    if !tied.contains(&(i as u32)) {
                        options[i].chosen = true;
                    }
                }
            }
            let chosen: Vec<&str> = options
                .iter()
                .filter(|o| o.chosen)
                .map(|o| o.label.as_str())
                .collect();
            lines.push(if !quorum.met {
                "Không đủ số có mặt → không có phương án nào được chọn".to_owned()
            } else if chosen.is_empty() {
                format!("Không phương án nào đạt {required} phiếu")
            } else {
                format!("Được chọn: {}", chosen.join(", "))
            });
            if !tied.is_empty() {
                lines.push(format!(
                    "Bằng phiếu ở vị trí cuối: {}",
                    tied.iter()
                        .map(|&i| label(i as usize))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            options.iter().any(|o| o.chosen)
        }
    };
    PollResult {
        rule: *rule,
        mode,
        count: count.clone(),
        quorum,
        base,
        required,
        options,
        passed,
        tied,
        arithmetic: lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels() -> Vec<String> {
        vec![
            "Tán thành".into(),
            "Không tán thành".into(),
            "Không biểu quyết".into(),
        ]
    }

    fn motion(rule: CountingRule, members: u32, present: u32, votes: [u32; 3]) -> PollResult {
        let cast = votes.iter().sum();
        decide(
            &rule,
            PollMode::Motion,
            1,
            &labels(),
            &Count {
                members,
                present,
                cast,
                votes: votes.to_vec(),
            },
        )
    }

    #[test]
    fn a_council_needs_more_than_half_of_all_members() {
        // 50 delegates, 40 present, 25 approve: half of those present would do, but not
        // half of all.
        let r = motion(CountingRule::council(), 50, 40, [25, 10, 5]);
        assert!(r.quorum.met);
        assert_eq!(r.base, 50);
        assert_eq!(r.required, 26);
        assert!(!r.passed, "{:?}", r.arithmetic);
        let r = motion(CountingRule::council(), 50, 40, [26, 10, 4]);
        assert!(r.passed);
        assert!(
            r.arithmetic.last().unwrap().contains("THÔNG QUA"),
            "{:?}",
            r.arithmetic
        );
        // The same votes counted of those who voted would pass.
        let of_cast = CountingRule {
            base: Base::VotesCast,
            ..CountingRule::council()
        };
        assert!(motion(of_cast, 50, 40, [25, 10, 5]).passed);
    }

    #[test]
    fn thresholds_and_their_arithmetic() {
        assert_eq!(Threshold::MAJORITY.required(16), 9);
        assert_eq!(Threshold::MAJORITY.required(15), 8);
        assert_eq!(Threshold::TWO_THIRDS.required(15), 10);
        assert_eq!(Threshold::TWO_THIRDS.required(16), 11);
        assert!(Threshold::TWO_THIRDS.met(10, 15));
        assert!(!Threshold::TWO_THIRDS.met(10, 16));
        assert_eq!(Threshold::parse("> 1/2").unwrap(), Threshold::MAJORITY);
        assert_eq!(Threshold::parse(">=2/3").unwrap(), Threshold::TWO_THIRDS);
        assert_eq!(Threshold::parse("≥ 2/3").unwrap(), Threshold::TWO_THIRDS);
        assert!(Threshold::parse("3/2").is_err());
        assert!(Threshold::parse("0/2").is_err());
        assert!(Threshold::parse("half").is_err());
        assert_eq!(Threshold::TWO_THIRDS.to_string(), "≥ 2/3");
        let r = motion(CountingRule::council(), 15, 12, [10, 1, 1]);
        assert_eq!(
            r.options[0].basis_points_of_base, 6666,
            "10 of 15 is 66.66 %"
        );
        assert!(r.arithmetic[2].contains("66,66%"), "{:?}", r.arithmetic);
    }

    #[test]
    fn no_quorum_no_decision() {
        let r = motion(CountingRule::council(), 15, 9, [9, 0, 0]);
        assert!(!r.quorum.met);
        assert_eq!(r.quorum.required, 10);
        assert!(!r.passed);
        assert!(r.arithmetic.last().unwrap().contains("không đủ số có mặt"));
    }

    #[test]
    fn elections_choose_up_to_k_and_leave_ties_undecided() {
        let rule = CountingRule {
            quorum: None,
            base: Base::VotesCast,
            threshold: Threshold::MAJORITY,
        };
        let labels: Vec<String> = ["An", "Bình", "Chi", "Dũng"].map(Into::into).to_vec();
        let count = |votes: Vec<u32>| Count {
            members: 20,
            present: 20,
            cast: 20,
            votes,
        };
        let r = decide(
            &rule,
            PollMode::Election,
            2,
            &labels,
            &count(vec![15, 12, 11, 2]),
        );
        let chosen: Vec<&str> = r
            .options
            .iter()
            .filter(|o| o.chosen)
            .map(|o| o.label.as_str())
            .collect();
        assert_eq!(chosen, ["An", "Bình"]);
        let r = decide(
            &rule,
            PollMode::Election,
            2,
            &labels,
            &count(vec![15, 12, 12, 2]),
        );
        assert_eq!(r.tied, vec![1, 2]);
        assert_eq!(r.options.iter().filter(|o| o.chosen).count(), 1);
    }

    fn arb_threshold() -> impl Strategy<Value = Threshold> {
        (1u32..=12, 1u32..=12, any::<bool>()).prop_filter_map("n ≤ d", |(n, d, strict)| {
            (n <= d).then_some(Threshold {
                cmp: if strict {
                    Comparison::MoreThan
                } else {
                    Comparison::AtLeast
                },
                num: n,
                den: d,
            })
        })
    }

    fn arb_rule() -> impl Strategy<Value = CountingRule> {
        (
            proptest::option::of(arb_threshold()),
            prop_oneof![
                Just(Base::AllMembers),
                Just(Base::Present),
                Just(Base::VotesCast)
            ],
            arb_threshold(),
        )
            .prop_map(|(quorum, base, threshold)| CountingRule {
                quorum,
                base,
                threshold,
            })
    }

    /// A consistent count: votes ≤ cast ≤ present ≤ members, as the server builds it.
    fn arb_count() -> impl Strategy<Value = Count> {
        (1u32..200).prop_flat_map(|members| {
            (0..=members).prop_flat_map(move |present| {
                (0..=present).prop_flat_map(move |cast| {
                    (0..=cast, 0..=cast).prop_map(move |(a, b)| {
                        let yes = a.min(cast);
                        let no = b.min(cast - yes);
                        Count {
                            members,
                            present,
                            cast,
                            votes: vec![yes, no, cast - yes - no],
                        }
                    })
                })
            })
        })
    }

    proptest! {
        #[test]
        fn required_is_the_exact_boundary(t in arb_threshold(), base in 0u32..10_000) {
            let r = t.required(base);
            prop_assert!(t.met(r, base));
            if r > 0 {
                prop_assert!(!t.met(r - 1, base));
            }
        }

        #[test]
        fn never_passes_without_quorum(rule in arb_rule(), count in arb_count()) {
            let r = decide(&rule, PollMode::Motion, 1, &labels(), &count);
            if let Some(q) = rule.quorum {
                prop_assert_eq!(r.quorum.met, q.met(count.present, count.members));
                if !r.quorum.met {
                    prop_assert!(!r.passed);
                }
            }
        }

        #[test]
        fn a_motion_passes_exactly_when_the_arithmetic_says(rule in arb_rule(), count in arb_count()) {
            let r = decide(&rule, PollMode::Motion, 1, &labels(), &count);
            let base = match rule.base {
                Base::AllMembers => count.members,
                Base::Present => count.present,
                Base::VotesCast => count.cast,
            };
            prop_assert_eq!(r.base, base);
            let yes = count.votes[0];
            // Cross-check with rational arithmetic done another way.
            let share = f64::from(yes) / f64::from(base.max(1));
            let frac = f64::from(rule.threshold.num) / f64::from(rule.threshold.den);
            let meets = yes > 0 && match rule.threshold.cmp {
                Comparison::MoreThan => share > frac + 1e-12 || (base == 0),
                Comparison::AtLeast => share >= frac - 1e-12,
            };
            let quorum_ok = rule.quorum.is_none_or(|q| q.met(count.present, count.members));
            prop_assert_eq!(r.passed, quorum_ok && meets, "{:?}", r.arithmetic);
            // Never passes with zero approvals; the arithmetic always ends in the verdict.
            if yes == 0 {
                prop_assert!(!r.passed);
            }
            prop_assert!(!r.arithmetic.is_empty());
        }

        #[test]
        fn widening_the_base_never_helps(count in arb_count(), t in arb_threshold()) {
            // Of all members is never easier than of those present, nor that than of votes cast.
            let of = |base| decide(&CountingRule { quorum: None, base, threshold: t }, PollMode::Motion, 1, &labels(), &count).passed;
            prop_assert!(!of(Base::AllMembers) || of(Base::Present));
            prop_assert!(!of(Base::Present) || of(Base::VotesCast));
        }

        #[test]
        fn elections_choose_at_most_k(votes in proptest::collection::vec(0u32..50, 1..8), k in 1u32..5) {
            let cast = votes.iter().copied().max().unwrap_or(0);
            let count = Count { members: 60, present: 60, cast, votes };
            let rule = CountingRule { quorum: None, base: Base::VotesCast, threshold: Threshold::MAJORITY };
            let r = decide(&rule, PollMode::Election, k, &[], &count);
            let chosen: Vec<&OptionResult> = r.options.iter().filter(|o| o.chosen).collect();
            prop_assert!(chosen.len() <= k as usize);
            let least_chosen = chosen.iter().map(|c| c.votes).min();
            for c in &chosen {
                prop_assert!(c.votes >= r.required);
            }
            // Nobody left out (and not tied) who met the threshold has more votes than
            // someone chosen.
            for (i, o) in r.options.iter().enumerate() {
                if !o.chosen
                    && o.meets_threshold
                    && !r.tied.contains(&(i as u32))
                    && let Some(least) = least_chosen
                {
                    prop_assert!(o.votes <= least);
                }
            }
        }

        #[test]
        fn rules_round_trip_through_json(rule in arb_rule()) {
            let json = serde_json::to_string(&rule).unwrap();
            prop_assert_eq!(serde_json::from_str::<CountingRule>(&json).unwrap(), rule);
        }
    }
}
