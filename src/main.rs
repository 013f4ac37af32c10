//! `parlor`: parse the command line, set up logging, run the subcommand.

use clap::Parser;
use parlor::cli::{Cli, Command, UserCommand};
use parlor::startup::Application;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing();
    let settings = cli.overrides.settings()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::User(UserCommand::Add { name, admin, .. }) => {
            let id = parlor::cli::add_user(&settings, &name, admin)?;
            println!(
                "created user {name} ({id}){}",
                if admin { " as admin" } else { "" }
            );
            Ok(())
        }
    }
}

fn serve(settings: parlor::config::Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        println!("listening on http://{}", app.addr());
        let stop = app.shutdown_handle();
        actix_web::rt::spawn(async move {
            wait_for_signal().await;
            stop.shutdown().await;
        });
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("invariant: SIGTERM handler installs");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARLOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr; stdout carries the `listening on` line for scripts.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
