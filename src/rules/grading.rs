//! Grading scales (regulations J10: in grade 1 no marks are given in any subject).

/// How a subject is graded in a grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    FivePoint,
    PassFail,
    NoMarks,
}

impl Scale {
    pub const ALL: [Scale; 3] = [Scale::FivePoint, Scale::PassFail, Scale::NoMarks];

    pub fn as_str(self) -> &'static str {
        match self {
            Scale::FivePoint => "five_point",
            Scale::PassFail => "pass_fail",
            Scale::NoMarks => "no_marks",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scale::FivePoint => "пятибалльная",
            Scale::PassFail => "зачёт/незачёт",
            Scale::NoMarks => "без отметок",
        }
    }
}

/// The scale of a subject in a grade: the grade's own setting, else the subject's — and never
/// marks in grade 1 (J10).
pub fn scale_for(subject: Scale, grade_override: Option<Scale>, grade: i16) -> Scale {
    if grade == 1 {
        return Scale::NoMarks;
    }
    grade_override.unwrap_or(subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j10_grade_one_has_no_marks_in_any_subject_whatever_the_settings() {
        for s in Scale::ALL {
            assert_eq!(scale_for(s, Some(Scale::FivePoint), 1), Scale::NoMarks);
        }
        assert_eq!(scale_for(Scale::FivePoint, None, 2), Scale::FivePoint);
        assert_eq!(
            scale_for(Scale::FivePoint, Some(Scale::PassFail), 4),
            Scale::PassFail
        );
    }
}
