//! Role menus as data: one table, no `if`s in templates.

use serde::Serialize;

use super::Role;

#[derive(Clone, Copy, Debug, Serialize)]
pub struct MenuItem {
    pub label: &'static str,
    pub href: &'static str,
}

const fn item(label: &'static str, href: &'static str) -> MenuItem {
    MenuItem { label, href }
}

const DIRECTOR: &[MenuItem] = &[
    item("Главная", "/director"),
    item("Журналы", "/journal"),
    item("Учебный год", "/setup/years"),
    item("Готовность", "/setup/readiness"),
    item("Справочники", "/setup/catalogues"),
    item("Классы", "/classes"),
    item("Исправления отметок", "/corrections"),
    item("Замечания к журналам", "/remarks"),
    item("Отчёты", "/reports"),
    item("Пользователи", "/admin/users"),
    item("Журнал изменений", "/audit"),
    item("Настройки школы", "/admin/settings"),
    item("Сообщения", "/messages"),
    item("Утраченные учётные данные", "/compromised/declarations"),
    item("Архив года", "/archive"),
];
const DEPUTY: &[MenuItem] = &[
    item("Главная", "/deputy"),
    item("Журналы", "/journal"),
    item("Исправления отметок", "/corrections"),
    item("Учебный год", "/setup/years"),
    item("Готовность", "/setup/readiness"),
    item("Справочники", "/setup/catalogues"),
    item("Классы", "/classes"),
    item("Замены и переносы", "/deputy/lessons"),
    item("Замечания к журналам", "/remarks"),
    item("Отчёты", "/reports"),
    item("Сообщения", "/messages"),
    item("Утраченные учётные данные", "/compromised/declarations"),
    item("Архив года", "/archive"),
];
/// No journals (regulations §1: the administrator keeps accounts and lists, «no marks»).
const ADMINISTRATOR: &[MenuItem] = &[
    item("Главная", "/admin"),
    item("Учебный год", "/setup/years"),
    item("Готовность", "/setup/readiness"),
    item("Справочники", "/setup/catalogues"),
    item("Классы", "/classes"),
    item("Замены и переносы", "/deputy/lessons"),
    item("Пользователи", "/admin/users"),
    item("Журнал изменений", "/audit"),
    item("Активность", "/reports/activity"),
    item("Почта родителям", "/admin/mail"),
    item("Настройки школы", "/admin/settings"),
];
const TEACHER: &[MenuItem] = &[
    item("Главная", "/teacher"),
    item("Журналы", "/journal"),
    item("Отчёты", "/reports"),
    item("Сообщения", "/messages"),
    item("Бланки журнала", "/paper"),
];
/// Both hats: a class teacher teaches too (their start page holds the teacher's day), so the
/// teacher's items are here as well — every page of `TEACHER` but its start page, which
/// `/class-teacher` replaces.
const CLASS_TEACHER: &[MenuItem] = &[
    item("Главная", "/class-teacher"),
    item("Журналы", "/journal"),
    item("Пропуски", "/class-teacher/absences"),
    item("Родители", "/class-teacher/parents"),
    item("Отчёт за период", "/class-teacher/report"),
    item("Отчёты", "/reports"),
    item("Сообщения", "/messages"),
    item("Бланки журнала", "/paper"),
];
const PARENT: &[MenuItem] = &[
    item("Дневник", "/parent"),
    item("Отметки", "/diary/marks"),
    item("О классе", "/diary/info"),
    item("Сообщения", "/messages"),
    item("Уведомления", "/parent/notifications"),
];
const PUPIL: &[MenuItem] = &[
    item("Дневник", "/pupil"),
    item("Отметки", "/diary/marks"),
    item("О классе", "/diary/info"),
];

/// The menu of a role in a school.
pub fn for_role(role: Role) -> &'static [MenuItem] {
    match role {
        Role::Director => DIRECTOR,
        Role::Deputy => DEPUTY,
        Role::Administrator => ADMINISTRATOR,
        Role::Teacher => TEACHER,
        Role::ClassTeacher => CLASS_TEACHER,
        Role::Parent => PARENT,
        Role::Pupil => PUPIL,
    }
}

/// The platform operator's menu.
pub const OPERATOR: &[MenuItem] = &[item("Школы", "/platform")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_teachers_menu_holds_every_teachers_page_too() {
        for teacher in &TEACHER[1..] {
            assert!(
                CLASS_TEACHER.iter().any(|i| i.href == teacher.href),
                "{}",
                teacher.href
            );
        }
    }

    #[test]
    fn every_role_menu_starts_with_its_home_page() {
        for role in Role::ALL {
            assert_eq!(for_role(role)[0].href, role.home(), "{role}");
        }
    }
}
