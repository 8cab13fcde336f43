//! Curriculum against teaching load (regulations §2: the director approves curriculum and load;
//! they must agree). Hours are in tenths of an hour a week (15 = 1.5 h).

/// A curriculum line: a subject in a class, so many hours a week.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    pub subject: &'a str,
    pub hours: i32,
    /// The groups that teach it (a whole class, or its subgroups): (group name, taught hours).
    pub groups: Vec<(&'a str, Option<i32>)>,
}

/// «1,5 ч».
pub fn hours_text(tenths: i32) -> String {
    if tenths % 10 == 0 {
        format!("{} ч", tenths / 10)
    } else {
        format!("{},{} ч", tenths / 10, tenths % 10)
    }
}

/// What does not agree, in Russian: a subject nobody teaches, a group without a teacher, a group
/// taught more or fewer hours than the curriculum gives the subject.
pub fn check(lines: &[Line<'_>]) -> Vec<String> {
    let mut problems = Vec::new();
    for line in lines {
        if line.groups.is_empty() {
            problems.push(format!("{}: нет учебной группы.", line.subject));
        }
        for (group, taught) in &line.groups {
            match taught {
                None => problems.push(format!("{}, {group}: не назначен учитель.", line.subject)),
                Some(h) if *h != line.hours => problems.push(format!(
                    "{}, {group}: по нагрузке {}, по учебному плану {}.",
                    line.subject,
                    hours_text(*h),
                    hours_text(line.hours)
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_2_load_must_match_the_curriculum_for_every_group() {
        let lines = [
            Line {
                subject: "Математика",
                hours: 50,
                groups: vec![("5Б", Some(50))],
            },
            Line {
                subject: "Английский язык",
                hours: 30,
                groups: vec![("1 группа", Some(30)), ("2 группа", None)],
            },
            Line {
                subject: "Музыка",
                hours: 10,
                groups: vec![("5Б", Some(15))],
            },
            Line {
                subject: "Технология",
                hours: 20,
                groups: vec![],
            },
        ];
        assert_eq!(
            check(&lines),
            vec![
                "Английский язык, 2 группа: не назначен учитель.".to_string(),
                "Музыка, 5Б: по нагрузке 1,5 ч, по учебному плану 1 ч.".to_string(),
                "Технология: нет учебной группы.".to_string(),
            ]
        );
    }
}
