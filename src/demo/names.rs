//! Realistic Russian names for demo pupils, chosen deterministically from a seed.

pub struct Person {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub female: bool,
}

/// Surnames in their masculine form; the feminine adds «а».
pub(super) const SURNAMES: [&str; 40] = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
];
pub(super) const BOYS: [&str; 16] = [
    "Александр",
    "Максим",
    "Иван",
    "Артём",
    "Дмитрий",
    "Михаил",
    "Даниил",
    "Кирилл",
    "Андрей",
    "Егор",
    "Никита",
    "Илья",
    "Матвей",
    "Тимофей",
    "Роман",
    "Фёдор",
];
pub(super) const GIRLS: [&str; 16] = [
    "Анастасия",
    "Мария",
    "Дарья",
    "Анна",
    "Виктория",
    "Полина",
    "Елизавета",
    "Екатерина",
    "Софья",
    "Александра",
    "Варвара",
    "Ксения",
    "Алиса",
    "Вероника",
    "Ульяна",
    "Ярослава",
];
/// Fathers' names: (masculine patronymic, feminine patronymic).
pub(super) const FATHERS: [(&str, &str); 10] = [
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Андреевич", "Андреевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Алексеевич", "Алексеевна"),
    ("Игоревич", "Игоревна"),
    ("Владимирович", "Владимировна"),
    ("Олегович", "Олеговна"),
    ("Павлович", "Павловна"),
    ("Евгеньевич", "Евгеньевна"),
];

/// The `n`-th demo pupil: the same `n` gives the same person.
pub fn pupil(n: usize) -> Person {
    let female = (n * 7 + 3).is_multiple_of(2);
    let surname = SURNAMES[(n * 13 + 5) % SURNAMES.len()];
    let (m, f) = FATHERS[(n * 3 + 1) % FATHERS.len()];
    if female {
        Person {
            last_name: format!("{surname}а"),
            first_name: GIRLS[(n * 5 + 2) % GIRLS.len()].to_string(),
            middle_name: f.to_string(),
            female,
        }
    } else {
        Person {
            last_name: surname.to_string(),
            first_name: BOYS[(n * 11 + 1) % BOYS.len()].to_string(),
            middle_name: m.to_string(),
            female,
        }
    }
}

/// Women's names for demo mothers.
pub(super) const MOTHERS: [&str; 8] = [
    "Елена",
    "Ольга",
    "Татьяна",
    "Наталья",
    "Ирина",
    "Светлана",
    "Юлия",
    "Марина",
];

/// The mother of a demo pupil: the pupil's surname in the feminine, her own name and
/// patronymic.
pub fn mother(child: &Person, n: usize) -> Person {
    let last_name = if child.female {
        child.last_name.clone()
    } else {
        format!("{}а", child.last_name)
    };
    let (_, patronymic) = FATHERS[(n * 7 + 4) % FATHERS.len()];
    Person {
        last_name,
        first_name: MOTHERS[(n * 3 + 1) % MOTHERS.len()].to_string(),
        middle_name: patronymic.to_string(),
        female: true,
    }
}
