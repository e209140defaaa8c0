//! Turns what a plugin returned into what the host is willing to show: only
//! declared cards, only roles that may see them, every string clamped, every
//! URL checked. Plugins cannot make the host emit markup: the templates escape
//! everything produced here.

use super::bindings::cards;
use portico_core::formats::Formats;
use portico_core::text::{clamp, safe_url};
use serde::Serialize;

const TITLE: usize = 120;
const TEXT: usize = 4000;
const LABEL: usize = 200;
const VALUE: usize = 1000;
const CELL: usize = 300;
const MAX_BLOCKS: usize = 50;
const MAX_ACTIONS: usize = 6;
const MAX_ROWS: usize = 200;
const MAX_COLUMNS: usize = 12;
const MAX_ITEMS: usize = 100;
const MAX_POINTS: usize = 60;
const MAX_CHOICES: usize = 50;
const MAX_ID: usize = 64;
/// Cards one render may return; the rest are not even looked at.
const MAX_CARDS: usize = 100;

/// Ids and input names: short, and made of characters that need no escaping.
fn safe_id(id: &str) -> Option<String> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !id.starts_with("_portico");
    ok.then(|| id.to_string())
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TaskState {
    ToDo,
    Done,
    NotNeeded,
    Info,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chip {
    pub label: String,
    pub tone: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelValue {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChoiceView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputView {
    /// Unique on the page: `in-{plugin}-{card}-{name}`.
    pub id: String,
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub checked: bool,
    pub help: Option<String>,
    pub choices: Vec<ChoiceView>,
    /// What the viewer must fix in this input, after a refused submission.
    pub problem: Option<String>,
    /// The ids of the problem and the help text, for `aria-describedby`.
    pub describedby: Option<String>,
    /// A file input: what the picker offers, whether it takes several, and
    /// the rules the host applies to what is posted (`FileRules::token`).
    pub file: Option<FileView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub accept: String,
    pub multiple: bool,
    pub rules: String,
    /// "Photos (JPEG or PNG), at most 10 MB each."
    pub says: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BarView {
    pub label: String,
    pub value: String,
    pub percent: u32,
    /// The bar's place in the chart's SVG (see `ChartGeometry`).
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Where its label is written under it.
    pub label_x: f64,
    /// What is written under it: the label, or its first word when the
    /// label is too long for the bar's width, or nothing (the table under
    /// the chart always has the whole label).
    pub tick: String,
}

/// The chart's drawing area, in SVG user units.
pub struct ChartGeometry;

impl ChartGeometry {
    pub const WIDTH: f64 = 600.0;
    /// The height of the tallest bar.
    pub const PLOT: f64 = 160.0;
    /// The space under the bars for their labels.
    pub const LABELS: f64 = 24.0;
    /// How wide one character of a label is, at its font size (16 units).
    pub const CHARACTER: f64 = 9.5;
}

/// What fits under a bar `slot` units wide: the label, its first word, or nothing.
fn tick(label: &str, slot: f64) -> String {
    let fits = |text: &str| text.chars().count() as f64 * ChartGeometry::CHARACTER <= slot;
    if fits(label) {
        return label.to_string();
    }
    match label.split_whitespace().next() {
        Some(word) if fits(word) => word.to_string(),
        _ => String::new(),
    }
}

/// One block, ready for the template (`kind` picks the partial).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BlockView {
    Heading { text: String },
    Text { text: String },
    Fields { fields: Vec<LabelValue> },
    Table { columns: Vec<String>, rows: Vec<Vec<String>> },
    Bullets { items: Vec<String> },
    Notice { tone: &'static str, text: String },
    Money { label: String, amount: String },
    Moment { label: String, at: String },
    Chip { chip: Chip },
    Progress { label: String, done: u32, total: u32, percent: u32 },
    Image { url: String, alt: String },
    Link { label: String, url: Option<String> },
    Input { input: InputView },
    Chart {
        title: String,
        /// `bar` or `line`.
        shape: &'static str,
        bars: Vec<BarView>,
        /// For a line chart, the SVG `points` through the tops of the bars.
        line: String,
        /// The SVG's `viewBox`.
        view_box: String,
        /// The plot's base line, in SVG units.
        base: f64,
        /// What the chart says to someone who cannot see it.
        summary: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub id: String,
    pub label: String,
    pub style: &'static str,
    pub confirm: Option<String>,
    pub disabled_reason: Option<String>,
}

/// A card as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    pub plugin_id: String,
    pub id: String,
    pub title: String,
    pub status: Option<Chip>,
    pub task: TaskState,
    pub blocks: Vec<BlockView>,
    pub actions: Vec<ActionView>,
    pub has_form: bool,
    /// Whether its form takes files (posted as multipart).
    pub has_files: bool,
    pub unavailable: bool,
}

/// The template name of a tone.
pub fn tone(tone: cards::Tone) -> &'static str {
    match tone {
        cards::Tone::Neutral => "neutral",
        cards::Tone::Info => "info",
        cards::Tone::Success => "success",
        cards::Tone::Warning => "warning",
        cards::Tone::Danger => "danger",
    }
}

fn chip(status: cards::StatusChip) -> Chip {
    Chip { label: clamp(&status.label, 40), tone: tone(status.tone) }
}

fn percent(done: f64, total: f64) -> u32 {
    if total <= 0.0 || !done.is_finite() || !total.is_finite() {
        return 0;
    }
    ((done / total) * 100.0).clamp(0.0, 100.0).round() as u32
}

/// A card's refused submission, shown again: what the viewer typed, and
/// what the section said to fix in which input (name, message).
#[derive(Debug, Clone, Copy)]
pub struct KeptForm<'a> {
    pub typed: &'a [(String, String)],
    pub problems: &'a [(String, String)],
}

/// Most per-input problems shown on one card, and the length of each.
pub const MAX_PROBLEMS: usize = 20;
pub const PROBLEM: usize = 200;

/// A section's per-input problems as the host keeps them: only plain input
/// names, each once, clamped.
pub fn field_problems(problems: &[crate::FieldProblem]) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = Vec::new();
    for problem in problems {
        let Some(name) = safe_id(&problem.field) else { continue };
        if kept.len() == MAX_PROBLEMS || kept.iter().any(|(seen, _)| *seen == name) {
            continue;
        }
        kept.push((name, clamp(&problem.message, PROBLEM)));
    }
    kept
}

fn input_view(field: cards::FormField, kept: Option<KeptForm<'_>>, id_prefix: &str) -> Option<InputView> {
    let name = safe_id(&field.name)?;
    let problem = kept.and_then(|form| form.problems.iter().find(|(key, _)| *key == name).map(|(_, message)| message.clone()));
    let kept = kept.map(|form| form.typed);
    // A hidden value always comes from the plugin: after a refusal it must be
    // what the card says now (a new version of a text), not what was sent.
    let hidden = matches!(field.kind, cards::InputKind::Hidden);
    let file = match &field.kind {
        cards::InputKind::File(input) => Some(file_view(input)),
        _ => None,
    };
    let typed = kept
        .filter(|_| !hidden)
        .and_then(|pairs| pairs.iter().find(|(key, _)| *key == name).map(|(_, v)| v.clone()));
    let value = if file.is_some() { String::new() } else { clamp(&typed.clone().or(field.value).unwrap_or_default(), TEXT) };
    let (kind, choices) = match field.kind {
        cards::InputKind::Text => ("text", Vec::new()),
        cards::InputKind::LongText => ("long-text", Vec::new()),
        cards::InputKind::Email => ("email", Vec::new()),
        cards::InputKind::Number => ("number", Vec::new()),
        cards::InputKind::Date => ("date", Vec::new()),
        cards::InputKind::Checkbox => ("checkbox", Vec::new()),
        cards::InputKind::Hidden => ("hidden", Vec::new()),
        cards::InputKind::File(_) => ("file", Vec::new()),
        cards::InputKind::Select(choices) => (
            "select",
            choices
                .into_iter()
                .take(MAX_CHOICES)
                .map(|c| ChoiceView { selected: c.value == value, value: clamp(&c.value, LABEL), label: clamp(&c.label, LABEL) })
                .collect(),
        ),
    };
    // A kept checkbox was ticked if it was submitted at all.
    let checked = kind == "checkbox" && (if kept.is_some() { typed.is_some() } else { !value.is_empty() && value != "off" });
    let id = format!("{id_prefix}-{name}");
    let problem = problem.filter(|_| !hidden);
    let help = field.help.map(|help| clamp(&help, TEXT));
    let describedby = [problem.as_ref().map(|_| format!("{id}-error")), help.as_ref().map(|_| format!("{id}-help"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(InputView {
        describedby: (!describedby.is_empty()).then_some(describedby),
        id,
        problem,
        name,
        label: clamp(&field.label, TEXT),
        kind,
        required: field.required,
        value,
        checked,
        help,
        choices,
        file,
    })
}

/// A file input as the page shows it and the host checks what it posts.
fn file_view(input: &cards::FileInput) -> FileView {
    use portico_services::uploads::{size_words, FileRules, FileType};
    let mut types: Vec<FileType> = input
        .types
        .iter()
        .map(|t| match t {
            cards::FileType::Photo => FileType::Photo,
            cards::FileType::Pdf => FileType::Pdf,
        })
        .collect();
    types.dedup();
    if types.is_empty() {
        types.push(FileType::Photo);
    }
    let rules = FileRules { types, max_bytes: input.max_bytes as usize, multiple: input.multiple };
    let kinds: Vec<&str> = rules.types.iter().map(|t| if *t == FileType::Photo { "photos (JPEG or PNG)" } else { "PDFs" }).collect();
    let mut says = format!("{}, at most {}", kinds.join(" or "), size_words(rules.cap()));
    if let Some(first) = says.get(0..1) {
        says = first.to_uppercase() + &says[1..];
    }
    FileView {
        accept: rules.accept(),
        multiple: input.multiple,
        says: format!("{says}{}.", if input.multiple { " each" } else { "" }),
        rules: rules.token(),
    }
}

fn block_view(block: cards::Block, formats: &dyn Formats, kept: Option<KeptForm<'_>>, id_prefix: &str) -> Option<BlockView> {
    Some(match block {
        cards::Block::Heading(text) => BlockView::Heading { text: clamp(&text, TITLE) },
        cards::Block::Text(text) => BlockView::Text { text: clamp(&text, TEXT) },
        cards::Block::Fields(fields) => BlockView::Fields {
            fields: fields
                .into_iter()
                .take(MAX_ITEMS)
                .map(|f| LabelValue { label: clamp(&f.label, LABEL), value: clamp(&f.value, VALUE) })
                .collect(),
        },
        cards::Block::Table(table) => {
            let columns: Vec<String> = table.columns.iter().take(MAX_COLUMNS).map(|c| clamp(c, CELL)).collect();
            let width = columns.len();
            let rows = table
                .rows
                .into_iter()
                .take(MAX_ROWS)
                .map(|row| {
                    let mut cells: Vec<String> = row.iter().take(width).map(|c| clamp(c, CELL)).collect();
                    cells.resize(width, String::new());
                    cells
                })
                .collect();
            BlockView::Table { columns, rows }
        }
        cards::Block::Bullets(items) => {
            BlockView::Bullets { items: items.iter().take(MAX_ITEMS).map(|i| clamp(i, VALUE)).collect() }
        }
        cards::Block::Notice(notice) => BlockView::Notice { tone: tone(notice.tone), text: clamp(&notice.text, TEXT) },
        cards::Block::Money(money) => BlockView::Money { label: clamp(&money.label, LABEL), amount: formats.money(money.amount) },
        cards::Block::Moment(moment) => BlockView::Moment { label: clamp(&moment.label, LABEL), at: formats.moment(moment.at) },
        cards::Block::Chip(status) => BlockView::Chip { chip: chip(status) },
        cards::Block::Progress(p) => BlockView::Progress {
            label: clamp(&p.label, LABEL),
            done: p.done.min(p.total),
            total: p.total,
            percent: percent(p.done as f64, p.total as f64),
        },
        cards::Block::Image(image) => BlockView::Image { url: safe_url(&image.url)?, alt: clamp(&image.alt, LABEL) },
        cards::Block::Link(link) => BlockView::Link { label: clamp(&link.label, LABEL), url: safe_url(&link.url) },
        cards::Block::Input(field) => BlockView::Input { input: input_view(field, kept, id_prefix)? },
        cards::Block::Chart(chart) => chart_view(chart),
    })
}

/// A chart as the template draws it: one bar (or line point) per value,
/// scaled to the largest, with each value also written out for the table.
fn chart_view(chart: cards::Chart) -> BlockView {
    let points: Vec<_> = chart.points.into_iter().filter(|p| p.value.is_finite()).take(MAX_POINTS).collect();
    let max = points.iter().map(|p| p.value).fold(0.0_f64, f64::max);
    let slot = ChartGeometry::WIDTH / points.len().max(1) as f64;
    let bars: Vec<BarView> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let height = if max > 0.0 { (p.value.max(0.0) / max * ChartGeometry::PLOT).round() } else { 0.0 };
            BarView {
                label: clamp(&p.label, LABEL),
                value: number_text(p.value),
                percent: percent(p.value, max),
                x: (i as f64 * slot + slot * 0.15).round(),
                y: ChartGeometry::PLOT - height,
                width: (slot * 0.7).round().max(1.0),
                height,
                label_x: (i as f64 * slot + slot / 2.0).round(),
                tick: tick(&clamp(&p.label, LABEL), slot),
            }
        })
        .collect();
    let line = bars.iter().map(|bar| format!("{},{}", bar.label_x, bar.y)).collect::<Vec<_>>().join(" ");
    let title = clamp(&chart.title, TITLE);
    let highest = points.iter().zip(&bars).max_by(|(a, _), (b, _)| a.value.total_cmp(&b.value)).map(|(_, bar)| bar);
    let summary = match highest {
        Some(top) if max > 0.0 => format!("{title}: {} values, the highest {} ({}). The table below gives each.", bars.len(), top.value, top.label),
        _ => format!("{title}: nothing to show yet."),
    };
    BlockView::Chart {
        shape: match chart.kind {
            cards::ChartKind::Bar => "bar",
            cards::ChartKind::Line => "line",
        },
        line,
        view_box: format!("0 0 {} {}", ChartGeometry::WIDTH, ChartGeometry::PLOT + ChartGeometry::LABELS),
        base: ChartGeometry::PLOT,
        summary,
        title,
        bars,
    }
}

/// A chart value as people read it: "1,234" or "1,234.50".
fn number_text(value: f64) -> String {
    let negative = value < 0.0;
    let cents = (value.abs() * 100.0).round() as u128;
    let (whole, fraction) = (cents / 100, cents % 100);
    let grouped = portico_core::formats::grouped_thousands(whole);
    let sign = if negative && cents > 0 { "-" } else { "" };
    if fraction == 0 { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{fraction:02}") }
}

fn action_view(action: cards::Action) -> Option<ActionView> {
    Some(ActionView {
        id: safe_id(&action.id)?,
        label: clamp(&action.label, 60),
        style: match action.style {
            cards::ActionStyle::Primary => "primary",
            cards::ActionStyle::Secondary => "secondary",
            cards::ActionStyle::Danger => "danger",
        },
        confirm: action.confirm.map(|c| clamp(&c, LABEL)),
        disabled_reason: action.disabled_reason.map(|r| clamp(&r, LABEL)),
    })
}

/// What the host accepts from a plugin's `render`: the cards among `visible`
/// (the declared cards this viewer may see on this surface, see
/// [`ActiveSection::cards_for`](crate::ActiveSection::cards_for)), each once,
/// clamped; anything else is dropped.
pub fn accept_cards(
    plugin_id: &str,
    rendered: Vec<cards::Card>,
    visible: &[&cards::CardSpec],
    formats: &dyn Formats,
    kept: Option<(&str, KeptForm<'_>)>,
) -> Vec<CardView> {
    let mut seen = Vec::new();
    let mut accepted = Vec::new();
    for card in rendered.into_iter().take(MAX_CARDS) {
        let Some(spec) = visible.iter().find(|spec| spec.id == card.id) else {
            tracing::debug!(plugin = plugin_id, card = %clamp(&card.id, MAX_ID), "plugin rendered a card this viewer may not see here (or never declared); dropped");
            continue;
        };
        if seen.contains(&card.id) {
            continue;
        }
        seen.push(card.id.clone());
        let kept_here = kept.filter(|(card_id, _)| *card_id == card.id).map(|(_, form)| form);
        // Ids of inputs are unique on the page: two cards may both ask a `name`.
        let id_prefix = format!("in-{plugin_id}-{}", card.id);
        let blocks: Vec<BlockView> = card
            .blocks
            .into_iter()
            .take(MAX_BLOCKS)
            .filter_map(|b| block_view(b, formats, kept_here, &id_prefix))
            .collect();
        let has_form = blocks.iter().any(|b| matches!(b, BlockView::Input { .. }));
        let has_files = blocks.iter().any(|b| matches!(b, BlockView::Input { input } if input.file.is_some()));
        accepted.push(CardView {
            plugin_id: plugin_id.to_string(),
            id: card.id,
            title: clamp(card.title.as_deref().unwrap_or(&spec.title), TITLE),
            status: card.status.map(chip),
            task: match card.task {
                cards::TaskState::ToDo => TaskState::ToDo,
                cards::TaskState::Done => TaskState::Done,
                cards::TaskState::NotNeeded => TaskState::NotNeeded,
                cards::TaskState::Info => TaskState::Info,
            },
            blocks,
            actions: card.actions.into_iter().take(MAX_ACTIONS).filter_map(action_view).collect(),
            has_form,
            has_files,
            unavailable: false,
        });
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain() {
        assert!(safe_id("full_name").is_some());
        assert!(safe_id("x\" onmouseover=\"y").is_none());
        assert!(safe_id("_portico_csrf").is_none());
    }

    #[test]
    fn a_chart_is_scaled_to_its_largest_value_and_written_out() {
        let point = |label: &str, value: f64| cards::ChartPoint { label: label.into(), value };
        let chart = cards::Chart {
            title: "Invoiced".into(),
            kind: cards::ChartKind::Bar,
            points: vec![point("Jan", 1234.5), point("Feb", 0.0), point("Mar", f64::NAN), point("Apr", 2469.0)],
        };
        let BlockView::Chart { bars, summary, .. } = chart_view(chart) else { panic!("a chart") };
        assert_eq!(bars.len(), 3, "a value that is not a number is dropped");
        assert_eq!(bars.iter().map(|b| b.value.as_str()).collect::<Vec<_>>(), ["1,234.50", "0", "2,469"]);
        assert_eq!((bars[2].height, bars[2].y), (ChartGeometry::PLOT, 0.0), "the largest fills the plot");
        assert_eq!(bars[0].height, ChartGeometry::PLOT / 2.0);
        assert_eq!(bars[1].height, 0.0);
        assert!(bars.windows(2).all(|pair| pair[0].x + pair[0].width < pair[1].x), "bars do not overlap");
        assert!(summary.contains("the highest 2,469 (Apr)"), "{summary}");
        assert_eq!(bars.iter().map(|b| b.tick.as_str()).collect::<Vec<_>>(), ["Jan", "Feb", "Apr"]);
        assert_eq!(tick("Nov 2026", 50.0), "Nov", "twelve months: the month's name");
        assert_eq!(tick("Nov 2026", 200.0), "Nov 2026");
        assert_eq!(tick("September", 50.0), "", "nothing rather than overlapping");
        assert_eq!(number_text(-0.001), "0");
        assert_eq!(number_text(1_000_000.0), "1,000,000");
    }
}
