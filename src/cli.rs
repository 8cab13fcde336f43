//! The command line: `serve`, `demo`, `migrate`, `create-school`, `create-operator`, `bench`,
//! `backup`, `restore`, `audit verify`, `archive verify`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::audit::Actor;
use crate::config::Config;
use crate::startup::{self, Application, Database};
use crate::tenancy::service::{NewSchool, create_school};
use crate::{demo, telemetry};

#[derive(Parser)]
#[command(
    name = "zhurnal",
    version,
    about = "«Журнал»: электронный журнал и дневник для школ"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the product (with no DATABASE_URL, on its own private PostgreSQL).
    Serve,
    /// Serve with the demo schools, seeding them if the database has none.
    Demo {
        /// Schools of the region: the first demo school and N − 1 copies of it with their own
        /// names, sizes, logins (`teacher-r002`) and audit trails (issue 17; set-based).
        #[arg(long, default_value_t = 1)]
        schools: usize,
        /// Make the demo (and the region) and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Create a school and its first administrator; print the initial credentials.
    CreateSchool(SchoolArgs),
    /// Create a platform operator account; print the initial credentials.
    CreateOperator(OperatorArgs),
    /// Measure the journal's speed and memory against its targets on the demo school (run with
    /// --release), then the mail composer; fails when a target is missed.
    Bench {
        /// Requests of each kind to time.
        #[arg(long, default_value_t = 60)]
        rounds: usize,
        /// Measure only the reports (the control reports and the deputy's start page).
        #[arg(long)]
        reports_only: bool,
        /// Measure only the pages and the cell save under load (CPU per request).
        #[arg(long)]
        load_only: bool,
        /// Seconds of load for each page in the load phase.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Load only the pages whose name contains this text (e.g. «Дневник»).
        #[arg(long)]
        only: Option<String>,
    },
    /// Back up the whole database (pg_dump, with a .sha256 and a .json beside it).
    Backup {
        /// The directory to write to (default: ZHURNAL_BACKUP_DIR, or <data dir>/backups).
        #[arg(long)]
        to: Option<std::path::PathBuf>,
    },
    /// Restore a backup into an empty database (DATABASE_URL, or a new ZHURNAL_DATA_DIR).
    Restore {
        /// The .dump file (its .sha256 must be beside it).
        file: std::path::PathBuf,
    },
    /// The audit trail: `audit verify` re-computes each school's hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The year's sealed archive (regulations §6).
    #[command(subcommand)]
    Archive(ArchiveCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Re-compute the audit trail's hash chain of every school (or one) and name the first event
    /// that does not match; exits with a failure on any break.
    Verify {
        /// Only this school (its id).
        #[arg(long)]
        school: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ArchiveCommand {
    /// Check an archive's directory: every file's SHA-256 against manifest.json and the
    /// signature of manifest.sig; names each file that differs; fails on any difference.
    Verify {
        /// The archive's directory (with manifest.json and manifest.sig).
        dir: std::path::PathBuf,
        /// The school's public key as printed (hex); the manifest must be signed with it.
        #[arg(long)]
        key: Option<String>,
    },
}

#[derive(Args)]
struct SchoolArgs {
    /// Full name, e.g. "МБОУ «Средняя общеобразовательная школа № 5»".
    #[arg(long)]
    name: String,
    /// Short name, e.g. "Школа № 5".
    #[arg(long)]
    short_name: String,
    /// URL-safe identifier, e.g. "school-5".
    #[arg(long)]
    slug: String,
    /// IANA time zone of the school.
    #[arg(long, default_value = "Europe/Moscow")]
    time_zone: String,
    #[arg(long)]
    admin_last_name: String,
    #[arg(long)]
    admin_first_name: String,
    #[arg(long, default_value = "")]
    admin_middle_name: String,
    /// The administrator's login (made from the slug if not given).
    #[arg(long, default_value = "")]
    admin_login: String,
}

#[derive(Args)]
struct OperatorArgs {
    #[arg(long)]
    login: String,
    #[arg(long)]
    last_name: String,
    #[arg(long)]
    first_name: String,
}

pub fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    // Needs neither the database nor the configuration: an archive is checked anywhere.
    if let Command::Archive(ArchiveCommand::Verify { dir, key }) = &cli.command {
        return verify_archive(dir, key.as_deref());
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ошибка: не удалось запустить среду выполнения: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Every school's rows: the command line (serving's start-up, the demo, a new school, the
    // bench, the operator) works across schools; requests and workers set their own scope.
    match runtime.block_on(crate::db::scope::all_schools(run(cli.command))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ошибка: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match command {
        Command::Serve => serve(config, false).await,
        Command::Demo { schools, no_serve } => {
            if schools > 1 || no_serve {
                region(&config, schools).await?;
            }
            if no_serve {
                return Ok(());
            }
            serve(config, true).await
        }
        Command::Migrate => {
            let db = Database::open(&config).await?;
            println!("Миграции применены.");
            db.close().await;
            Ok(())
        }
        Command::CreateSchool(args) => {
            let db = Database::open(&config).await?;
            let result = create(&db, args).await;
            db.close().await;
            result
        }
        Command::Bench {
            rounds,
            reports_only,
            load_only,
            seconds,
            only,
        } => {
            let db = Database::open(&config).await?;
            let full = !reports_only && !load_only;
            let mut result = if full {
                crate::bench::journal(db.pool.clone(), config.clone(), rounds.max(1)).await
            } else {
                // The demo must be filled already (a full run has done it).
                Ok(true)
            };
            if result.is_ok()
                && full
                && let Err(e) = crate::bench::composer(&db.pool).await
            {
                result = Err(e);
            }
            if !load_only && let Ok(met) = result {
                result = crate::bench::reports(db.pool.clone(), config.clone(), rounds.max(1))
                    .await
                    .map(|reports_met| met && reports_met);
            }
            if !reports_only && let Ok(met) = result {
                result = crate::bench::load::pages(
                    db.pool.clone(),
                    config.clone(),
                    seconds.max(1),
                    only.as_deref(),
                )
                .await
                .map(|load_met| met && load_met);
            }
            if !load_only && let Ok(met) = result {
                result = crate::bench::audit_chain(&db.pool, crate::bench::CHAIN_EVENTS)
                    .await
                    .map(|chain_met| met && chain_met);
            }
            db.close().await;
            let uploads = !full || crate::bench::uploads();
            anyhow::ensure!(
                result? && uploads,
                "цель по скорости или памяти не достигнута"
            );
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { school }) => {
            let db = Database::open(&config).await?;
            let result = audit_verify(&db.pool, school, &mut std::io::stdout()).await;
            db.close().await;
            result
        }
        Command::Archive(ArchiveCommand::Verify { .. }) => unreachable!("checked in main"),
        Command::CreateOperator(args) => {
            let db = Database::open(&config).await?;
            let result = crate::accounts::service::create_operator(
                &db.pool,
                &args.login,
                &args.last_name,
                &args.first_name,
            )
            .await;
            db.close().await;
            let issued = result.map_err(describe)?;
            println!(
                "Оператор платформы создан.\nЛогин: {}\nПароль: {}",
                issued.login, issued.password
            );
            println!("Пароль нужно сменить при первом входе.");
            Ok(())
        }
        Command::Backup { to } => backup(&config, to).await,
        Command::Restore { file } => restore(&config, &file).await,
    }
}

async fn backup(config: &Config, to: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let owner = crate::backup::Owner::for_backup(config).await?;
    let dir = to.unwrap_or_else(|| config.backup_dir.clone());
    let made = async {
        let mut lock = crate::backup::lock_or_refuse(&owner.url).await?;
        let made = crate::backup::backup_now(
            &mut lock,
            &dir,
            config.backup_copy_dir.as_deref(),
            chrono::Utc::now(),
        )
        .await;
        lock.release().await;
        made
    }
    .await;
    owner.close().await;
    let made = made?;
    println!("Резервная копия сделана: {}", made.path.display());
    println!(
        "Размер: {} байт, SHA-256: {}",
        made.info.size_bytes, made.info.sha256
    );
    let heads = made.info.audit_chain_heads.as_ref();
    for head in heads.and_then(|h| h.as_array()).into_iter().flatten() {
        println!(
            "Вершина цепочки журнала изменений школы {}: событие № {}, {}",
            head["school_id"], head["seq"], head["hash"]
        );
    }
    if let Some(copy) = &made.info.copy {
        match &copy.error {
            None => println!("Копия на втором носителе проверена: {}", copy.dir),
            Some(e) => anyhow::bail!("копия на второй носитель {} не удалась: {e}", copy.dir),
        }
    }
    Ok(())
}

async fn restore(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let role = crate::backup::app_role(config)?;
    // The checksum before anything is started or touched.
    let checked = file.to_path_buf();
    tokio::task::spawn_blocking(move || crate::backup::verify(&checked)).await??;
    let owner = crate::backup::Owner::for_restore(config).await?;
    let restored = crate::backup::restore(&owner.url, &role, file).await;
    owner.close().await;
    let restored = restored?;
    let rows = usize::try_from(restored.rows).unwrap_or(usize::MAX);
    println!(
        "Восстановлено: {} {}, {} {}{}.",
        restored.tables,
        crate::input::plural(restored.tables, "таблица", "таблицы", "таблиц"),
        restored.rows,
        crate::input::plural(rows, "строка", "строки", "строк"),
        if restored.checked_against_json {
            "; число строк каждой таблицы совпадает с записанным в копии"
        } else {
            ""
        }
    );
    // The trail restored is the one backed up: each school's chain re-computed.
    let db = Database::open(config).await?;
    let verified = audit_verify(&db.pool, None, &mut std::io::stdout()).await;
    db.close().await;
    verified?;
    println!("Запустите `zhurnal serve` с теми же настройками.");
    Ok(())
}

fn verify_archive(dir: &std::path::Path, key: Option<&str>) -> ExitCode {
    let (intact, report) = crate::archive::seal::report(dir, key);
    if intact {
        print!("{report}");
        ExitCode::SUCCESS
    } else {
        eprint!("{report}");
        ExitCode::FAILURE
    }
}

fn describe(e: crate::error::AppError) -> anyhow::Error {
    match e {
        crate::error::AppError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .0
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!(other),
    }
}

async fn create(db: &Database, args: SchoolArgs) -> anyhow::Result<()> {
    let input = NewSchool {
        name: args.name,
        short_name: args.short_name,
        slug: args.slug,
        time_zone: args.time_zone,
        admin_last_name: args.admin_last_name,
        admin_first_name: args.admin_first_name,
        admin_middle_name: args.admin_middle_name,
        admin_login: args.admin_login,
    };
    let created = create_school(&db.pool, &Actor::system(), &input)
        .await
        .map_err(describe)?;
    println!("Школа создана (id {}).", created.school_id);
    println!("Администратор: {}", created.admin.full_name);
    println!(
        "Логин: {}\nПароль: {}",
        created.admin.login, created.admin.password
    );
    println!("Пароль нужно сменить при первом входе.");
    Ok(())
}

/// `zhurnal audit verify [--school ID]`: one Russian line per school written to `out`; an error
/// (`main` turns it into a non-zero exit status) when any chain is broken or the school does not
/// exist. Public so that the tests run exactly what the command runs.
pub async fn audit_verify(
    pool: &sqlx::PgPool,
    school: Option<i64>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let only = school.map(crate::tenancy::SchoolId);
    let Some(lines) = crate::audit::chain::verify_schools(pool, only).await? else {
        anyhow::bail!("школы с номером {} нет", school.unwrap_or_default());
    };
    let mut broken = 0usize;
    for line in &lines {
        writeln!(out, "{}", line.line())?;
        if !line.verdict.intact() {
            broken += 1;
        }
    }
    anyhow::ensure!(
        broken == 0,
        "цепочка журнала аудита нарушена в {broken} {} из {}",
        crate::input::plural(broken, "школе", "школах", "школах"),
        lines.len()
    );
    Ok(())
}

/// `zhurnal demo --schools N`: the demo and the region's schools, one line a school.
async fn region(config: &Config, schools: usize) -> anyhow::Result<()> {
    let db = Database::open(config).await?;
    let clock = startup::system_clock();
    let started = std::time::Instant::now();
    let made = demo::region::generate(
        &db.pool,
        &db.owner_url,
        clock.as_ref(),
        schools,
        |n, of, done| match done {
            None => println!("Школа {n} из {of} …"),
            Some(g) => println!(
                "Школа {n} из {of} готова: {} (id {}), {} {}, {:.1} с",
                demo::region::slug(n),
                g.school.0,
                g.pupils,
                crate::input::plural(
                    usize::try_from(g.pupils).unwrap_or(0),
                    "обучающийся",
                    "обучающихся",
                    "обучающихся"
                ),
                g.seconds
            ),
        },
    )
    .await;
    db.close().await;
    let made = made?;
    println!(
        "Демо готово: школ региона создано {} за {:.0} с.",
        made.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn serve(config: Config, with_demo: bool) -> anyhow::Result<()> {
    let db = Database::open(&config).await?;
    if with_demo {
        let clock = startup::system_clock();
        if let Err(e) = demo::prepare(&db.pool, &db.owner_url, clock.as_ref()).await {
            db.close().await;
            return Err(e);
        }
    }
    let state = startup::state(db.pool.clone(), config.clone(), startup::system_clock());
    let app = match Application::bind(state, config.bind).await {
        Ok(app) => app.with_backups(crate::backup::schedule::Schedule::from_config(
            &config,
            &db.owner_url,
        )),
        Err(e) => {
            db.close().await;
            return Err(e);
        }
    };
    println!("«Журнал» работает: http://{}/", app.address());
    if with_demo {
        println!("{}", demo::LOGINS_HELP);
    }
    let result = app.run_until(startup::shutdown_signal()).await;
    db.close().await;
    result
}
