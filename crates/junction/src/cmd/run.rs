//! `junction run --config FILE`: checks the configuration (every error, as `junction check`
//! prints them), then runs the gateway until SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::LogFormat;
use crate::telemetry;

/// Runs the gateway; exits 1 on a bad config or a failed start-up.
pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let Some(cfg) = super::load_config(path) else {
        return Ok(ExitCode::FAILURE);
    };
    let format = match cfg.log.format {
        LogFormat::Text => telemetry::LogFormat::Text,
        LogFormat::Json => telemetry::LogFormat::Json,
    };
    telemetry::init_logging(format, &cfg.log.level).map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("junction")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(crate::app::run(cfg))?;
    Ok(ExitCode::SUCCESS)
}
