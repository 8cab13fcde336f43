fn main() -> std::process::ExitCode {
    zhurnal::cli::main()
}
