//! Shapley values of a game whose players are the steps of a bridge: a
//! step's value is its marginal effect averaged over every order in which
//! the steps can be taken, so no order is favoured. Each order's marginal
//! effects add up to v(all) - v(none), so the values do too, exactly (to
//! rounding) whether the orders are all enumerated or sampled.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::hash;

/// A set of players, one bit each.
pub type Subset = u64;

/// Most players a game may have (one bit each in a [`Subset`]).
pub const MAX_PLAYERS: usize = 64;

/// A cooperative game with several outputs, valued on a whole sample and on
/// the sample without each of its batches (for jackknife standard errors).
pub trait Game: Sync {
    /// Number of players.
    fn players(&self) -> usize;
    /// Number of outputs each value has.
    fn outputs(&self) -> usize;
    /// Number of batches the sample is cut into.
    fn batches(&self) -> usize;
    /// v(S): row 0 on the whole sample, row 1 + h on the sample without
    /// the half of the batches that [`deletes`] names for `h` (for the
    /// delete-half jackknife); each row has [`Game::outputs`] values.
    fn value(&self, subset: Subset) -> Vec<Vec<f64>>;
}

/// Whether jackknife row `h` (0-based, one of `batches` rows) deletes
/// batch `batch`: row h deletes the `batches / 2` batches h, h + 1, ...
/// (mod `batches`), so each batch is deleted in as many rows as it is kept
/// (one more kept for an odd count). Deleting half the runs keeps the
/// jackknife consistent for medians (Shao and Wu 1989: the delete-d
/// jackknife needs d / sqrt(n) to grow), which deleting one batch of ten
/// is not: it overstated the error of medians whose distribution has a
/// gap by up to 2.3 times.
///
/// ```
/// use nexus_mc::bridge::deletes;
/// let row0: Vec<usize> = (0..10).filter(|&b| deletes(10, 0, b)).collect();
/// assert_eq!(row0, [0, 1, 2, 3, 4]);
/// assert!(deletes(10, 8, 0) && !deletes(10, 8, 3));
/// ```
pub fn deletes(batches: usize, h: usize, batch: usize) -> bool {
    (batch + batches - h) % batches < batches / 2
}

/// How the average over orders is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every subset, with the Shapley weights |S|! (k - |S| - 1)! / k!.
    Exact,
    /// This many orders (an even number): random orders, each with its
    /// reverse (antithetic pairs).
    Sampled {
        /// Orders in all.
        orders: usize,
    },
}

/// What [`shapley`] finds, every vector indexed by output.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// v(none) on the whole sample.
    pub from: Vec<f64>,
    /// v(all) on the whole sample.
    pub to: Vec<f64>,
    /// Per player: its Shapley value for each output.
    pub values: Vec<Vec<f64>>,
    /// Per player: the Monte Carlo standard error of each value, by the
    /// delete-half jackknife (Shao and Wu 1989): the same estimate
    /// without each half of the batches of runs that [`deletes`] names
    /// (and, when orders are sampled, without the orders of those
    /// batches). Unlike the spread of estimates on single batches, it
    /// holds for medians whose sampling error does not shrink as one over
    /// the root of the runs, as the 2050 medians' do not.
    pub std_errors: Vec<Vec<f64>>,
}

/// The value of every set of players `order[..j]`, j = 0..=k: the steps of
/// a waterfall taken in `order` (whole sample only).
pub fn sequential<G: Game + ?Sized>(game: &G, order: &[usize]) -> Vec<Vec<f64>> {
    let mut subset: Subset = 0;
    let mut chain = vec![subset];
    for &p in order {
        subset |= 1 << p;
        chain.push(subset);
    }
    let values: Vec<Vec<f64>> = chain
        .par_iter()
        .map(|&s| game.value(s).swap_remove(0))
        .collect();
    values
        .windows(2)
        .map(|w| w[1].iter().zip(&w[0]).map(|(b, a)| b - a).collect())
        .collect()
}

/// Shapley values of every player for every output. `tick` is called with
/// the number of subsets valued, from any thread. The result depends only
/// on the game, the method and `seed`, not on the number of threads.
pub fn shapley<G: Game + ?Sized>(
    game: &G,
    method: Method,
    seed: u64,
    tick: &(dyn Fn(u64) + Sync),
) -> Attribution {
    let k = game.players();
    assert!(k <= MAX_PLAYERS, "at most {MAX_PLAYERS} players");
    let all: Subset = if k == 64 { u64::MAX } else { (1 << k) - 1 };
    match method {
        Method::Exact => exact(game, all, tick),
        Method::Sampled { orders } => sampled(game, all, orders, seed, tick),
    }
}

fn exact<G: Game + ?Sized>(game: &G, all: Subset, tick: &(dyn Fn(u64) + Sync)) -> Attribution {
    let k = game.players();
    let rows = 1 + game.batches();
    let values: Vec<Vec<Vec<f64>>> = (0..=all)
        .into_par_iter()
        .map(|s| {
            let v = game.value(s);
            tick(1);
            v
        })
        .collect();
    // weight[s] = s! (k - s - 1)! / k! = 1 / (k * C(k - 1, s)).
    let mut weight = vec![0.0; k];
    let mut binomial = 1.0;
    for (s, w) in weight.iter_mut().enumerate() {
        *w = 1.0 / (k as f64 * binomial);
        binomial = binomial * (k - 1 - s) as f64 / (s + 1) as f64;
    }
    let outputs = game.outputs();
    // phi[row][player][output]
    let mut phi = vec![vec![vec![0.0; outputs]; k]; rows];
    for s in 0..=all {
        let size = s.count_ones() as usize;
        for p in 0..k {
            if s & (1 << p) != 0 {
                continue;
            }
            let with = &values[(s | (1 << p)) as usize];
            let without = &values[s as usize];
            for r in 0..rows {
                for o in 0..outputs {
                    phi[r][p][o] += weight[size] * (with[r][o] - without[r][o]);
                }
            }
        }
    }
    let std_errors = jackknife_std_errors(&phi[1..], k, outputs);
    Attribution {
        from: values[0][0].clone(),
        to: values[all as usize][0].clone(),
        values: phi.swap_remove(0),
        std_errors,
    }
}

/// One order's batch and its players' marginals `[row][player][output]`: row
/// 0 on the whole sample, row 1 + b on the sample without batch b.
type OrderMarginals = (usize, Vec<Vec<Vec<f64>>>);

fn sampled<G: Game + ?Sized>(
    game: &G,
    all: Subset,
    orders: usize,
    seed: u64,
    tick: &(dyn Fn(u64) + Sync),
) -> Attribution {
    let k = game.players();
    let outputs = game.outputs();
    let batches = game.batches().max(1);
    let none = game.value(0);
    let every = game.value(all);
    tick(2);
    let pairs = orders / 2;
    // Orders in blocks: each block's orders in parallel, every player's
    // marginals on the whole sample and on the sample without each batch;
    // then added in order index, so the same bits on any number of threads.
    let mut values = vec![vec![0.0; outputs]; k];
    // Per jackknife row h: the sums over the orders of batches row h
    // keeps, on the sample without the batches it deletes, and their count.
    let mut without = vec![vec![vec![0.0; outputs]; k]; batches];
    let mut count = vec![0usize; batches];
    const BLOCK: usize = 256;
    for start in (0..pairs * 2).step_by(BLOCK) {
        let end = (pairs * 2).min(start + BLOCK);
        let marginals: Vec<OrderMarginals> = (start..end)
            .into_par_iter()
            .map(|i| {
                let pair = i / 2;
                let mut order: Vec<usize> = (0..k).collect();
                let mut rng = ChaCha8Rng::seed_from_u64(hash::derive(seed, pair as u64));
                order.shuffle(&mut rng);
                if i % 2 == 1 {
                    order.reverse();
                }
                // marginal[row][player][output], row 0 the whole sample.
                let mut marginal = vec![vec![vec![0.0; outputs]; k]; 1 + batches];
                let mut subset: Subset = 0;
                let mut before = none.clone();
                for (j, &p) in order.iter().enumerate() {
                    subset |= 1 << p;
                    let after = if j + 1 == k {
                        every.clone()
                    } else {
                        let v = game.value(subset);
                        tick(1);
                        v
                    };
                    for (row, m) in marginal.iter_mut().enumerate() {
                        for o in 0..outputs {
                            m[p][o] = after[row][o] - before[row][o];
                        }
                    }
                    before = after;
                }
                (pair % batches, marginal)
            })
            .collect();
        for (batch, marginal) in &marginals {
            for p in 0..k {
                for o in 0..outputs {
                    values[p][o] += marginal[0][p][o];
                }
            }
            for b in (0..batches).filter(|&h| !deletes(batches, h, *batch)) {
                count[b] += 1;
                for p in 0..k {
                    for o in 0..outputs {
                        without[b][p][o] += marginal[1 + b][p][o];
                    }
                }
            }
        }
    }
    let n = (pairs * 2) as f64;
    for v in values.iter_mut().flatten() {
        *v /= n;
    }
    for (b, phi) in without.iter_mut().enumerate() {
        for v in phi.iter_mut().flatten() {
            *v /= count[b].max(1) as f64;
        }
    }
    Attribution {
        from: none[0].clone(),
        to: every[0].clone(),
        values,
        std_errors: jackknife_std_errors(&without, k, outputs),
    }
}

/// The delete-half jackknife standard error of each player's value for
/// each output, from its `H` estimates without the batches each row
/// deletes (`d` of `B` batches, see [`deletes`]):
/// sqrt((B - d) / (d H) x sum over rows of (phi(-h) - mean)^2), Shao and
/// Wu's delete-d variance; 0 with fewer than two batches.
fn jackknife_std_errors(without: &[Vec<Vec<f64>>], k: usize, outputs: usize) -> Vec<Vec<f64>> {
    let b = without.len();
    let d = b / 2;
    (0..k)
        .map(|p| {
            (0..outputs)
                .map(|o| {
                    if b < 2 {
                        return 0.0;
                    }
                    let mean = without.iter().map(|x| x[p][o]).sum::<f64>() / b as f64;
                    let squares = without
                        .iter()
                        .map(|x| (x[p][o] - mean).powi(2))
                        .sum::<f64>();
                    ((b - d) as f64 / (d * b) as f64 * squares).sqrt()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v(S) = sum of the players' own differences, the same on every batch
    /// but for a batch-dependent offset on each player.
    struct Additive(Vec<f64>);
    impl Game for Additive {
        fn players(&self) -> usize {
            self.0.len()
        }
        fn outputs(&self) -> usize {
            1
        }
        fn batches(&self) -> usize {
            4
        }
        fn value(&self, s: Subset) -> Vec<Vec<f64>> {
            let sum = |shift: f64| {
                (0..self.0.len())
                    .filter(|p| s & (1 << p) != 0)
                    .map(|p| self.0[p] + shift)
                    .sum::<f64>()
            };
            (0..5).map(|r| vec![sum(r as f64 * 0.01)]).collect()
        }
    }

    /// Two players: a from a0 to a1 and b from b0 to b1; v = a b. Shapley
    /// splits the interaction equally: phi_a = (a1 - a0)(b0 + b1) / 2.
    struct Product;
    impl Game for Product {
        fn players(&self) -> usize {
            2
        }
        fn outputs(&self) -> usize {
            1
        }
        fn batches(&self) -> usize {
            1
        }
        fn value(&self, s: Subset) -> Vec<Vec<f64>> {
            let a = if s & 1 != 0 { 3.0 } else { 2.0 };
            let b = if s & 2 != 0 { 0.5 } else { 5.0 };
            vec![vec![a * b]; 2]
        }
    }

    fn none(_: u64) {}

    #[test]
    fn additive_games_give_each_player_its_own_difference_exactly() {
        let game = Additive(vec![0.3, -1.25, 2.0, 0.0, 7.5]);
        for method in [Method::Exact, Method::Sampled { orders: 40 }] {
            let a = shapley(&game, method, 9, &none);
            for (p, d) in game.0.iter().enumerate() {
                assert!((a.values[p][0] - d).abs() < 1e-12, "{method:?} {p}");
            }
        }
    }

    #[test]
    fn a_product_splits_its_interaction_equally() {
        let phi = shapley(&Product, Method::Exact, 1, &none).values;
        assert!((phi[0][0] - (3.0 - 2.0) * (5.0 + 0.5) / 2.0).abs() < 1e-12);
        assert!((phi[1][0] - (0.5 - 5.0) * (2.0 + 3.0) / 2.0).abs() < 1e-12);
        // With two players every order is an antithetic pair: sampling is exact.
        let sampled = shapley(&Product, Method::Sampled { orders: 2 }, 1, &none).values;
        assert_eq!(sampled, phi);
    }

    #[test]
    fn values_add_up_to_the_whole_change() {
        let game = Additive(vec![1.0, 2.0, 4.0]);
        let a = shapley(&game, Method::Sampled { orders: 6 }, 3, &none);
        let total: f64 = a.values.iter().map(|v| v[0]).sum();
        assert!((total - (a.to[0] - a.from[0])).abs() < 1e-12);
        let steps = sequential(&game, &[2, 0, 1]);
        assert_eq!(steps, vec![vec![4.0], vec![1.0], vec![2.0]]);
    }

    /// One player whose value is the mean of ten batch means: its
    /// delete-half jackknife variance is unbiased, the mean of its square
    /// over many samples being the variance of the mean, 1 / 10 for batch
    /// means of variance 1. With about 9 degrees of freedom a squared error
    /// has a relative spread of sqrt(2 / 9); over 4,000 samples their mean
    /// is known to 0.75 %, and 4 % is more than five of those.
    #[test]
    fn the_delete_half_jackknife_is_unbiased_for_a_mean() {
        struct Mean(Vec<f64>);
        impl Game for Mean {
            fn players(&self) -> usize {
                1
            }
            fn outputs(&self) -> usize {
                1
            }
            fn batches(&self) -> usize {
                self.0.len()
            }
            fn value(&self, s: Subset) -> Vec<Vec<f64>> {
                let b = self.0.len();
                let mean = |keep: &dyn Fn(usize) -> bool| {
                    let kept: Vec<f64> = (0..b).filter(|&i| keep(i)).map(|i| self.0[i]).collect();
                    kept.iter().sum::<f64>() / kept.len() as f64
                };
                let rows = std::iter::once(mean(&|_| true))
                    .chain((0..b).map(|h| mean(&|i| !deletes(b, h, i))));
                rows.map(|v| vec![if s == 0 { 0.0 } else { v }]).collect()
            }
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 + 0.5 / (1u64 << 53) as f64
        };
        let samples = 4000;
        for batches in [10, 7] {
            let mut squares = 0.0;
            for _ in 0..samples {
                let means: Vec<f64> = (0..batches)
                    .map(|_| {
                        let (u, v) = (uniform(), uniform());
                        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
                    })
                    .collect();
                let a = shapley(&Mean(means), Method::Exact, 0, &none);
                squares += a.std_errors[0][0].powi(2);
            }
            let ratio = squares / samples as f64 * batches as f64;
            assert!((ratio - 1.0).abs() < 0.04, "{batches} batches: {ratio}");
        }
    }
}
