//! The diary pages of pupils and parents (regulations §4): the week, the marks of a period, the
//! class's teachers and control works; the live stream that refreshes an open week; the
//! parent's «Ознакомлен». A parent of several children switches with `?pupil=`; anybody else's
//! child answers 404.

use std::convert::Infallible;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{Datelike, NaiveDate};
use futures_util::Stream;
use serde::Deserialize;
use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use super::AppState;
use super::extract::Member;
use super::journal::today;
use super::layout::{Layout, flash_outcome};
use super::page_cache::{self, Gzip, Looked, PageKey, Stamp, Versions};
use crate::authz::Role;
use crate::diary::marks::{self, ClassInfo, SubjectMarks};
use crate::diary::week::DiaryWeek;
use crate::diary::{self, Child, DiaryPupil, Reader, live};
use crate::error::{AppError, AppResult};
use crate::journal::grid::PeriodTab;

#[derive(Debug, Default, Deserialize)]
pub struct DiaryQuery {
    #[serde(default)]
    pupil: Option<String>,
    #[serde(default)]
    week: Option<String>,
    #[serde(default)]
    period: Option<String>,
}

/// Whose diary, and as what: the `pupil` asked for (a parent's other child, or a pupil of the
/// class teacher's class), else the membership's own child, with the pupil's heading on `day`.
/// Asked of the primary even when the diary is read from the replica (a parent's link removed
/// counts at once; `web::reads`).
async fn whose(
    state: &AppState,
    member: &Member,
    asked: Option<&str>,
    day: NaiveDate,
) -> AppResult<(Reader, DiaryPupil)> {
    let pupil_id = asked_pupil(member, asked)?;
    let (reader, pupil, _) = reader_and_pupil(state.pool.primary(), member, pupil_id, day).await?;
    Ok((reader, pupil))
}

/// The pupil asked for (`?pupil=`), else the membership's own child; not a number: 404.
fn asked_pupil(member: &Member, asked: Option<&str>) -> AppResult<i64> {
    match asked.filter(|s| !s.is_empty()) {
        Some(s) => s.parse::<i64>().map_err(|_| AppError::NotFound),
        None => member.pupil_id.ok_or(AppError::Forbidden),
    }
}

/// The week asked for (any day of it), else the current one.
fn week_of(q: &DiaryQuery, today: NaiveDate) -> NaiveDate {
    let day = q
        .week
        .as_deref()
        .and_then(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .unwrap_or(today);
    diary::monday(day)
}

/// The heading shared by the diary pages: whose diary, and the switch between children.
pub struct DiaryHead {
    /// Not the membership's own child: links carry `?pupil=` and the page shows its own tabs.
    pub other: bool,
    pub pupil: DiaryPupil,
    pub reader: Reader,
    pub children: Vec<Child>,
}

impl DiaryHead {
    /// `?pupil=…` to keep on links when the page is not the membership's own child.
    pub fn pupil_param(&self) -> String {
        format!("pupil={}", self.pupil.id)
    }

    pub fn is_parent(&self) -> bool {
        self.reader == Reader::Parent
    }
}

/// The heading of a diary page for `pupil_id` on `day`, on the page's connection (`held`, when
/// it was taken already; from the replica it is given back first, see below).
async fn head(
    state: &AppState,
    member: &Member,
    pupil_id: i64,
    day: NaiveDate,
    mut held: Option<PoolConnection<Postgres>>,
) -> AppResult<(DiaryHead, PoolConnection<Postgres>)> {
    // Who may read the diary, the pupil's heading and a parent's children: one statement, on the
    // page's connection when the page reads from the primary (one acquire and one scope round
    // trip a page). From the replica, it goes to the primary (a parent's link removed counts at
    // once; `web::reads`) before the replica's connection is taken — never one held while
    // waiting for another.
    let (reader, pupil, children) = if state.pool.reads_primary() {
        let mut conn = match held.take() {
            Some(conn) => conn,
            None => state.pool.acquire().await?,
        };
        let found = reader_and_pupil(&mut *conn, member, pupil_id, day).await?;
        held = Some(conn);
        found
    } else {
        drop(held.take());
        reader_and_pupil(state.pool.primary(), member, pupil_id, day).await?
    };
    if count_visit(state, member, pupil_id, reader) {
        // A write across schools (`diary::visits`), on a connection of its own: the page's is
        // given back first.
        drop(held.take());
        state.visits.flush(state.pool.primary()).await?;
    }
    let conn = match held {
        Some(conn) => conn,
        None => state.pool.acquire().await?,
    };
    let head = DiaryHead {
        other: member.pupil_id != Some(pupil_id),
        pupil,
        reader,
        children,
    };
    Ok((head, conn))
}

/// Counts the view of a pupil's or parent's (`diary::visits`); true when the book is full and
/// must be written.
fn count_visit(state: &AppState, member: &Member, pupil_id: i64, reader: Reader) -> bool {
    reader != Reader::Staff
        && state.visits.record(
            member.school.id,
            pupil_id,
            member.viewer.account_id,
            reader,
            state.clock.now(),
            today(state, member),
        )
}

/// A diary page kept rendered (issue 16, `page_cache`), or what rendering it needs.
enum Kept {
    Served(Response),
    Render {
        kept: Option<(PageKey, Versions)>,
        conn: PoolConnection<Postgres>,
    },
}

/// A diary page as asked: which (`page`), of whom and with what (`args`, the pupil first), and
/// for the week, its Monday (the parent's «Ознакомлен» of it shows).
struct Asked {
    page: &'static str,
    args: [i64; 3],
    ack_week: Option<NaiveDate>,
}

/// The diary page `asked` as kept, when the pupil's journals, the school and — with `ack_week` —
/// the parent's «Ознакомлен» of that week are as they were when it was rendered. Who may read it
/// was judged then, by what those versions cover (memberships, links to children, classes: all
/// audited); the view is counted as that reader's.
async fn kept_page(
    state: &AppState,
    member: &Member,
    asked: Asked,
    today: NaiveDate,
    layout: &Layout,
    gzip: bool,
) -> AppResult<Kept> {
    let Asked {
        page,
        args,
        ack_week,
    } = asked;
    let mut conn = state.pool.acquire().await?;
    let key = state.pages.key(page, member, today, args, layout);
    let pupil_id = args[0];
    let versions = page_cache::diary(
        &mut conn,
        member.school.id,
        pupil_id,
        ack_week.map(|_| member.viewer.account_id),
        ack_week.unwrap_or(today),
    );
    let now = crate::clock::local_now(state.clock.as_ref(), &member.school.time_zone);
    let (served, note) = match state.pages.look_up(key, versions, now, gzip).await? {
        Looked::Served(served, note) => (served, note),
        Looked::Render(kept) => return Ok(Kept::Render { kept, conn }),
    };
    drop(conn);
    let reader = match note {
        NOTE_PUPIL => Reader::Pupil,
        NOTE_PARENT => Reader::Parent,
        _ => Reader::Staff,
    };
    if count_visit(state, member, pupil_id, reader) {
        state.visits.flush(state.pool.primary()).await?;
    }
    Ok(Kept::Served(served))
}

/// The reader a diary page was kept for, as its note (`PageCache::keep`).
fn note(reader: Reader) -> u8 {
    match reader {
        Reader::Pupil => NOTE_PUPIL,
        Reader::Parent => NOTE_PARENT,
        Reader::Staff => 0,
    }
}

/// A rendered diary page as the answer: kept (with its reader as the note) when it may be.
fn answer(
    state: &AppState,
    kept: Option<(PageKey, Versions)>,
    reader: Reader,
    page: impl Template,
    gzip: bool,
) -> AppResult<Response> {
    let stamp = |versions| Stamp {
        note: note(reader),
        ..Stamp::new(versions)
    };
    Ok(state.pages.answer(kept, stamp, page.render()?, gzip))
}

const NOTE_PUPIL: u8 = 1;
const NOTE_PARENT: u8 = 2;

/// `diary::reader_and_pupil` for the member.
async fn reader_and_pupil(
    db: impl sqlx::PgExecutor<'_>,
    member: &Member,
    pupil_id: i64,
    day: NaiveDate,
) -> AppResult<(Reader, DiaryPupil, Vec<Child>)> {
    diary::reader_and_pupil(
        db,
        member.school.id,
        member.viewer.account_id,
        member.role,
        member.class_id,
        pupil_id,
        day,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "diary_week.html")]
pub struct WeekPage {
    layout: Layout,
    head: DiaryHead,
    week: DiaryWeek,
    acknowledged: Option<String>,
    can_acknowledge: bool,
}

/// The week of lessons; the start page of parents and pupils. Kept rendered while the pupil's
/// journals, the school and the parent's «Ознакомлен» are unchanged (issue 16, `page_cache`).
pub async fn week(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DiaryQuery>,
    Gzip(gzip): Gzip,
) -> AppResult<Response> {
    let today = today(&state, &member);
    let monday = week_of(&q, today);
    let pupil_id = asked_pupil(&member, q.pupil.as_deref())?;
    let mut layout = Layout::for_member(&member, "").await?;
    let args = [pupil_id, i64::from(monday.num_days_from_ce()), 0];
    let asked = Asked {
        page: "diary_week",
        args,
        ack_week: Some(monday),
    };
    let (kept, conn) = match kept_page(&state, &member, asked, today, &layout, gzip).await? {
        Kept::Served(page) => return Ok(page),
        Kept::Render { kept, conn } => (kept, conn),
    };
    // One connection for the page's reads: each acquire is a round trip setting the scope.
    let (head, mut conn) = head(&state, &member, pupil_id, monday, Some(conn)).await?;
    let week =
        crate::diary::week::week(&mut conn, member.school.id, &head.pupil, monday, today).await?;
    let acknowledged = if head.reader == Reader::Parent {
        diary::acknowledged_at(
            &mut *conn,
            member.school.id,
            head.pupil.id,
            member.viewer.account_id,
            monday,
        )
        .await?
        .map(|at| {
            let tz: chrono_tz::Tz = member
                .school
                .time_zone
                .parse()
                .unwrap_or(chrono_tz::Europe::Moscow);
            at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
        })
    } else {
        None
    };
    drop(conn);
    layout.title = format!("Дневник: {}", head.pupil.full_name);
    let reader = head.reader;
    let page = WeekPage {
        layout,
        can_acknowledge: reader == Reader::Parent && monday <= today,
        head,
        week,
        acknowledged,
    };
    answer(&state, kept, reader, page, gzip)
}

/// The start page of a parent is the child's week.
pub async fn parent_home(
    state: State<AppState>,
    member: Member,
    q: Query<DiaryQuery>,
    gzip: Gzip,
) -> AppResult<Response> {
    member.require(&[Role::Parent])?;
    week(state, member, q, gzip).await
}

/// The start page of a pupil is their week.
pub async fn pupil_home(
    state: State<AppState>,
    member: Member,
    q: Query<DiaryQuery>,
    gzip: Gzip,
) -> AppResult<Response> {
    member.require(&[Role::Pupil])?;
    week(state, member, q, gzip).await
}

#[derive(Template, WebTemplate)]
#[template(path = "diary_week_body.html")]
pub struct WeekBody {
    week: DiaryWeek,
}

/// The week alone (no layout): what an open diary fetches when the live stream says it changed.
pub async fn week_body(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DiaryQuery>,
) -> AppResult<WeekBody> {
    let today = today(&state, &member);
    let monday = week_of(&q, today);
    let (_, pupil) = whose(&state, &member, q.pupil.as_deref(), monday).await?;
    let mut conn = state.pool.acquire().await?;
    let week = crate::diary::week::week(&mut conn, member.school.id, &pupil, monday, today).await?;
    Ok(WeekBody { week })
}

/// Server-sent events: «changed» whenever something of this pupil's diary is saved.
pub async fn events(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DiaryQuery>,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let (_, pupil) = whose(&state, &member, q.pupil.as_deref(), today(&state, &member)).await?;
    let pupil_id = pupil.id;
    let school = member.school.id;
    let groups = live::groups_of(&state.pool, school, pupil_id).await?;
    let (events, closed) = state.live.subscribe();
    let stream = futures_util::stream::unfold(
        (events, closed, groups),
        move |(mut events, mut closed, groups)| async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                tokio::select! {
                    received = events.recv() => match received {
                        Ok(e) if e.concerns(school.0, pupil_id, &groups) => break,
                        Ok(_) => continue,
                        // Missed some: say «changed» to be safe.
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = closed.wait_for(|c| *c) => return None,
                }
            }
            let event = Event::default().event("changed").data("diary");
            Some((Ok(event), (events, closed, groups)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    #[serde(default)]
    pupil: String,
    #[serde(default)]
    week: String,
}

/// «Ознакомлен» for a week (000 §15).
pub async fn acknowledge(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<AckForm>,
) -> AppResult<Response> {
    let today = today(&state, &member);
    let (reader, pupil) = whose(&state, &member, Some(&form.pupil), today).await?;
    let pupil_id = pupil.id;
    let week = NaiveDate::parse_from_str(&form.week, "%Y-%m-%d")
        .map_err(|_| AppError::invalid("week", "Неделя указана неверно."))?;
    let result = diary::acknowledge(
        &state.pool,
        member.school.id,
        diary::Who {
            pupil_id,
            account_id: member.viewer.account_id,
            reader,
        },
        week,
        state.clock.now(),
        today,
    )
    .await
    .map(|()| "Отмечено: с дневником за неделю ознакомлен(а).".to_string());
    let to = format!("/diary?pupil={pupil_id}&week={week}");
    flash_outcome(&member.viewer.session, &to, result).await
}

#[derive(Template, WebTemplate)]
#[template(path = "diary_marks.html")]
pub struct MarksPage {
    layout: Layout,
    head: DiaryHead,
    periods: Vec<PeriodTab>,
    period: Option<PeriodTab>,
    subjects: Vec<SubjectMarks>,
    period_over: bool,
    /// J17: the pupil's ГИА results, whatever the period.
    gia: Vec<crate::gia::ResultLine>,
}

/// The marks of a period per subject, with averages, forecasts and period marks. Kept rendered
/// while the pupil's journals and the school are unchanged (issue 16, `page_cache`).
pub async fn marks(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DiaryQuery>,
    Gzip(gzip): Gzip,
) -> AppResult<Response> {
    let today = today(&state, &member);
    let pupil_id = asked_pupil(&member, q.pupil.as_deref())?;
    let mut layout = Layout::for_member(&member, "").await?;
    let asked = q.period.as_deref().and_then(|p| p.parse::<i64>().ok());
    let args = [pupil_id, i64::from(asked.is_some()), asked.unwrap_or(0)];
    let this = Asked {
        page: "diary_marks",
        args,
        ack_week: None,
    };
    let (kept, conn) = match kept_page(&state, &member, this, today, &layout, gzip).await? {
        Kept::Served(page) => return Ok(page),
        Kept::Render { kept, conn } => (kept, conn),
    };
    // One connection for the page's reads: each acquire is a round trip setting the scope.
    let (head, mut conn) = head(&state, &member, pupil_id, today, Some(conn)).await?;
    let periods = marks::periods(&mut conn, member.school.id, &head.pupil).await?;
    let period = marks::pick(&periods, asked, today).cloned();
    let subjects = match &period {
        Some(p) => marks::subjects(&mut conn, member.school.id, &head.pupil, p).await?,
        None => Vec::new(),
    };
    let gia = crate::gia::pupil_results(&mut *conn, member.school.id, head.pupil.id).await?;
    drop(conn);
    layout.title = format!("Отметки: {}", head.pupil.full_name);
    let reader = head.reader;
    let page = MarksPage {
        gia,
        layout,
        period_over: period.as_ref().is_some_and(|p| p.span.ends_on < today),
        head,
        periods,
        period,
        subjects,
    };
    answer(&state, kept, reader, page, gzip)
}

#[derive(Template, WebTemplate)]
#[template(path = "diary_info.html")]
pub struct InfoPage {
    layout: Layout,
    head: DiaryHead,
    period: Option<PeriodTab>,
    info: ClassInfo,
}

/// The class teacher, the teachers of each subject, the control works of the period, holidays.
pub async fn info(
    State(state): State<AppState>,
    member: Member,
    Query(q): Query<DiaryQuery>,
) -> AppResult<InfoPage> {
    let today = today(&state, &member);
    let pupil_id = asked_pupil(&member, q.pupil.as_deref())?;
    let (head, mut conn) = head(&state, &member, pupil_id, today, None).await?;
    let periods = marks::periods(&mut conn, member.school.id, &head.pupil).await?;
    drop(conn);
    let period = marks::pick(&periods, None, today).cloned();
    let info = marks::class_info(
        &state.pool,
        member.school.id,
        &head.pupil,
        period.as_ref(),
        today,
    )
    .await?;
    Ok(InfoPage {
        layout: Layout::for_member(&member, "О классе").await?,
        head,
        period,
        info,
    })
}
