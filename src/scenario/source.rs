//! Where things are in a scenario's text: line and column of a byte offset,
//! the dotted key at an offset, and `--set key.path=value` overrides applied
//! to the text before it is read.

use toml_edit::{DocumentMut, Item, Value};

/// One `--set key.path=value` override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted key path, e.g. `load_balancer.health_check.interval`; a segment
    /// may pick an entry of an array of tables by index (`dependency.0`) or by
    /// its `name` (`dependency.database`).
    pub path: Vec<String>,
    /// The value as written on the command line.
    pub value: String,
    /// The option as the user wrote it, for messages: `--set key=value`,
    /// or `--years 10` for the options that are overrides underneath.
    pub option: String,
}

impl Override {
    /// Parses `key.path=value`.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) =
            text.split_once('=').ok_or_else(|| format!("'{text}' is not of the form key.path=value"))?;
        let path: Vec<String> = path.trim().split('.').map(|s| s.trim().to_string()).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("'{text}' has an empty key segment"));
        }
        Ok(Override { path, value: value.trim().to_string(), option: format!("--set {text}") })
    }

    /// The overrides of a command line: each `--set` (`sets`), then
    /// `--years` and `--seed` when given.
    ///
    /// # Errors
    /// [`crate::error::Error::Override`] naming a malformed `--set`.
    pub fn from_options(sets: &[String], years: Option<u64>, seed: Option<u64>) -> crate::error::Result<Vec<Override>> {
        let mut overrides = sets
            .iter()
            .map(|s| {
                Override::parse(s)
                    .map_err(|message| crate::error::Error::Override { option: format!("--set {s}"), message })
            })
            .collect::<crate::error::Result<Vec<_>>>()?;
        overrides.extend(years.map(|y| Override::option("simulation.years", y, "--years")));
        overrides.extend(seed.map(|s| Override::option("simulation.seed", s, "--seed")));
        Ok(overrides)
    }

    /// The override behind a dedicated option such as `--years 10`.
    pub fn option(key: &str, value: impl ToString, option: &str) -> Override {
        let value = value.to_string();
        let option = format!("{option} {value}");
        Override { path: key.split('.').map(String::from).collect(), value, option }
    }

    /// The value as TOML: a number, boolean, array or inline table stays
    /// what it is; anything else (e.g. `10m`) is taken as a string, so that
    /// durations need no shell quoting.
    fn toml_value(&self) -> Value {
        self.value.parse::<Value>().unwrap_or_else(|_| Value::from(self.value.as_str()))
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The dotted path of the innermost key whose key or value covers `offset`.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc: toml_edit::Document<String> = text.parse().ok()?;
    let mut best = None;
    walk_table(doc.as_table(), &mut Vec::new(), offset, &mut best);
    best.map(|(path, _)| path)
}

/// Where the key at the dotted `path` sits in `text`; in a list of
/// tables, the one its index names (`dependency.1.name`), or its first.
pub fn span_of(text: &str, path: &str) -> Option<std::ops::Range<usize>> {
    let doc: toml_edit::Document<String> = text.parse().ok()?;
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut names = path.split('.').peekable();
    while let Some(name) = names.next() {
        let (key, item) = table.get_key_value(name)?;
        table = match item {
            _ if names.peek().is_none() => return key.span(),
            Item::Table(t) => t,
            Item::Value(Value::InlineTable(t)) => t,
            Item::ArrayOfTables(list) => match names.peek().and_then(|i| i.parse::<usize>().ok()) {
                Some(i) => {
                    names.next();
                    let t = list.get(i)?;
                    if names.peek().is_none() {
                        return t.span();
                    }
                    t
                }
                None => return key.span(),
            },
            _ => return key.span(),
        };
    }
    None
}

type Best = Option<(String, usize)>;

fn consider(path: &[String], span: Option<std::ops::Range<usize>>, offset: usize, best: &mut Best) {
    if let Some(span) = span
        && span.start <= offset
        && offset <= span.end
    {
        // Deeper paths win; among equals, the later (more specific) one.
        if best.as_ref().is_none_or(|(_, depth)| path.len() >= *depth) {
            *best = Some((path.join("."), path.len()));
        }
    }
}

fn walk_table(table: &dyn toml_edit::TableLike, path: &mut Vec<String>, offset: usize, best: &mut Best) {
    for (name, item) in table.iter() {
        path.push(name.to_string());
        if let Some((key, _)) = table.get_key_value(name) {
            consider(path, key.span(), offset, best);
        }
        consider(path, item.span(), offset, best);
        walk_item(item, path, offset, best);
        path.pop();
    }
}

fn walk_item(item: &Item, path: &mut Vec<String>, offset: usize, best: &mut Best) {
    match item {
        Item::Table(t) => walk_table(t, path, offset, best),
        Item::Value(Value::InlineTable(t)) => walk_table(t, path, offset, best),
        Item::ArrayOfTables(array) => {
            for (i, t) in array.iter().enumerate() {
                path.push(i.to_string());
                consider(path, t.span(), offset, best);
                walk_table(t, path, offset, best);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Why overrides could not be applied.
#[derive(Debug)]
pub enum OverrideError {
    /// This override is at fault.
    Override(Override, String),
    /// The file itself cannot be edited (valid TOML that the editing parser
    /// refuses, such as a sub-table declared before its parent's dotted
    /// keys): where, and why.
    Layout(std::ops::Range<usize>, String),
}

/// Applies `overrides` to the scenario text, returning the new text.
pub fn apply_overrides(text: &str, overrides: &[Override]) -> Result<String, OverrideError> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let message = format!(
            "{}: --set cannot edit this file's layout; declare each table before its sub-tables (e.g. [load_balancer] before [load_balancer.health_check])",
            e.message()
        );
        OverrideError::Layout(e.span().unwrap_or(0..0), message)
    })?;
    for o in overrides {
        set(doc.as_item_mut(), &o.path, o.toml_value()).map_err(|msg| OverrideError::Override(o.clone(), msg))?;
    }
    Ok(doc.to_string())
}

fn set(root: &mut Item, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().expect("override paths are non-empty");
    let mut item = root;
    for (depth, segment) in parents.iter().enumerate() {
        let here = path[..=depth].join(".");
        item = match item {
            Item::ArrayOfTables(array) => {
                let index = match segment.parse::<usize>() {
                    Ok(i) => i,
                    Err(_) => array
                        .iter()
                        .position(|t| t.get("name").and_then(Item::as_str) == Some(segment))
                        .ok_or_else(|| {
                            let names: Vec<&str> =
                                array.iter().filter_map(|t| t.get("name").and_then(Item::as_str)).collect();
                            format!("no entry named '{segment}' at '{here}'; its entries: {}", names.join(", "))
                        })?,
                };
                let len = array.len();
                let table = array
                    .get_mut(index)
                    .ok_or_else(|| format!("'{here}': index {index} is out of range ({len} entries)"))?;
                // Arrays of tables hold `Table`s; reborrow through an `Item` view.
                return set_in_table(table, &path[depth + 1..], value, &here);
            }
            other => {
                if other.is_none() {
                    *other = toml_edit::table();
                }
                let table = other.as_table_like_mut().ok_or_else(|| format!("'{here}' is a value, not a table"))?;
                if table.get(segment).is_none() {
                    table.insert(segment, toml_edit::table());
                }
                table.get_mut(segment).expect("just inserted")
            }
        };
    }
    let table = item.as_table_like_mut().ok_or_else(|| format!("'{}' is a value, not a table", parents.join(".")))?;
    let value = match table.get(last) {
        Some(existing) => onto_distribution(existing, value, &path.join("."))?,
        None => value,
    };
    table.insert(last, Item::Value(value));
    Ok(())
}

/// What an override's `value` becomes where the scenario has a distribution
/// (a table with `dist`): a bare duration keeps the law and sets its
/// location, the parameter a sweep over "the time to failure" means to
/// move: the mean of an exponential, the median of a lognormal (its sigma
/// kept), the scale of a Weibull (its shape kept), the value of a
/// constant. A uniform has no single location and is refused. Anything
/// else (an inline table, `never`, a number) replaces what was there.
fn onto_distribution(existing: &Item, value: Value, key: &str) -> Result<Value, String> {
    let (Some(law), Some(duration)) = (existing.as_table_like(), value.as_str()) else { return Ok(value) };
    let Some(family) = law.get("dist").and_then(Item::as_str) else { return Ok(value) };
    if duration == "never" {
        return Ok(value);
    }
    let mut kept = toml_edit::InlineTable::new();
    kept.insert("dist", family.into());
    match family {
        "constant" => kept.insert("value", duration.into()),
        "exponential" => kept.insert("mean", duration.into()),
        "weibull" => {
            let shape = law.get("shape").and_then(Item::as_value).cloned().ok_or("a weibull needs `shape`")?;
            kept.insert("shape", shape);
            kept.insert("scale", duration.into())
        }
        "lognormal" => {
            let current: toml::Table = toml::from_str(&format!("d = {}", law_text(existing)))
                .map_err(|e| format!("'{key}' is not a distribution this override can edit: {}", e.message()))?;
            let sigma = match current["d"].clone().try_into::<super::Dist>() {
                Ok(super::Dist::LogNormal { sigma, .. }) => sigma,
                _ => return Ok(value),
            };
            kept.insert("median", duration.into());
            kept.insert("sigma", sigma.into())
        }
        "uniform" => {
            return Err(format!(
                "'{key}' is a uniform distribution, which has no single location to set to {duration}: \
                 set {key}.low and {key}.high, or replace it whole, e.g. {key}={{ dist = \"constant\", value = \"{duration}\" }}"
            ));
        }
        _ => return Ok(value),
    };
    Ok(Value::InlineTable(kept))
}

/// A distribution's table as inline TOML text, whichever way it was written.
fn law_text(item: &Item) -> String {
    match item {
        Item::Table(t) => {
            let mut inline = t.clone().into_inline_table();
            inline.fmt();
            inline.to_string()
        }
        other => other.to_string(),
    }
}

fn set_in_table(table: &mut toml_edit::Table, rest: &[String], value: Value, here: &str) -> Result<(), String> {
    if rest.is_empty() {
        return Err(format!("'{here}' is a table; name a key inside it"));
    }
    let mut item = Item::Table(std::mem::take(table));
    let result = set(&mut item, rest, value);
    *table = item.into_table().expect("still a table");
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n[repair]\nmode = \"pool\"\ntime = { dist = \"exponential\", mean = \"5m\" }\n\n[[dependency]]\nname = \"db\"\nrepair = \"1h\"\n";

    #[test]
    fn finds_line_column_and_key() {
        let offset = TEXT.find("\"5m\"").unwrap();
        assert_eq!(line_column(TEXT, offset), (4, 39));
        assert_eq!(key_at(TEXT, offset).as_deref(), Some("repair.time.mean"));
        let offset = TEXT.find("\"1h\"").unwrap();
        assert_eq!(key_at(TEXT, offset).as_deref(), Some("dependency.0.repair"));
    }

    #[test]
    fn overrides_nested_keys_by_name_and_index() {
        let overrides = [
            Override::parse("repair.time.mean=10m").unwrap(),
            Override::parse("dependency.db.repair=2h").unwrap(),
            Override::parse("simulation.years=5").unwrap(),
        ];
        let text = apply_overrides(TEXT, &overrides).unwrap();
        let value: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(value["repair"]["time"]["mean"].as_str(), Some("10m"));
        assert_eq!(value["dependency"][0]["repair"].as_str(), Some("2h"));
        assert_eq!(value["simulation"]["years"].as_integer(), Some(5));
    }

    /// A bare duration where the scenario has a distribution keeps the law
    /// and sets its location; a table or `never` replaces it; a uniform,
    /// which has no single location, is refused with the ways to say it.
    #[test]
    fn a_bare_duration_keeps_the_law_it_lands_on() {
        let text = "[instance]\nfailure = { dist = \"exponential\", mean = \"30d\" }\n\
                    [repair]\ntime = { dist = \"lognormal\", median = \"5m\", p95 = \"20m\" }\n\
                    [load_balancer]\nfailure = { dist = \"weibull\", shape = 1.5, scale = \"1y\" }\n\
                    [fault_domain]\nrepair = { dist = \"uniform\", low = \"1h\", high = \"3h\" }\n\
                    [availability_domain]\nrepair = \"2h\"\n";
        let set = |o: &str| {
            let text = apply_overrides(text, &[Override::parse(o).unwrap()]).map_err(|e| match e {
                OverrideError::Override(_, m) => m,
                OverrideError::Layout(_, m) => m,
            })?;
            Ok::<toml::Table, String>(toml::from_str(&text).unwrap())
        };
        let got = set("instance.failure=90d").unwrap();
        assert_eq!(got["instance"]["failure"]["dist"].as_str(), Some("exponential"));
        assert_eq!(got["instance"]["failure"]["mean"].as_str(), Some("90d"));
        let got = set("repair.time=15m").unwrap();
        let time = &got["repair"]["time"];
        assert_eq!((time["dist"].as_str(), time["median"].as_str()), (Some("lognormal"), Some("15m")));
        // The sigma of median 5 m, p95 20 m: ln 4 / z₀.₉₅.
        let sigma = time["sigma"].as_float().unwrap();
        assert!((sigma - 4f64.ln() / 1.6448536269514722).abs() < 1e-9, "sigma {sigma}");
        let got = set("load_balancer.failure=2y").unwrap();
        let lb = &got["load_balancer"]["failure"];
        assert_eq!((lb["shape"].as_float(), lb["scale"].as_str()), (Some(1.5), Some("2y")));
        let refused = set("fault_domain.repair=2h").unwrap_err();
        assert!(refused.contains("uniform") && refused.contains("fault_domain.repair.low"), "{refused}");
        // A constant stays a constant; a table or `never` replaces the law.
        assert_eq!(set("availability_domain.repair=4h").unwrap()["availability_domain"]["repair"].as_str(), Some("4h"));
        let got = set("instance.failure={ dist = \"constant\", value = \"30d\" }").unwrap();
        assert_eq!(got["instance"]["failure"]["dist"].as_str(), Some("constant"));
        assert_eq!(set("instance.failure=never").unwrap()["instance"]["failure"].as_str(), Some("never"));
    }

    #[test]
    fn rejects_malformed_overrides() {
        assert!(Override::parse("years").is_err());
        assert!(Override::parse("a..b=1").is_err());
        let message = |o: &str| match apply_overrides(TEXT, &[Override::parse(o).unwrap()]).unwrap_err() {
            OverrideError::Override(_, m) => m,
            OverrideError::Layout(..) => panic!("the text is editable"),
        };
        assert!(message("dependency.cache.repair=1h").contains("no entry named 'cache'"));
        assert!(message("name.x=1").contains("is a value"));
        // Valid TOML that the editor refuses: reported against the file.
        let layout = "[a.b.c]\nx = 1\n[a]\nb.y = 2\n";
        assert!(matches!(apply_overrides(layout, &[Override::parse("z=1").unwrap()]), Err(OverrideError::Layout(..))));
    }
}
