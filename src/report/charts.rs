//! SVG charts drawn with plotters: fan charts, histograms, tornado and Sobol
//! bars. Each series has its own colour (the `*_COLOUR` constants), so a
//! reader and a test can tell them apart.

use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The P5-P95 band of a fan chart.
pub const OUTER_BAND: RGBColor = RGBColor(0xBD, 0xD7, 0xEE);
/// The P25-P75 band.
pub const INNER_BAND: RGBColor = RGBColor(0x6F, 0xA8, 0xDC);
/// The median line.
pub const MEDIAN: RGBColor = RGBColor(0x1F, 0x4E, 0x79);
/// The plan's own path (kpmg-point), dashed.
pub const PLAN: RGBColor = RGBColor(0xC0, 0x00, 0x00);
/// Histogram bars and tornado bars for the low input.
pub const BARS: RGBColor = RGBColor(0x5B, 0x9B, 0xD5);
/// Tornado bars for the high input; total Sobol indices.
pub const SECOND: RGBColor = RGBColor(0xED, 0x7D, 0x31);

const SIZE: (u32, u32) = (760, 420);
/// Charts over the years are wider: their legend stands right of the plot,
/// where it hides no year's data.
const YEARS_SIZE: (u32, u32) = (960, 420);
/// Room right of a year chart's plot for its legend, pixels.
const LEGEND_ROOM: u32 = 200;
const FONT: &str = "sans-serif";

type Result<T> = std::result::Result<T, String>;

fn fail<E: std::fmt::Display>(e: E) -> String {
    format!("cannot draw chart: {e}")
}

/// The percentiles of one metric over the years, for a fan chart.
pub struct Fan<'a> {
    /// Chart title.
    pub title: &'a str,
    /// Y-axis label with unit.
    pub unit: &'a str,
    /// Calendar years.
    pub years: &'a [i32],
    /// P5, P25, P50, P75, P95 per year.
    pub p05: &'a [f64],
    /// P25.
    pub p25: &'a [f64],
    /// P50.
    pub p50: &'a [f64],
    /// P75.
    pub p75: &'a [f64],
    /// P95.
    pub p95: &'a [f64],
    /// The plan's path (kpmg-point), if shown.
    pub plan: Option<&'a [f64]>,
    /// The published claim: (year, value, label).
    pub claim: Option<(i32, f64, String)>,
}

/// A fan chart: P5-P95 and P25-P75 bands, the median, the plan's path
/// dashed and the published claim as a marked point.
pub(crate) fn fan_chart(f: &Fan<'_>) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, YEARS_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let all = f
            .p05
            .iter()
            .chain(f.p95)
            .chain(f.plan.unwrap_or(&[]))
            .chain(f.claim.as_ref().map(|c| &c.1))
            .copied();
        let (lo, hi) = padded_range(all, true);
        let (x0, x1) = (
            f64::from(*f.years.first().expect("years")),
            f64::from(*f.years.last().expect("years")),
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(f.title, (FONT, 20))
            .margin(12)
            .margin_right(LEGEND_ROOM)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, lo..hi)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("year")
            .y_desc(f.unit)
            .x_labels(13)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&axis_format(hi - lo))
            .light_line_style(WHITE)
            .draw()
            .map_err(fail)?;
        let years: Vec<f64> = f.years.iter().map(|&y| f64::from(y)).collect();
        let band = |lower: &[f64], upper: &[f64]| -> Vec<(f64, f64)> {
            years
                .iter()
                .zip(upper)
                .map(|(&x, &y)| (x, y))
                .chain(years.iter().zip(lower).rev().map(|(&x, &y)| (x, y)))
                .collect()
        };
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(f.p05, f.p95),
                OUTER_BAND.filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(f.p25, f.p75),
                INNER_BAND.filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                years.iter().copied().zip(f.p50.iter().copied()),
                MEDIAN.stroke_width(3),
            ))
            .map_err(fail)?;
        if let Some(plan) = f.plan {
            chart
                .draw_series(DashedLineSeries::new(
                    years.iter().copied().zip(plan.iter().copied()),
                    8,
                    5,
                    PLAN.stroke_width(2),
                ))
                .map_err(fail)?;
        }
        if let Some((year, value, label)) = &f.claim {
            let at = (f64::from(*year), *value);
            chart
                .draw_series(std::iter::once(Circle::new(at, 6, PLAN.filled())))
                .map_err(fail)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (at.0 + 0.4, at.1),
                    (FONT, 14).into_font().color(&PLAN),
                )))
                .map_err(fail)?;
        }
        let mut keys = vec![
            (Key::Square(OUTER_BAND), "P5 - P95"),
            (Key::Square(INNER_BAND), "P25 - P75"),
            (Key::Line(MEDIAN), "median"),
        ];
        if f.plan.is_some() {
            keys.push((Key::Dashed(PLAN), "the plan (kpmg-point)"));
        }
        legend_beside(&root, &chart, &keys)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// A histogram with the claim's threshold as a vertical line and the
/// probability written beside it.
pub(crate) fn histogram_chart(
    title: &str,
    unit: &str,
    edges: &[f64],
    counts: &[u64],
    threshold: f64,
    note: &str,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
        let (x0, x1) = (edges[0], edges[edges.len() - 1]);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, 0f64..top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc(unit)
            .y_desc("runs")
            .x_label_formatter(&axis_format(x1 - x0))
            .y_label_formatter(&axis_format(top))
            .light_line_style(WHITE)
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                Rectangle::new([(edges[i], 0.0), (edges[i + 1], c as f64)], BARS.filled())
            }))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                [(threshold, 0.0), (threshold, top)],
                PLAN.stroke_width(3),
            ))
            .map_err(fail)?;
        // The note sits on the side of the line with more room.
        let right_half = threshold > (x0 + x1) / 2.0;
        let (px, py) = chart.backend_coord(&(threshold, top * 0.93));
        let (dx, hpos) = if right_half {
            (-8, HPos::Right)
        } else {
            (8, HPos::Left)
        };
        let style = (FONT, 16)
            .into_font()
            .color(&PLAN)
            .pos(Pos::new(hpos, VPos::Center));
        root.draw(&Text::new(note.to_string(), (px + dx, py), style))
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// One bar of a tornado: the output with the input low and high.
pub struct Swing {
    /// The input's name.
    pub name: String,
    /// Output with the input at its P10.
    pub low: f64,
    /// Output with the input at its P90.
    pub high: f64,
}

/// A tornado: one horizontal bar per input around the base value, widest
/// first (top).
pub(crate) fn tornado_chart(
    title: &str,
    unit: &str,
    base: f64,
    swings: &[Swing],
) -> Result<String> {
    let mut svg = String::new();
    let n = swings.len().max(1);
    let height = (90 + 28 * n as u32).max(240);
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let values = swings.iter().flat_map(|s| [s.low, s.high]).chain([base]);
        let (lo, hi) = padded_range(values, false);
        let mut chart = row_chart(&root, title, unit, (lo, hi), n, true)?;
        let row = |i: usize| n as f64 - i as f64 - 0.5;
        chart
            .draw_series(swings.iter().enumerate().map(|(i, s)| {
                Rectangle::new(
                    [(base, row(i) - 0.35), (s.low, row(i) + 0.35)],
                    BARS.filled(),
                )
            }))
            .map_err(fail)?
            .label("parameter at its P10")
            .legend(legend_key(BARS));
        chart
            .draw_series(swings.iter().enumerate().map(|(i, s)| {
                Rectangle::new(
                    [(base, row(i) - 0.35), (s.high, row(i) + 0.35)],
                    SECOND.filled(),
                )
            }))
            .map_err(fail)?
            .label("parameter at its P90")
            .legend(legend_key(SECOND));
        chart
            .draw_series(LineSeries::new(
                [(base, 0.0), (base, n as f64)],
                BLACK.stroke_width(1),
            ))
            .map_err(fail)?;
        row_names(&root, &chart, lo, swings.iter().map(|s| s.name.as_str()))?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// S1 and ST of one input with their intervals.
pub struct Indices {
    /// The input's name.
    pub name: String,
    /// First-order index and interval.
    pub s1: (f64, f64, f64),
    /// Total index and interval.
    pub st: (f64, f64, f64),
}

/// Paired bars of S1 and ST per input with interval whiskers.
pub(crate) fn sobol_chart(title: &str, rows: &[Indices]) -> Result<String> {
    let mut svg = String::new();
    let n = rows.len().max(1);
    let height = (90 + 30 * n as u32).max(240);
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let top = rows
            .iter()
            .flat_map(|r| [r.s1.2, r.st.2])
            .fold(0.1f64, f64::max)
            .min(1.5)
            * 1.05;
        let mut chart = row_chart(
            &root,
            title,
            "share of output variance",
            (0f64, top),
            n,
            false,
        )?;
        let row = |i: usize| n as f64 - i as f64 - 0.5;
        for (series, colour, pick, offset) in [
            ("first order S1", BARS, 0usize, 0.02),
            ("total ST", SECOND, 1usize, -0.38),
        ] {
            let value = |r: &Indices| if pick == 0 { r.s1 } else { r.st };
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| {
                    let y = row(i) + offset;
                    Rectangle::new([(0.0, y), (value(r).0.max(0.0), y + 0.36)], colour.filled())
                }))
                .map_err(fail)?
                .label(series)
                .legend(legend_key(colour));
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| {
                    let y = row(i) + offset + 0.18;
                    let (_, lo, hi) = value(r);
                    PathElement::new(
                        vec![(lo.max(0.0), y), (hi.max(0.0), y)],
                        BLACK.stroke_width(2),
                    )
                }))
                .map_err(fail)?;
        }
        row_names(&root, &chart, 0.0, rows.iter().map(|r| r.name.as_str()))?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// One bar with its interval: a name, a value and (lo, hi).
pub struct Bar {
    /// The parameter's name.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Lower end of its interval (the value itself where there is none).
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// Horizontal bars from 0, largest first (top), with interval whiskers:
/// Shapley effects, Kolmogorov-Smirnov distances.
pub(crate) fn bar_chart(title: &str, unit: &str, label: &str, rows: &[Bar]) -> Result<String> {
    let mut svg = String::new();
    let n = rows.len().max(1);
    let height = (90 + 28 * n as u32).max(240);
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let top = rows
            .iter()
            .map(|r| r.hi.max(r.value))
            .fold(0.05f64, f64::max)
            * 1.08;
        let mut chart = row_chart(&root, title, unit, (0f64, top), n, false)?;
        let row = |i: usize| n as f64 - i as f64 - 0.5;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                Rectangle::new(
                    [(0.0, row(i) - 0.35), (r.value.max(0.0), row(i) + 0.35)],
                    BARS.filled(),
                )
            }))
            .map_err(fail)?
            .label(label)
            .legend(legend_key(BARS));
        chart
            .draw_series(
                rows.iter()
                    .enumerate()
                    .filter(|(_, r)| r.hi > r.lo)
                    .map(|(i, r)| {
                        PathElement::new(
                            vec![(r.lo.max(0.0), row(i)), (r.hi.max(0.0), row(i))],
                            BLACK.stroke_width(2),
                        )
                    }),
            )
            .map_err(fail)?;
        row_names(&root, &chart, 0.0, rows.iter().map(|r| r.name.as_str()))?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Colours of the stacked series, then grey for the rest.
const STACK: [RGBColor; 7] = [
    RGBColor(0x1F, 0x4E, 0x79),
    RGBColor(0xED, 0x7D, 0x31),
    RGBColor(0x5B, 0x9B, 0xD5),
    RGBColor(0x70, 0xAD, 0x47),
    RGBColor(0xFF, 0xC0, 0x00),
    RGBColor(0x9E, 0x48, 0x0E),
    RGBColor(0xA5, 0xA5, 0xA5),
];

/// Shares stacked year by year: one band per series, in order, bottom up.
pub(crate) fn stacked_years(
    title: &str,
    unit: &str,
    years: &[i32],
    series: &[(String, Vec<f64>)],
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, YEARS_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let (first, last) = (
            *years.first().unwrap_or(&2026) as f64,
            *years.last().unwrap_or(&2050) as f64,
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .margin_right(LEGEND_ROOM)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(first..last, 0f64..1.0)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("year")
            .y_desc(unit)
            .x_labels(13)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .light_line_style(WHITE)
            .draw()
            .map_err(fail)?;
        let mut below = vec![0.0; years.len()];
        for (k, (_, values)) in series.iter().enumerate() {
            let colour = STACK[k.min(STACK.len() - 1)];
            let above: Vec<f64> = below
                .iter()
                .zip(values)
                .map(|(b, v)| b + v.max(0.0))
                .collect();
            let upper = years
                .iter()
                .zip(&above)
                .map(|(&y, &v)| (y as f64, v.min(1.0)));
            let lower = years
                .iter()
                .zip(&below)
                .rev()
                .map(|(&y, &v)| (y as f64, v.min(1.0)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    colour.filled(),
                )))
                .map_err(fail)?;
            below = above;
        }
        let keys: Vec<(Key, &str)> = series
            .iter()
            .enumerate()
            .map(|(k, (name, _))| (Key::Square(STACK[k.min(STACK.len() - 1)]), name.as_str()))
            .collect();
        legend_beside(&root, &chart, &keys)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// One step of a waterfall: how much it moves the output, and the
/// standard error of that.
pub struct WaterfallStep {
    /// The step's name.
    pub name: String,
    /// Its contribution.
    pub delta: f64,
    /// The standard error of the contribution.
    pub std_error: f64,
}

/// A bridge as a horizontal waterfall: the first scenario's value, one
/// floating bar per step (its contribution, with whiskers of two standard
/// errors), the second scenario's value, and a reference line (the
/// published claim).
pub(crate) fn waterfall_chart(
    title: &str,
    unit: &str,
    start: (&str, f64),
    steps: &[WaterfallStep],
    end: (&str, f64),
    reference: Option<(f64, &str)>,
) -> Result<String> {
    let mut svg = String::new();
    let n = steps.len() + 2;
    let height = (110 + 26 * n as u32).max(260);
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut level = start.1;
        let mut spans = vec![(0.0, start.1)];
        for s in steps {
            spans.push((level, level + s.delta));
            level += s.delta;
        }
        spans.push((0.0, end.1));
        let values = spans
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .chain(reference.map(|r| r.0))
            .chain(
                steps
                    .iter()
                    .zip(&spans[1..])
                    .flat_map(|(s, &(_, b))| [b - 2.0 * s.std_error, b + 2.0 * s.std_error]),
            );
        let (lo, hi) = padded_range(values, true);
        let mut chart = row_chart(&root, title, unit, (lo, hi), n, true)?;
        let row = |i: usize| n as f64 - i as f64 - 0.5;
        let bar = |i: usize, (a, b): (f64, f64), colour: RGBColor| {
            Rectangle::new([(a, row(i) - 0.35), (b, row(i) + 0.35)], colour.filled())
        };
        chart
            .draw_series([bar(0, spans[0], MEDIAN), bar(n - 1, spans[n - 1], MEDIAN)])
            .map_err(fail)?
            .label("scenario value")
            .legend(legend_key(MEDIAN));
        let steps_at = || {
            steps
                .iter()
                .zip(&spans[1..])
                .enumerate()
                .map(|(i, x)| (i + 1, x))
        };
        chart
            .draw_series(
                steps_at()
                    .filter(|(_, (s, _))| s.delta >= 0.0)
                    .map(|(i, (_, &span))| bar(i, span, BARS)),
            )
            .map_err(fail)?
            .label("step raises it")
            .legend(legend_key(BARS));
        chart
            .draw_series(
                steps_at()
                    .filter(|(_, (s, _))| s.delta < 0.0)
                    .map(|(i, (_, &span))| bar(i, span, SECOND)),
            )
            .map_err(fail)?
            .label("step lowers it")
            .legend(legend_key(SECOND));
        chart
            .draw_series(steps_at().map(|(i, (s, &(_, b)))| {
                PathElement::new(
                    [
                        (b - 2.0 * s.std_error, row(i)),
                        (b + 2.0 * s.std_error, row(i)),
                    ],
                    BLACK.stroke_width(2),
                )
            }))
            .map_err(fail)?;
        if let Some((x, label)) = reference {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x, 0.0), (x, n as f64)],
                    6,
                    4,
                    PLAN.stroke_width(2),
                ))
                .map_err(fail)?
                .label(label)
                .legend(dashed_key(PLAN));
        }
        let names = std::iter::once(start.0)
            .chain(steps.iter().map(|s| s.name.as_str()))
            .chain(std::iter::once(end.0))
            .collect::<Vec<_>>();
        row_names(&root, &chart, lo, names.into_iter())?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// The axes of a chart with one horizontal bar per row: `n` rows, row i
/// centred at n - i - 1/2 (the first at the top), the x axis from `lo` to
/// `hi` labelled `unit`, its numbers formatted to the span where asked.
fn row_chart<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    unit: &str,
    (lo, hi): (f64, f64),
    n: usize,
    format_x: bool,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(170)
        .build_cartesian_2d(lo..hi, 0f64..n as f64)
        .map_err(fail)?;
    let format = axis_format(hi - lo);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(unit).y_labels(0);
    if format_x {
        mesh.x_label_formatter(&format);
    }
    mesh.light_line_style(WHITE)
        .disable_y_mesh()
        .draw()
        .map_err(fail)?;
    Ok(chart)
}

/// A filled square for a series in the legend.
fn legend_key(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour.filled())
}

/// A dashed line for a dashed series in the legend, as the plot draws it.
fn dashed_key(
    colour: RGBColor,
) -> impl Fn((i32, i32)) -> DashedPathElement<std::array::IntoIter<(i32, i32), 2>, u32> {
    move |(x, y)| DashedPathElement::new([(x, y), (x + 20, y)], 5, 3, colour.stroke_width(2))
}

/// How a series is keyed in a legend drawn beside the plot.
enum Key {
    /// A filled square, for a band or an area.
    Square(RGBColor),
    /// A solid line, for the median.
    Line(RGBColor),
    /// A dashed line, for the plan's path.
    Dashed(RGBColor),
}

/// The legend of a chart over the years, right of its plot in the room
/// `LEGEND_ROOM` leaves, so that it covers no year's data. (Plotters
/// clips its own legend to the plot, hence drawn here.)
fn legend_beside<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    keys: &[(Key, &str)],
) -> Result<()> {
    const ROW: i32 = 18;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (x, top) = (xs.end + 14, ys.start);
    let (right, bottom) = (
        x + LEGEND_ROOM as i32 - 24,
        top + 10 + ROW * keys.len() as i32,
    );
    root.draw(&Rectangle::new([(x, top), (right, bottom)], WHITE.filled()))
        .map_err(fail)?;
    root.draw(&Rectangle::new([(x, top), (right, bottom)], BLACK.mix(0.3)))
        .map_err(fail)?;
    for (i, (key, label)) in keys.iter().enumerate() {
        let y = top + 5 + ROW * i as i32 + ROW / 2;
        let (k0, k1) = (x + 8, x + 28);
        match *key {
            Key::Square(c) => root.draw(&Rectangle::new([(k0, y - 5), (k1, y + 5)], c.filled())),
            Key::Line(c) => root.draw(&PathElement::new(vec![(k0, y), (k1, y)], c.stroke_width(3))),
            Key::Dashed(c) => root.draw(&DashedPathElement::new(
                [(k0, y), (k1, y)],
                5,
                3,
                c.stroke_width(2),
            )),
        }
        .map_err(fail)?;
        let style = (FONT, 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(label.to_string(), (k1 + 8, y), style))
            .map_err(fail)?;
    }
    Ok(())
}

/// The legend box, the same on every chart.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 13))
        .draw()
        .map_err(fail)
}

/// Writes `names` left of the plot, one per row from the top (row i is
/// centred at y = n - i - 1/2), as the category labels of a bar chart.
fn row_names<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    x: f64,
    names: impl ExactSizeIterator<Item = &'a str>,
) -> Result<()> {
    let n = names.len() as f64;
    for (i, name) in names.enumerate() {
        let (px, py) = chart.backend_coord(&(x, n - i as f64 - 0.5));
        let style = (FONT, 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(name.to_string(), (px - 8, py), style))
            .map_err(fail)?;
    }
    Ok(())
}

/// The range of `values` with 5 % margins (and 0 included if asked).
fn padded_range(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        1.0_f64.max(hi.abs() * 0.1)
    };
    (lo - pad, hi + pad)
}

/// Formats axis numbers for an axis spanning `span`: thousands separated,
/// with as many decimals as the span needs.
fn axis_format(span: f64) -> impl Fn(&f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    };
    move |x: &f64| crate::table::number(*x, decimals)
}
