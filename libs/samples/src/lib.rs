//! Generated sample documents, deterministic and written at run time (never
//! committed): PDFs for the ETD tests, the `pdf` benchmark and the demo; long texts
//! (depositions, theses) for the summarizer.

pub mod pdf;
pub mod text;
