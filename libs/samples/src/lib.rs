//! Generated sample documents, deterministic and written at run time (never
//! committed): PDFs for the ETD tests, the `pdf` benchmark and the demo; long texts
//! (depositions, theses) for the summarizer; click sessions for the recommender; the tobacco source's MariaDB table.

pub mod mariadb;
pub mod pdf;
pub mod processed;
pub mod sessions;
pub mod text;
