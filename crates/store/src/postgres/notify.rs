//! `LISTEN/NOTIFY` wake-ups: a dedicated connection listens on the store's channel and fans the
//! destination names routing transactions notify out to subscribers.

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::error::StoreError;

/// The channel a schema's routing transactions notify (channels are database-wide, so each
/// schema has its own).
pub(crate) fn channel(schema: Option<&str>) -> String {
    match schema {
        Some(s) => format!("junction_deliveries_{s}"),
        None => "junction_deliveries".to_owned(),
    }
}

/// A live listening connection; dropping it closes the connection.
pub(crate) struct Listener {
    _client: tokio_postgres::Client,
    task: JoinHandle<()>,
}

impl Listener {
    /// Whether the connection is still up.
    pub(crate) fn alive(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects, starts forwarding notifications to `tx`, and returns once `LISTEN` has run, so
/// every routing transaction committed from then on reaches `tx`.
pub(crate) async fn listen(
    cfg: &tokio_postgres::Config,
    channel: &str,
    tx: broadcast::Sender<String>,
) -> Result<Listener, StoreError> {
    let (client, mut conn) = cfg.connect(NoTls).await?;
    let task = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    // No subscriber right now is fine: they poll on start anyway.
                    let _ = tx.send(n.payload().to_owned());
                }
                Some(Ok(_)) => {}
                // The connection is gone: `alive()` turns false and the next `subscribe`
                // reconnects.
                Some(Err(_)) | None => break,
            }
        }
    });
    // The channel name is built from a checked schema name: a plain identifier.
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    Ok(Listener {
        _client: client,
        task,
    })
}
