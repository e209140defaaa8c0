/// The form inputs submitted with an action, in the order the browser sent them.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pairs: Vec<(String, String)>,
}

impl Input {
    /// The first value submitted under `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The value under `name` with surrounding whitespace removed; `None` when
    /// absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|value| !value.is_empty())
    }

    /// Every value submitted under `name` (several checkboxes with one name).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// True when a checkbox named `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|value| !value.is_empty() && value != "off")
    }
}

impl From<Vec<(String, String)>> for Input {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }
}
