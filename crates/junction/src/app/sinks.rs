//! The destinations' sinks as one closed enum, adapted to the dispatcher's `Sink` trait. The
//! local sinks count their own sends; the national ones are wrapped in [`MeteredSink`].

use junction_connectors::OutboundDelivery;
use junction_connectors::Sink as _;
use junction_connectors::dicom::DicomStoreSink;
use junction_connectors::fhir_http::FhirHttpSink;
use junction_connectors::file::FileSink;
use junction_connectors::metered::MeteredSink;
use junction_connectors::mllp::MllpSink;
use junction_national::eps::EpsSink;
use junction_national::ers::ErsSink;
use junction_national::mesh::MeshSink;
use junction_router::{SendOutcome, Sink};
use junction_store::Delivery;

/// Every kind of sink a destination can have.
pub enum AnySink {
    /// POST/PUT to a FHIR server.
    FhirHttp(FhirHttpSink),
    /// HL7 v2 over MLLP to a local system.
    Mllp(MllpSink),
    /// One file per delivery.
    File(FileSink),
    /// e-RS review outcomes.
    Ers(MeteredSink<ErsSink>),
    /// EPS prescriptions.
    Eps(Box<MeteredSink<EpsSink>>),
    /// A MESH mailbox.
    Mesh(MeteredSink<MeshSink>),
    /// C-STORE to a DICOM AE.
    DicomStore(DicomStoreSink),
}

impl Sink for AnySink {
    async fn send(&self, d: &Delivery) -> SendOutcome {
        let out = OutboundDelivery {
            id: d.id.0,
            destination: d.destination.clone(),
            payload: d.payload.clone(),
            message_id: d.message_id.0,
        };
        let res = match self {
            Self::FhirHttp(s) => s.send(&out).await,
            Self::Mllp(s) => s.send(&out).await,
            Self::File(s) => s.send(&out).await,
            Self::Ers(s) => s.send(&out).await,
            Self::Eps(s) => s.send(&out).await,
            Self::Mesh(s) => s.send(&out).await,
            Self::DicomStore(s) => s.send(&out).await,
        };
        match res {
            junction_connectors::SendOutcome::Delivered => SendOutcome::Delivered,
            junction_connectors::SendOutcome::Retry { error, retry_after } => {
                SendOutcome::Retry { error, retry_after }
            }
            junction_connectors::SendOutcome::Permanent { error } => {
                SendOutcome::Permanent { error }
            }
        }
    }
}
