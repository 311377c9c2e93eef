//! Junction adapters (placeholder until written).
