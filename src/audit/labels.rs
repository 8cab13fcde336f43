//! Russian words for what the audit trail records, for the pages that show it.

use std::str::FromStr;

use serde_json::Value;

/// Every recorded action and its Russian words, in the order the audit page's filter lists them.
pub const ACTIONS: &[(&str, &str)] = &[
    ("school.created", "Создана школа"),
    ("school.settings_changed", "Изменены настройки школы"),
    ("account.created", "Создана учётная запись"),
    ("account.password_reset", "Выдан новый пароль"),
    ("membership.granted", "Выдана роль"),
    ("membership.revoked", "Снята роль"),
    (
        "membership.timetable_editor",
        "Изменено право составлять расписание",
    ),
    ("academic_year.created", "Создан учебный год"),
    ("class.created", "Создан класс"),
    ("pupil.enrolled", "Зачислен обучающийся"),
    ("period_scheme.created", "Заданы учебные периоды"),
    ("period_scheme.deleted", "Удалены учебные периоды"),
    ("holiday.created", "Добавлены каникулы"),
    ("holiday.deleted", "Удалены каникулы"),
    ("bells.set", "Заданы звонки"),
    ("subject.created", "Добавлен предмет"),
    ("subject.deleted", "Удалён предмет"),
    ("room.created", "Добавлен кабинет"),
    ("room.deleted", "Удалён кабинет"),
    ("work_type.created", "Добавлен вид работы"),
    ("work_type.deleted", "Удалён вид работы"),
    (
        "work_type.defaults_added",
        "Добавлены виды работ по умолчанию",
    ),
    ("mark.given", "Выставлена отметка"),
    ("mark.corrected", "Исправлена отметка"),
    ("mark.removed", "Удалена отметка"),
    ("mark.external", "Внесена отметка из другой организации"),
    // ГИА (J17)
    ("gia_result.entered", "Внесён результат ГИА"),
    ("absence.marked", "Отмечен пропуск"),
    ("absence.removed", "Снят пропуск"),
    ("absence.reason_set", "Указана причина пропуска"),
    ("risk.marked", "Обучающийся включён в группу риска"),
    ("risk.cleared", "Обучающийся исключён из группы риска"),
    (
        "parent.paper_extract",
        "Изменена выдача выписки из дневника на бумаге",
    ),
    ("lesson.recorded", "Записаны тема и задание урока"),
    ("mark_column.added", "Добавлен столбец отметок"),
    ("mark_column.changed", "Изменён вид работы столбца"),
    ("period_mark.set", "Выставлена итоговая отметка"),
    ("period_mark.deferred", "Итоговая отметка отложена"),
    ("period_mark.corrected", "Исправлена итоговая отметка"),
    ("correction.requested", "Подана заявка на исправление"),
    ("correction.approved", "Заявка на исправление утверждена"),
    ("correction.agreed", "Исправление согласовано директором"),
    ("correction.rejected", "Заявка на исправление отклонена"),
    ("academic_year.closed", "Учебный год закрыт"),
    ("academic_year.opened_next", "Открыт следующий учебный год"),
    (
        "control_work.created",
        "Контрольная работа внесена в график",
    ),
    (
        "control_work.deleted",
        "Контрольная работа удалена из графика",
    ),
    ("credentials.issued", "Выданы реквизиты доступа"),
    ("curriculum_line.created", "Добавлена строка учебного плана"),
    ("import.pupils", "Загружены обучающиеся и родители"),
    ("import.staff", "Загружены сотрудники"),
    ("lessons.regenerated", "Пересозданы уроки по расписанию"),
    ("parent.added", "Добавлен родитель"),
    (
        "parent.pd_consent",
        "Записано согласие на обработку персональных данных",
    ),
    ("pupil.graduated", "Обучающийся выпущен"),
    ("pupil.promoted", "Обучающийся переведён в следующий класс"),
    ("pupil.transferred", "Обучающийся переведён в другой класс"),
    ("pupil.withdrawn", "Обучающийся выбыл"),
    (
        "promotion_order.recorded",
        "Записан приказ о переводе и выпуске",
    ),
    (
        "promotion_order.applied",
        "Приказ о переводе и выпуске вступил в силу",
    ),
    (
        "promotion_order.cancelled",
        "Отменён приказ о переводе и выпуске",
    ),
    ("study_group.created", "Создана учебная группа"),
    ("study_group.members_set", "Изменён состав группы"),
    ("study_group.split", "Класс разделён на подгруппы"),
    (
        "subject.grade_scale",
        "Изменена система оценивания предмета",
    ),
    ("teaching_assignment.set", "Назначена нагрузка"),
    ("theme_plan.saved", "Сохранено КТП"),
    ("timetable_slot.created", "Урок добавлен в расписание"),
    ("timetable_slot.ended", "Урок убран из расписания"),
    ("work_type.changed", "Изменён вид работы"),
    ("demo.journal_filled", "Заполнен демонстрационный журнал"),
    // Journal control (J1, J13, J15, §5)
    ("substitution.registered", "Назначена замена"),
    ("substitution.removed", "Снята замена"),
    (
        "teacher_absence.registered",
        "Зарегистрировано отсутствие учителя",
    ),
    ("teacher_absence.removed", "Снято отсутствие учителя"),
    // Breaks in the system's work (001 §6)
    (
        "system_outage.registered",
        "Зарегистрирован перерыв в работе системы",
    ),
    ("system_outage.removed", "Удалён перерыв в работе системы"),
    ("lesson.moved", "Перенесён урок"),
    (
        "lesson.carried_over",
        "Записи урока перенесены при изменении расписания",
    ),
    ("lesson.cancelled", "Отменён урок"),
    ("lesson.restored", "Восстановлен отменённый урок"),
    ("journal.unlocked", "Разблокирован журнал"),
    ("journal_remark.created", "Записано замечание к журналу"),
    ("journal_remark.fixed", "Замечание к журналу исправлено"),
    // E-mail (regulations §4)
    ("parent.notify_mode", "Изменён выбор уведомлений по почте"),
    // Internal messages (§4)
    ("message_thread.created", "Начата переписка"),
    // Compromised credentials (000 §21, 004 §5.4)
    (
        "account.credentials_compromised",
        "Учётные данные объявлены утраченными",
    ),
    (
        "period_mark.reverted",
        "Итоговая отметка возвращена к прежней",
    ),
    // The year's archive (§6)
    ("archive.started", "Начато создание архива года"),
    ("archive.made", "Создан архив года"),
];

/// «Создана учётная запись» for `account.created`; the code itself when unknown.
pub fn action(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| *label)
}

/// «учётная запись» for `account`.
pub fn subject(code: &str) -> &str {
    match code {
        "school" => "школа",
        "teacher_absence" => "отсутствие учителя",
        "system_outage" => "перерыв в работе системы",
        "account" => "учётная запись",
        "membership" => "роль",
        "academic_year" => "учебный год",
        "class" => "класс",
        "pupil" => "обучающийся",
        "promotion_order" => "приказ о переводе",
        "period_scheme" => "учебные периоды",
        "holiday" => "каникулы",
        "subject" => "предмет",
        "room" => "кабинет",
        "work_type" => "вид работы",
        "mark" => "отметка",
        "absence" => "пропуск",
        "lesson" => "урок",
        "period_mark" => "итоговая отметка",
        "gia_result" => "результат ГИА",
        "correction_request" => "заявка на исправление",
        "timetable_slot" => "урок расписания",
        "study_group" => "учебная группа",
        "curriculum_line" => "учебный план",
        "teaching_assignment" => "нагрузка",
        "theme_plan" => "КТП",
        "control_work" => "контрольная работа",
        "parent" => "родитель",
        "substitution" => "замена",
        "journal_unlock" => "разблокировка журнала",
        "journal_remark" => "замечание к журналу",
        "message_thread" => "переписка",
        other => other,
    }
}

/// The Russian name of a recorded field; `None` for ids (`pupil_id`, `seq`, …), which
/// mean nothing to a reader (the line's «Кто», the filters and the values say who and what).
fn field(key: &str) -> Option<&str> {
    if key.ends_with("_id") || key.ends_with("_ids") || ID_KEYS.contains(&key) {
        return None;
    }
    Some(match key {
        "name" => "название",
        "short_name" => "краткое название",
        "slug" => "адрес",
        "time_zone" => "часовой пояс",
        "login" => "логин",
        "last_name" => "фамилия",
        "first_name" => "имя",
        "middle_name" => "отчество",
        "email" => "почта",
        "role" => "роль",
        "account_id" => "учётная запись",
        "class_id" => "класс",
        "pupil_id" => "обучающийся",
        "academic_year_id" => "учебный год",
        "grade" => "параллель",
        "letter" => "буква",
        "starts_on" => "с",
        "ends_on" => "по",
        "birth_date" => "дата рождения",
        "sex" => "пол",
        "must_change_password" => "сменить пароль при входе",
        "kind" => "вид",
        "periods" => "периоды",
        "bells" => "звонки",
        "shift" => "смена",
        "component" => "компонент",
        "scale" => "оценивание",
        "capacity" => "вместимость",
        "weight" => "вес",
        "checking_days" => "срок проверки, дней",
        "count" => "количество",
        "teacher_id" => "учитель",
        "lesson_id" => "урок",
        "group_id" => "группа",
        "lesson_date" => "дата урока",
        "lesson_number" => "номер урока",
        "status" => "состояние",
        "until" => "до",
        "text" => "текст",
        "due_on" => "срок",
        "fixed" => "исправлено",
        "fix_note" => "что исправлено",
        "notify_mode" => "уведомления по почте",
        "paper_extract" => "выписка на бумаге",
        "value" => "значение",
        "absent" => "отсутствовал",
        "reason" => "причина",
        "late_entry" => "внесено с опозданием",
        "from_paper" => "перенесено с бумажного журнала",
        "starts_at" => "начало",
        "ends_at" => "окончание",
        "note" => "примечание",
        "covers_until" => "записи по",
        "second_medium" => "второй носитель",
        "homework_late" => "домашнее задание внесено с опозданием",
        "period_id" => "период",
        "work_type_id" => "вид работы",
        "exam" => "экзамен",
        "subject_id" => "предмет",
        "exam_date" => "дата экзамена",
        "results_on" => "результаты пришли",
        "primary_score" => "первичный балл",
        "test_score" => "тестовый балл",
        "gia_entry_days" => "результаты ГИА внести не позднее, дней после их получения",
        // Promotion orders
        "order_number" => "номер приказа",
        "order_date" => "дата приказа",
        "effective_on" => "вступает в силу",
        "promoted" => "переводятся",
        "repeating" => "остаются на повторное обучение",
        "graduated" => "выпускаются",
        "graduates" => "выпускники",
        "passed_over" => "не затронуты (выбыли из классов года)",
        "repeats" => "повторное обучение",
        "on_date" => "дата",
        "access_revoked" => "закрыто доступов",
        // The school's settings
        "entry_lock_days" => "урок закрывается для записи через, дней",
        "homework_limit_grade_1" => "домашние задания в 1 классе, минут в день",
        "homework_limit_grades_2_3" => "домашние задания во 2–3 классах, минут в день",
        "homework_limit_grades_4_5" => "домашние задания в 4–5 классах, минут в день",
        "homework_limit_grades_6_8" => "домашние задания в 6–8 классах, минут в день",
        "homework_limit_grades_9_11" => "домашние задания в 9–11 классах, минут в день",
        "mark_cutoff" => "отметки в день урока до",
        "homework_window_minutes" => "домашнее задание, минут после уроков",
        "period_mark_grace_days" => "итоговые отметки, дней после периода",
        "accumulation_min_marks_one_hour" => "минимум отметок (1 час в неделю)",
        "accumulation_min_marks_more_hours" => "минимум отметок (2 часа и больше)",
        "accumulation_grace_weeks" => "первые недели без отметок",
        "accumulation_grace_weeks_one_hour" => "первые недели без отметок (1 час в неделю)",
        "parent_inactivity_days" => "родитель не открывал дневник, дней",
        "digest_hour" => "час сводок по почте",
        "digest_weekday" => "день еженедельной сводки",
        "correction_needs_director" => "исправление итоговой отметки",
        // A period mark's correction (J6)
        "request_id" => "заявка",
        "requested_by" => "заявку подал",
        "approved_by" => "утвердил",
        "agreed_by" => "согласовал",
        // Compromised credentials (000 §21)
        "since" => "утрачены с",
        "sessions_ended" => "завершено сеансов",
        // A lesson's record and a period mark, as the list of changes shows them
        "topic" => "тема",
        "homework" => "домашнее задание",
        "homework_none" => "«Не задано»",
        "homework_minutes" => "минут на задание",
        "comment" => "комментарий",
        "deferred_until" => "отложена до",
        // Movement, classes, groups, timetable, imports, archive, backups
        "grade_from" => "из параллели",
        "grade_to" => "в параллель",
        "from" => "откуда",
        "to" => "куда",
        "on" => "дата",
        "given_on" => "дата",
        "work_date" => "дата работы",
        "valid_from" => "действует с",
        "joined" => "вошли",
        "left" => "вышли",
        "weekday" => "день недели",
        "hours" => "часов",
        "topics" => "тем",
        "subgroups" => "подгрупп",
        "pupils" => "обучающихся",
        "parents" => "родителей",
        "teachers" => "учителей",
        "accounts" => "учётных записей",
        "classes_opened" => "открыто классов",
        "created" => "создано",
        "removed" => "удалено",
        "skipped" => "пропущено",
        "records" => "записей",
        "marks" => "отметок",
        "period_marks" => "итоговых отметок",
        "lessons_held" => "проведено уроков",
        "lessons_planned" => "запланировано уроков",
        "writes" => "записей",
        "relation" => "кем приходится",
        "phone" => "телефон",
        "pd_consent" => "согласие на обработку персональных данных",
        "pd_consent_on" => "дата согласия",
        "refused_consent" => "отказались от согласия",
        "risk" => "группа риска",
        "timetable_editor" => "составляет расписание",
        "title" => "заголовок",
        "document" => "документ",
        "form" => "форма",
        "file" => "файл",
        "files" => "файлов",
        "year" => "учебный год",
        "retain_until" => "хранить до",
        "copied_to" => "копия",
        "copy_failed" => "копия не записана",
        "error" => "ошибка",
        "lessons_created" => "уроков создано",
        "lessons_removed" => "уроков удалено",
        "lessons_updated" => "уроков изменено",
        "lessons_carried_over" => "уроков перенесено",
        "lessons_left_in_place" => "уроков оставлено на месте",
        _ => "другое",
    })
}

/// Fields holding ids that do not end in `_id`.
/// (`requested_by`, `approved_by`, `agreed_by` hold people's names: they are shown.)
const ID_KEYS: &[&str] = &["g", "p", "s", "seq", "hash"];

/// A recorded code as people say it («болезнь» for an absence's `ill`); `None` when the value
/// is not one of the codes the field takes.
fn coded(key: &str, value: &str) -> Option<&'static str> {
    use crate::journal::AbsenceReason;
    match (key, value) {
        ("reason", v) => AbsenceReason::parse(v).map(AbsenceReason::label),
        ("sex", "m") => Some("мужской"),
        ("sex", "f") => Some("женский"),
        ("notify_mode", v) => crate::mail::NotifyMode::from_code(v).map(|m| m.label()),
        ("component", "federal") => Some("обязательная часть"),
        ("component", "school") => Some("часть, формируемая участниками"),
        ("time_zone", v) => crate::tenancy::service::RUSSIAN_TIME_ZONES
            .iter()
            .find(|z| **z == v)
            .map(|z| crate::tenancy::service::time_zone_label(z)),
        _ => None,
    }
    .or_else(|| crate::authz::Role::from_str(value).ok().map(|r| r.label()))
    .or_else(|| word(value))
}

/// Codes stored as values in several fields.
fn word(value: &str) -> Option<&'static str> {
    Some(match value {
        "excused" => "уважительная причина",
        "unexcused" => "неуважительная причина",
        "ill" => "болезнь",
        "five_point" => "пятибалльная",
        "pass_fail" => "зачёт/незачёт",
        "pending" => "ждёт",
        "approved" => "утверждена",
        "agreed" => "согласована",
        "rejected" => "отклонена",
        "whole" => "весь класс",
        "subgroup" => "подгруппа",
        "stream" => "поток",
        "elective" => "факультатив",
        "individual" => "индивидуальный план",
        "held" => "проведён",
        "cancelled" => "отменён",
        "moved" => "перенесён",
        "planned" => "запланирован",
        "mother" => "мать",
        "father" => "отец",
        "guardian" => "опекун",
        _ => return None,
    })
}

fn scalar(key: &str, value: &Value) -> String {
    match value {
        Value::String(s) => match coded(key, s) {
            Some(label) => label.to_string(),
            None => date_text(s).unwrap_or_else(|| s.clone()),
        },
        Value::Bool(true) => "да".into(),
        Value::Bool(false) => "нет".into(),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Object(_) => format!("({})", state(v)),
                other => scalar(key, other),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => state(value),
        Value::Null => String::new(),
        // ISO weekdays as their names.
        Value::Number(n)
            if key.ends_with("weekday") && (1..=7).contains(&n.as_u64().unwrap_or(0)) =>
        {
            crate::mail::WEEKDAYS[n.as_u64().unwrap_or(1) as usize - 1].to_string()
        }
        // «2» for 2.0, «1,5» for 1.5.
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => {
                if f.fract() == 0.0 {
                    format!("{f:.0}")
                } else {
                    f.to_string().replace('.', ",")
                }
            }
            _ => n.to_string(),
        },
    }
}

/// «05.10.2026» for `2026-10-05`; «05.10.2026 08:00 (МСК)» for a moment in time (stored in UTC).
fn date_text(s: &str) -> Option<String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.format("%d.%m.%Y").to_string());
    }
    let at = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(
        at.with_timezone(&chrono_tz::Europe::Moscow)
            .format("%d.%m.%Y %H:%M (МСК)")
            .to_string(),
    )
}

/// A recorded state as «фамилия: Ёлкина; логин: elkina.m», leaving out empty fields and ids.
pub fn state(value: &Value) -> String {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| {
                !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())
            })
            .filter_map(|(k, v)| field(k).map(|name| format!("{name}: {}", scalar(k, v))))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Null => String::new(),
        other => scalar("", other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_recorded_state_reads_in_russian() {
        let v = json!({"login": "elkina.m", "role": "teacher", "email": null, "middle_name": ""});
        assert_eq!(state(&v), "логин: elkina.m; роль: Учитель");
        assert_eq!(action("membership.granted"), "Выдана роль");
    }

    #[test]
    fn ids_codes_iso_dates_and_lists_read_as_words() {
        let v = json!({"account_id": 6, "pupil_id": 37, "reason": "ill", "seq": 3});
        assert_eq!(state(&v), "причина: болезнь");
        let v = json!({"requested_by": "Петрова Анна Ивановна", "value": "4"});
        assert_eq!(
            state(&v),
            "заявку подал: Петрова Анна Ивановна; значение: 4"
        );
        let v = state(&json!({"grade_from": 5, "grade_to": 6, "on_date": "2027-08-31"}));
        assert!(v.contains("из параллели: 5; в параллель: 6"), "{v}");
        assert!(v.contains("дата: 31.08.2027"), "{v}");
        let v = state(&json!({"starts_at": "2026-10-05T05:00:00Z", "periods": ["I", "II"]}));
        assert!(v.contains("начало: 05.10.2026 08:00 (МСК)"), "{v}");
        assert!(v.contains("периоды: I, II"), "{v}");
        assert_eq!(
            state(&json!({"time_zone": "Europe/Moscow"})),
            "часовой пояс: Москва (МСК)"
        );
        assert_eq!(state(&json!({"mystery_key": 1})), "другое: 1");
        assert_eq!(state(&json!({"weekday": 3})), "день недели: среда");
        assert_eq!(
            state(&json!({"hours": 2.0, "weight": 1.5})),
            "часов: 2; вес: 1,5"
        );
        assert_eq!(
            state(&json!({"lessons_carried_over": [], "lessons_created": 34})),
            "уроков создано: 34"
        );
    }
}

#[cfg(test)]
mod every_action {
    /// Every `Change::new("area.verb", …)` in the source has a Russian label on the audit page.
    #[test]
    fn every_recorded_action_has_a_russian_label() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("audit/labels.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    for piece in flat.split("Change::new(").skip(1) {
                        let piece = piece.trim_start();
                        if let Some(rest) = piece.strip_prefix('"')
                            && let Some(end) = rest.find('"')
                        {
                            found.push(rest[..end].to_string());
                        }
                    }
                }
            }
        }
        let mut actions = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut actions,
        );
        assert!(actions.len() > 40, "the scan finds the actions");
        let missing: Vec<&String> = actions
            .iter()
            .filter(|a| a.contains('.') && super::action(a) == a.as_str())
            .collect();
        assert!(missing.is_empty(), "no Russian label: {missing:?}");
    }
}
