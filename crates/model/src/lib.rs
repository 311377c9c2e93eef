//! Junction common model (placeholder until written).
