//! FHIR R4 complex datatypes used by the resources in [`crate::fhir`].
//!
//! Every struct keeps unknown JSON members in `extra`, so a value read from
//! JSON and written back loses nothing.

mod coding;
mod dosage;
mod extension;
mod general;
mod meta;
mod quantity;

pub use coding::{AdministrativeGender, CodeableConcept, Coding, Reference};
pub use dosage::{AsNeeded, Dosage, Dose, DoseAndRate, Rate, Timing, TimingBounds, TimingRepeat};
pub use extension::{Element, Extension, ExtensionValue};
pub use general::{Address, ContactPoint, HumanName, Identifier, Period};
pub use meta::{Annotation, AnnotationAuthor, Attachment, Meta, Narrative};
pub use quantity::{Age, Decimal, Duration, Quantity, Range, Ratio, SimpleQuantity, UCUM};
