//! Builders for the contract's records, so sections read as what they show.

use crate::{
    Action, ActionError, ActionStyle, Address, FieldProblem, FileInput, FileType, InputProblems, Block, Card, CardSpec, Descriptor, Download, DownloadFormat, EventKind, Field, FormField, Image,
    InputKind, Link, Notice, Outcome, Permission, PermissionRequest, Placement, Role, SettingKind,
    SettingSpec, StaffRole, StatusChip, TaskState, Tone,
};

impl Descriptor {
    /// A descriptor with an id, a name and a version, and nothing else yet.
    pub fn new(id: &str, name: &str, version: &str) -> Self {
        Descriptor {
            id: id.into(),
            name: name.into(),
            version: version.into(),
            description: String::new(),
            cards: Vec::new(),
            permissions: Vec::new(),
            events: Vec::new(),
            settings: Vec::new(),
        }
    }

    /// The paragraph tenants read in their section list.
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.into();
        self
    }

    /// Declare a card the section may render.
    pub fn card(mut self, spec: CardSpec) -> Self {
        self.cards.push(spec);
        self
    }

    /// Ask for a permission, saying why.
    pub fn permission(mut self, permission: Permission, reason: &str) -> Self {
        self.permissions.push(PermissionRequest { permission, reason: reason.into() });
        self
    }

    /// Ask for an event to be delivered to `on_event`.
    pub fn event(mut self, kind: EventKind) -> Self {
        self.events.push(kind);
        self
    }

    /// Declare a setting; `default` is its JSON default (`serde_json::json!`).
    pub fn setting(mut self, key: &str, label: &str, kind: SettingKind, default: serde_json::Value) -> Self {
        self.settings.push(SettingSpec {
            key: key.into(),
            label: label.into(),
            help: None,
            kind,
            default_value: default.to_string(),
        });
        self
    }

    /// Add help text to the setting declared last.
    pub fn setting_help(mut self, help: &str) -> Self {
        if let Some(last) = self.settings.last_mut() {
            last.help = Some(help.into());
        }
        self
    }
}

impl CardSpec {
    /// A checklist card on the dashboard, visible to nobody until [`roles`](Self::roles).
    pub fn dashboard(id: &str, title: &str) -> Self {
        CardSpec { id: id.into(), title: title.into(), placement: Placement::Dashboard, roles: Vec::new() }
    }

    /// A card on the tab titled `tab`.
    pub fn tab(id: &str, title: &str, tab: &str) -> Self {
        CardSpec { id: id.into(), title: title.into(), placement: Placement::Tab(tab.into()), roles: Vec::new() }
    }

    /// A card on the client's account hub (their home with the business,
    /// across all their jobs), visible to nobody until [`roles`](Self::roles).
    /// Read across jobs with [`account`](crate::account).
    pub fn hub(id: &str, title: &str) -> Self {
        CardSpec { id: id.into(), title: title.into(), placement: Placement::Hub, roles: Vec::new() }
    }

    /// A card on the account hub's tab titled `tab`.
    pub fn hub_tab(id: &str, title: &str, tab: &str) -> Self {
        CardSpec { id: id.into(), title: title.into(), placement: Placement::HubTab(tab.into()), roles: Vec::new() }
    }

    /// A panel on the console's page of a job, for the staff in `staff`.
    pub fn staff_panel(id: &str, title: &str, staff: &[StaffRole]) -> Self {
        CardSpec { id: id.into(), title: title.into(), placement: Placement::StaffPanel(staff.to_vec()), roles: vec![Role::Staff] }
    }

    /// A card on the section's own console page (named after the section,
    /// listed in the console's menu), for the staff in `staff`.
    pub fn staff_page(id: &str, title: &str, staff: &[StaffRole]) -> Self {
        CardSpec { id: id.into(), title: title.into(), placement: Placement::StaffPage(staff.to_vec()), roles: vec![Role::Staff] }
    }

    /// The roles that may see the card.
    pub fn roles(mut self, roles: &[Role]) -> Self {
        self.roles = roles.to_vec();
        self
    }

    /// Every role, staff included.
    pub fn everyone(self) -> Self {
        self.roles(&[
            Role::Client,
            Role::CoClient,
            Role::BuyerAgent,
            Role::ListingAgent,
            Role::Other,
            Role::Staff,
        ])
    }
}

impl Card {
    /// An empty card for the declared card `id`, shown as information.
    pub fn new(id: &str) -> Self {
        Card { id: id.into(), title: None, status: None, task: TaskState::Info, blocks: Vec::new(), actions: Vec::new() }
    }

    /// Replace the declared title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Where the card stands in the checklist.
    pub fn task(mut self, task: TaskState) -> Self {
        self.task = task;
        self
    }

    /// A chip beside the title.
    pub fn status(mut self, label: &str, tone: Tone) -> Self {
        self.status = Some(StatusChip { label: label.into(), tone });
        self
    }

    /// Append any block.
    pub fn block(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }

    /// Append a paragraph.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.block(Block::Text(text.into()))
    }

    /// Append a sub-heading.
    pub fn heading(self, text: impl Into<String>) -> Self {
        self.block(Block::Heading(text.into()))
    }

    /// Append a highlighted message.
    pub fn notice(self, tone: Tone, text: impl Into<String>) -> Self {
        self.block(Block::Notice(Notice { tone, text: text.into() }))
    }

    /// Append label/value pairs.
    pub fn fields<L: Into<String>, V: Into<String>>(self, pairs: impl IntoIterator<Item = (L, V)>) -> Self {
        let fields = pairs.into_iter().map(|(label, value)| Field { label: label.into(), value: value.into() });
        self.block(Block::Fields(fields.collect()))
    }

    /// Append a moment, shown in the tenant's time zone.
    pub fn moment(self, label: impl Into<String>, at: i64) -> Self {
        self.block(Block::Moment(crate::Moment { label: label.into(), at }))
    }

    /// Progress through steps: "Kitchen: 3 of 5", drawn as a bar.
    pub fn progress(self, label: impl Into<String>, done: u32, total: u32) -> Self {
        self.block(Block::Progress(crate::Progress { label: label.into(), done, total }))
    }

    /// Append an amount, formatted by the host in the tenant's currency.
    pub fn money(self, label: impl Into<String>, amount: i64) -> Self {
        self.block(Block::Money(crate::Money { label: label.into(), amount }))
    }

    /// Append a table; each row should have one cell per column.
    pub fn table<C: Into<String>>(self, columns: impl IntoIterator<Item = C>, rows: Vec<Vec<String>>) -> Self {
        self.block(Block::Table(crate::Table { columns: columns.into_iter().map(Into::into).collect(), rows }))
    }

    /// Append a bar chart of labelled values, drawn by the host as an
    /// accessible SVG with the numbers also as a table.
    pub fn bar_chart<L: Into<String>>(self, title: impl Into<String>, points: impl IntoIterator<Item = (L, f64)>) -> Self {
        let points = points.into_iter().map(|(label, value)| crate::ChartPoint { label: label.into(), value }).collect();
        self.block(Block::Chart(crate::Chart { title: title.into(), kind: crate::ChartKind::Bar, points }))
    }

    /// A property's notes for its clients: descriptions as text, access
    /// notes as "Access" fields after them.
    pub fn property_notes(self, notes: &[crate::job_data::PropertyNote]) -> Self {
        let (access, general): (Vec<_>, Vec<_>) = notes.iter().partition(|note| note.topic == "access");
        let card = general.iter().fold(self, |card, note| card.text(note.body.clone()));
        access.iter().fold(card, |card, note| card.fields([("Access", note.body.clone())]))
    }

    /// Append a link.
    pub fn link(self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.block(Block::Link(Link { label: label.into(), url: url.into() }))
    }

    /// Append an image; `alt` says what it shows.
    pub fn image(self, url: impl Into<String>, alt: impl Into<String>) -> Self {
        self.block(Block::Image(Image { url: url.into(), alt: alt.into() }))
    }

    /// Append a form input.
    pub fn input(self, field: FormField) -> Self {
        self.block(Block::Input(field))
    }

    /// Append a button.
    pub fn action(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }
}

impl FormField {
    /// An optional input of the given kind.
    pub fn new(name: &str, label: &str, kind: InputKind) -> Self {
        FormField { name: name.into(), label: label.into(), kind, required: false, value: None, help: None }
    }

    /// A value submitted back unseen (the version of a text shown). The
    /// viewer's browser sends it, so check it like any other input.
    pub fn hidden(name: &str, value: impl Into<String>) -> Self {
        FormField::new(name, name, InputKind::Hidden).value(value)
    }

    /// Photos from the viewer's phone or computer, each at most `max_bytes`
    /// (the host takes no more than 25 MiB); `multiple` lets them choose
    /// several. `handle_action` receives one id per file (`Input::all`).
    pub fn photos(name: &str, label: &str, max_bytes: u32, multiple: bool) -> Self {
        FormField::new(name, label, InputKind::File(FileInput { types: vec![FileType::Photo], max_bytes, multiple }))
    }

    /// Files of the given types from the viewer's device.
    pub fn files(name: &str, label: &str, types: &[FileType], max_bytes: u32, multiple: bool) -> Self {
        FormField::new(name, label, InputKind::File(FileInput { types: types.to_vec(), max_bytes, multiple }))
    }

    /// The viewer must fill it in.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// A hint under the input.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The initial value.
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
}

impl Action {
    fn styled(id: &str, label: &str, style: ActionStyle) -> Self {
        Action { id: id.into(), label: label.into(), style, confirm: None, disabled_reason: None }
    }

    /// The main thing the viewer is asked to do.
    pub fn primary(id: &str, label: &str) -> Self {
        Self::styled(id, label, ActionStyle::Primary)
    }

    /// Any other action.
    pub fn secondary(id: &str, label: &str) -> Self {
        Self::styled(id, label, ActionStyle::Secondary)
    }

    /// A destructive action.
    pub fn danger(id: &str, label: &str) -> Self {
        Self::styled(id, label, ActionStyle::Danger)
    }

    /// Ask the viewer to confirm first.
    pub fn confirm(mut self, question: impl Into<String>) -> Self {
        self.confirm = Some(question.into());
        self
    }

    /// Show the action disabled, saying why.
    pub fn disabled(mut self, reason: impl Into<String>) -> Self {
        self.disabled_reason = Some(reason.into());
        self
    }
}

impl Outcome {
    /// It worked.
    pub fn success(message: impl Into<String>) -> Self {
        Outcome { tone: Tone::Success, message: message.into(), redirect: None, download: None }
    }

    /// Worth knowing, neither good nor bad.
    pub fn info(message: impl Into<String>) -> Self {
        Outcome { tone: Tone::Info, message: message.into(), redirect: None, download: None }
    }

    /// Send the viewer on to `path`, a page of the portal itself, such as the
    /// path [`checkout::start`](crate::checkout::start) returns.
    pub fn redirect(path: impl Into<String>) -> Self {
        Outcome { tone: Tone::Info, message: String::new(), redirect: Some(path.into()), download: None }
    }

    /// Send the viewer a file the host writes from `download` (a CSV or PDF).
    pub fn download(download: Download) -> Self {
        Outcome { tone: Tone::Info, message: String::new(), redirect: None, download: Some(download) }
    }
}

impl ActionError {
    /// The form as a whole needs fixing; `message` says how. The host shows it
    /// at the top of the card and keeps what the viewer typed.
    pub fn invalid(message: impl Into<String>) -> Self {
        ActionError::InvalidInput(InputProblems::new(message))
    }

    /// One input needs fixing: `message` is shown beside the input named
    /// `field` and at the top of the card. For several, build
    /// [`InputProblems`] and return it with `?` or `.into()`.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ActionError::InvalidInput(InputProblems::new(message.clone()).field(field, message))
    }
}

impl InputProblems {
    /// No problem yet; `message` goes at the top of the card once there is one.
    pub fn new(message: impl Into<String>) -> Self {
        InputProblems { message: message.into(), fields: Vec::new() }
    }

    /// The input named `field` needs fixing; `message` says how, beside it.
    pub fn field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.fields.push(FieldProblem { field: field.into(), message: message.into() });
        self
    }

    /// True when no input was found at fault.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

impl From<InputProblems> for ActionError {
    fn from(problems: InputProblems) -> Self {
        ActionError::InvalidInput(problems)
    }
}

impl Download {
    /// A table to download as `filename.csv` or `filename.pdf`.
    pub fn table<C: Into<String>>(
        filename: &str,
        format: DownloadFormat,
        title: impl Into<String>,
        columns: impl IntoIterator<Item = C>,
        rows: Vec<Vec<String>>,
    ) -> Self {
        Download {
            filename: filename.into(),
            format,
            title: title.into(),
            notes: Vec::new(),
            columns: columns.into_iter().map(Into::into).collect(),
            rows,
        }
    }

    /// A line printed above the table in a PDF.
    pub fn note(mut self, line: impl Into<String>) -> Self {
        self.notes.push(line.into());
        self
    }
}

impl Role {
    /// How the role is named to people ("Buyer's agent"), as the host names it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Client => "Client",
            Role::CoClient => "Co-client",
            Role::BuyerAgent => "Buyer's agent",
            Role::ListingAgent => "Listing agent",
            Role::Other => "Guest",
            Role::Staff => "Staff",
        }
    }

    /// The role's name in settings and in the host (`buyer-agent`).
    pub fn key(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::CoClient => "co-client",
            Role::BuyerAgent => "buyer-agent",
            Role::ListingAgent => "listing-agent",
            Role::Other => "other",
            Role::Staff => "staff",
        }
    }
}

impl Address {
    /// "12 Elm Street, Unit 4, Springfield, IL 62704", as the host writes it.
    pub fn one_line(&self) -> String {
        let mut parts = vec![self.line1.clone()];
        parts.extend(self.line2.clone().filter(|line| !line.trim().is_empty()));
        parts.push(self.city.clone());
        parts.push(format!("{} {}", self.region, self.postal_code).trim().to_string());
        parts.join(", ")
    }
}
