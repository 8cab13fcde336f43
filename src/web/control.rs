//! The management's control (regulations §5): the director's and the deputies' start page «Что
//! требует внимания» and the lists behind its counts. Read-only; the whole school, nobody else.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

use super::AppState;
use super::extract::Member;
use super::layout::Layout;
use crate::audit::{self, AuditLine};
use crate::authz::Role;
use crate::error::{AppError, AppResult};
use crate::journal::accumulation;
use crate::journal::attention::{
    self, Counts, NoTeacherRow, Problem, ProblemRow, SilentParent, When, Worst,
};
use crate::tenancy::repo::{self as schools, Overview};

/// An item of «Что требует внимания»: what, how many, the list behind it.
pub struct Item {
    pub label: &'static str,
    pub count: i64,
    pub href: &'static str,
}

/// The director's and the deputies' start page.
#[derive(Template, WebTemplate)]
#[template(path = "home_control.html")]
pub struct ControlHome {
    layout: Layout,
    today: String,
    overview: Overview,
    /// No current year: nothing to count.
    has_year: bool,
    items: Vec<Item>,
    classes: Vec<Worst>,
    teachers: Vec<Worst>,
    /// Journals with pupils short of marks (J11), the most such pupils first (at most `WORST`).
    short_journals: Vec<ShortJournal>,
    can_manage_accounts: bool,
    /// The latest changes (the director reads the audit trail), each with whether its values
    /// may be shown.
    recent: Vec<(AuditLine, bool)>,
}

/// A journal with pupils short of marks (J11).
pub struct ShortJournal {
    pub group_id: i64,
    pub title: String,
    pub teachers: String,
    pub pupils: usize,
}

/// How many classes and teachers the start page names, worst first.
const WORST: usize = 10;

fn when(state: &AppState, member: &Member) -> When {
    When::at(state.clock.now(), &member.school.time_zone)
}

async fn current_year(state: &AppState, member: &Member, when: When) -> AppResult<Option<i64>> {
    let mut conn = state.pool.acquire().await?;
    Ok(crate::school_year::repo::current_year(&mut conn, member.school.id, when.today).await?)
}

/// The start page of the director (`/director`) and of a deputy (`/deputy`).
pub async fn home(state: &AppState, member: &Member, role: Role) -> AppResult<ControlHome> {
    member.require(&[role])?;
    let when = when(state, member);
    let school = member.school.id;
    let overview = schools::overview(&state.pool, school, when.today).await?;
    let year = current_year(state, member, when).await?;
    // The page's readings are independent: asked at once, each on its own connection (the
    // counts ask two: the lesson problems and the rest).
    let (counts, classes, teachers, journals) = match year {
        Some(year) => {
            // J11: the accumulation report's rule and facts, for the current period of every
            // journal.
            let selection = accumulation::Selection {
                year_id: Some(year),
                ..Default::default()
            };
            // The diary views counted so far (`diary::visits`) are part of what this page shows (a
            // write: on the primary).
            state.visits.flush(state.pool.primary()).await?;
            let ((counts, tally), journals) = tokio::try_join!(
                attention::counts(&state.pool, school, year, when),
                accumulation::journals(&state.pool, school, selection, when.today),
            )?;
            (
                counts,
                tally.worst_classes(WORST),
                tally.worst_teachers(WORST),
                journals,
            )
        }
        None => (Counts::default(), Vec::new(), Vec::new(), Vec::new()),
    };
    let mut short_journals: Vec<ShortJournal> = journals
        .into_iter()
        .map(|j| ShortJournal {
            group_id: j.group_id,
            title: j.title(),
            teachers: j.teachers.clone(),
            pupils: j.short(),
        })
        .filter(|j| j.pupils > 0)
        .collect();
    short_journals.sort_by_key(|j| std::cmp::Reverse(j.pupils));
    let short_pupils: usize = short_journals.iter().map(|j| j.pupils).sum();
    short_journals.truncate(WORST);
    // J6: the director is asked for agreement, a deputy for a decision.
    let agrees = member.access.can_agree_corrections();
    let mut items: Vec<Item> = Problem::LESSONS
        .into_iter()
        .map(|p| Item {
            label: p.label(),
            count: counts.of(p),
            href: href(p),
        })
        .collect();
    items.push(Item {
        label: "Обучающиеся без достаточного числа отметок",
        count: short_pupils as i64,
        href: "/reports/accumulation",
    });
    items.push(Item {
        label: if agrees {
            "Исправления итоговых отметок ждут вашего согласования"
        } else {
            "Исправления итоговых отметок ждут решения заместителя директора"
        },
        count: if agrees {
            counts.corrections_awaiting_director
        } else {
            counts.corrections_pending
        },
        href: "/corrections",
    });
    for p in [Problem::RemarksOverdue, Problem::Unlocked] {
        items.push(Item {
            label: p.label(),
            count: counts.of(p),
            href: href(p),
        });
    }
    items.push(Item {
        label: NO_TEACHER,
        count: counts.no_teacher,
        href: "/control/no-teacher",
    });
    items.push(Item {
        label: "Родители с доступом, ни разу не открывшие дневник",
        count: counts.parents_never,
        href: "/control/parents",
    });
    let recent = if member.access.can_read_audit() {
        audit::latest(&state.pool, school, 5)
            .await?
            .into_iter()
            .map(|line| {
                let shown = member.access.can_see_audit_values(&line.action);
                (line, shown)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ControlHome {
        layout: Layout::for_member(member, role.label()).await?,
        today: super::home::today_in_words(state, &member.school.time_zone),
        overview,
        has_year: year.is_some(),
        items,
        classes,
        teachers,
        short_journals,
        can_manage_accounts: member.access.can_manage_accounts(),
        recent,
    })
}

/// The start page's item of lessons without a teacher (the next school day's).
const NO_TEACHER: &str = "Уроки завтра без учителя";

fn href(p: Problem) -> &'static str {
    match p {
        Problem::NoTopic => "/control/no-topic",
        Problem::NoHomework => "/control/no-homework",
        Problem::LateMarks => "/control/late-marks",
        Problem::Unchecked => "/control/unchecked",
        Problem::RemarksOverdue => "/control/remarks",
        Problem::Unlocked => "/control/unlocked",
    }
}

/// The list behind a count.
#[derive(Template, WebTemplate)]
#[template(path = "control_list.html")]
pub struct ControlList {
    layout: Layout,
    explanation: &'static str,
    /// The journals' filter by this problem (not for the parents).
    problem_slug: Option<&'static str>,
    count: i64,
    rows: Vec<ProblemRow>,
    parents: Vec<SilentParent>,
    limit: i64,
    /// The rows are lessons (else journals or parents).
    by_lesson: bool,
    /// `/control/no-teacher`: lessons of the next school day without a teacher.
    no_teacher: Option<Vec<NoTeacherRow>>,
}

/// `/control/{what}`: a problem's rows (lesson, journal, teacher, date, each with its link), or
/// the parents who never opened the diary. Director and deputies; others 403 before any read.
pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Path(what): Path<String>,
) -> AppResult<ControlList> {
    if !member.access.can_read_every_journal() {
        return Err(AppError::Forbidden);
    }
    let when = when(&state, &member);
    let school = member.school.id;
    let year = current_year(&state, &member, when).await?;
    // The diary views counted so far (`diary::visits`) are part of what this page shows (a
    // write: on the primary).
    state.visits.flush(state.pool.primary()).await?;
    let counts = match year {
        Some(year) => attention::counts(&state.pool, school, year, when).await?.0,
        None => Counts::default(),
    };
    if what == "parents" {
        let parents = attention::silent_parents(&state.pool, school).await?;
        return Ok(ControlList {
            layout: Layout::for_member(
                &member,
                "Родители с доступом, ни разу не открывшие дневник",
            )
            .await?,
            explanation: "Родители, у которых есть вход в дневник и чьи дети учатся в школе сейчас, но дневник они не открывали ни разу.",
            problem_slug: None,
            count: counts.parents_never,
            rows: Vec::new(),
            parents,
            limit: attention::LIST_LIMIT,
            by_lesson: false,
            no_teacher: None,
        });
    }
    if what == "no-teacher" {
        let rows = attention::no_teacher_rows(&state.pool, school, when.today).await?;
        return Ok(ControlList {
            layout: Layout::for_member(&member, NO_TEACHER).await?,
            explanation: "Уроки ближайшего учебного дня, учитель которых в этот день отсутствует (отсутствие зарегистрировано на странице «Замены и переносы»), а замена не назначена — или назначена, но замещающий учитель тоже отсутствует.",
            problem_slug: None,
            count: counts.no_teacher,
            rows: Vec::new(),
            parents: Vec::new(),
            limit: attention::LIST_LIMIT,
            by_lesson: false,
            no_teacher: Some(rows),
        });
    }
    let problem = Problem::parse(&what).ok_or(AppError::NotFound)?;
    let rows = match year {
        Some(year) => {
            attention::problem_rows(
                &state.pool,
                school,
                year,
                when,
                problem,
                &member.school.time_zone,
            )
            .await?
        }
        None => Vec::new(),
    };
    Ok(ControlList {
        layout: Layout::for_member(&member, problem.label()).await?,
        explanation: problem.explanation(),
        problem_slug: Some(problem.slug()),
        count: counts.of(problem),
        rows,
        parents: Vec::new(),
        limit: attention::LIST_LIMIT,
        by_lesson: Problem::LESSONS.contains(&problem),
        no_teacher: None,
    })
}
