//! The command line: `serve`, `demo`, `migrate`, `create-school`, `create-operator`, `bench`,
//! `archive verify`.

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
    Demo,
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
    },
    /// The year's sealed archive (regulations §6).
    #[command(subcommand)]
    Archive(ArchiveCommand),
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
        Command::Demo => serve(config, true).await,
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
        Command::Bench { rounds } => {
            let db = Database::open(&config).await?;
            let mut result =
                crate::bench::journal(db.pool.clone(), config.clone(), rounds.max(1)).await;
            if result.is_ok()
                && let Err(e) = crate::bench::composer(&db.pool).await
            {
                result = Err(e);
            }
            if let Ok(met) = result {
                result = crate::bench::reports(db.pool.clone(), config.clone(), rounds.max(1))
                    .await
                    .map(|reports_met| met && reports_met);
            }
            db.close().await;
            let uploads = crate::bench::uploads();
            anyhow::ensure!(
                result? && uploads,
                "цель по скорости или памяти не достигнута"
            );
            Ok(())
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
    }
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
        Ok(app) => app,
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
