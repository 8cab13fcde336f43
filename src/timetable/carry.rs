//! Where a lesson the new timetable no longer produces goes with what a teacher planned at it
//! (issue 12): pure decisions and the Russian words the deputy reads.
//!
//! A lesson carrying planned records (topic, homework, «Не задано», comment, mark columns) goes
//! to the group's free lesson (one that carries nothing yet) of the same date — the one with the
//! lowest number — or, when the group has none that day, to its first free lesson after that
//! date. Lessons are placed in date and number order, each free lesson takes one. A lesson with a
//! substitution, an absence, a mark or an unlock, or one for which no free lesson is left, stays
//! where it is and the deputy is told.

use chrono::NaiveDate;

/// A lesson to place: its id, group, date and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub id: i64,
    pub group_id: i64,
    pub date: NaiveDate,
    pub number: i16,
}

/// For each of `orphans` (by group, date and number), the index in `free` (by group, date and
/// number) of the lesson it goes to, or `None` when it stays.
pub fn assign(orphans: &[Place], free: &[Place]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..orphans.len()).collect();
    order.sort_by_key(|&i| (orphans[i].group_id, orphans[i].date, orphans[i].number));
    let mut taken = vec![false; free.len()];
    let mut result = vec![None; orphans.len()];
    for i in order {
        let o = orphans[i];
        let candidates = || {
            free.iter()
                .enumerate()
                .filter(|(j, f)| !taken[*j] && f.group_id == o.group_id)
        };
        let same_day = candidates()
            .filter(|(_, f)| f.date == o.date)
            .min_by_key(|(_, f)| f.number)
            .map(|(j, _)| j);
        let later = || {
            candidates()
                .filter(|(_, f)| f.date > o.date)
                .min_by_key(|(_, f)| (f.date, f.number))
                .map(|(j, _)| j)
        };
        if let Some(j) = same_day.or_else(later) {
            taken[j] = true;
            result[i] = Some(j);
        }
    }
    result
}

/// What a lesson carries, for the deputy's notice and the audit event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Records {
    pub topic: bool,
    pub homework: bool,
    pub homework_none: bool,
    pub comment: bool,
    pub columns: bool,
}

impl Records {
    /// Whether anything is written at all.
    pub fn any(&self) -> bool {
        self.topic || self.homework || self.homework_none || self.comment || self.columns
    }

    /// Keys for the audit event: `["homework", "topic"]`.
    pub fn keys(&self) -> Vec<&'static str> {
        [
            (self.homework, "homework"),
            (self.homework_none, "homework_none"),
            (self.topic, "topic"),
            (self.comment, "comment"),
            (self.columns, "mark_columns"),
        ]
        .into_iter()
        .filter_map(|(on, k)| on.then_some(k))
        .collect()
    }

    /// «домашнее задание, тема и комментарий».
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.items().iter().map(|(n, _)| *n).collect();
        match names.as_slice() {
            [] => "записи".to_string(),
            [one] => one.to_string(),
            [init @ .., last] => format!("{} и {last}", init.join(", ")),
        }
    }

    /// The past participle agreeing with `names`: «перенесено», «перенесена», «перенесён»,
    /// «перенесены».
    pub fn moved(&self) -> &'static str {
        match self.items().as_slice() {
            [(_, verb)] => verb,
            _ => "перенесены",
        }
    }

    fn items(&self) -> Vec<(&'static str, &'static str)> {
        [
            (self.homework, ("домашнее задание", "перенесено")),
            (self.homework_none, ("отметка «Не задано»", "перенесена")),
            (self.topic, ("тема", "перенесена")),
            (self.comment, ("комментарий", "перенесён")),
            (self.columns, ("столбцы отметок", "перенесены")),
        ]
        .into_iter()
        .filter_map(|(on, w)| on.then_some(w))
        .collect()
    }
}

/// «Домашнее задание урока 5Б Математика 14.10.2026 (2-й урок) перенесено на урок 19.10.2026
/// (1-й урок).»
pub fn carried_notice(records: &Records, lesson: &str, to: &str) -> String {
    format!(
        "{} урока {lesson} {} на урок {to}.",
        capitalise(&records.names()),
        records.moved()
    )
}

/// The text with its first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// «5Б Математика 14.10.2026 (2-й урок)».
pub fn lesson_words(group: &str, subject: &str, date: NaiveDate, number: i16) -> String {
    format!(
        "{group} {subject} {} ({number}-й урок)",
        date.format("%d.%m.%Y")
    )
}

/// «14.10.2026 (4-й урок)».
pub fn place_words(date: NaiveDate, number: i16) -> String {
    format!("{} ({number}-й урок)", date.format("%d.%m.%Y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn p(id: i64, group_id: i64, date: NaiveDate, number: i16) -> Place {
        Place {
            id,
            group_id,
            date,
            number,
        }
    }

    #[test]
    fn a_lesson_goes_to_the_same_day_first_then_to_the_next_free_lesson_each_taken_once() {
        let orphans = [
            p(1, 10, d(10, 14), 2),
            p(2, 10, d(10, 14), 3),
            p(3, 10, d(10, 16), 1),
            p(4, 20, d(10, 14), 1),
        ];
        let free = [
            p(100, 10, d(10, 14), 5),
            p(101, 10, d(10, 15), 1),
            p(102, 10, d(10, 19), 1),
            p(103, 20, d(10, 13), 1),
        ];
        // 1 takes the same day's 5th lesson; 2 has none left that day and takes the next one;
        // 3 goes after its own date (the 15th is taken, and earlier anyway); group 20 has no free
        // lesson on or after the 14th.
        assert_eq!(
            assign(&orphans, &free),
            vec![Some(0), Some(1), Some(2), None]
        );
    }

    #[test]
    fn a_lesson_never_goes_to_an_earlier_date_or_another_group() {
        let orphans = [p(1, 10, d(10, 14), 2)];
        let free = [p(100, 10, d(10, 13), 1), p(101, 11, d(10, 20), 1)];
        assert_eq!(assign(&orphans, &free), vec![None]);
    }

    #[test]
    fn the_notice_names_what_moved_with_the_participle_agreeing() {
        let homework = Records {
            homework: true,
            ..Records::default()
        };
        assert_eq!(
            carried_notice(
                &homework,
                "5Б Математика 14.10.2026 (2-й урок)",
                "19.10.2026 (1-й урок)"
            ),
            "Домашнее задание урока 5Б Математика 14.10.2026 (2-й урок) перенесено на урок 19.10.2026 (1-й урок)."
        );
        let both = Records {
            homework: true,
            topic: true,
            comment: true,
            ..Records::default()
        };
        assert_eq!(both.names(), "домашнее задание, тема и комментарий");
        assert_eq!(both.moved(), "перенесены");
        assert_eq!(both.keys(), vec!["homework", "topic", "comment"]);
    }
}
