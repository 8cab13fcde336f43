//! The curriculum of each class, study groups (whole class, subgroups, streams, electives,
//! individual plans) with dated membership, and the teaching load.

pub mod repo;
pub mod service;

/// Kinds of study groups and their names in Russian.
pub const GROUP_KINDS: [(&str, &str); 5] = [
    ("whole_class", "весь класс"),
    ("subgroup", "подгруппа"),
    ("stream", "поток"),
    ("elective", "элективный курс"),
    ("individual", "индивидуальный план"),
];

pub fn kind_label(kind: &str) -> &'static str {
    GROUP_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// «1,5» or «2» → tenths of an hour (15, 20), from 0,1 to 20.
pub fn parse_hours(text: &str) -> Option<i32> {
    let v: f64 = text.trim().replace(',', ".").parse().ok()?;
    let tenths = (v * 10.0).round();
    ((1.0..=200.0).contains(&tenths) && (v * 10.0 - tenths).abs() < 1e-6).then_some(tenths as i32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hours_are_read_in_tenths() {
        assert_eq!(super::parse_hours("1,5"), Some(15));
        assert_eq!(super::parse_hours("5"), Some(50));
        assert_eq!(super::parse_hours("0"), None);
        assert_eq!(super::parse_hours("21"), None);
        assert_eq!(super::parse_hours("1,25"), None);
    }
}
