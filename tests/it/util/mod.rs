//! Helpers shared by every integration test: fresh databases per test (`backends`).
pub mod backends;

pub use backends::TestDb;

/// What test bodies return, so `?` works on any error (including inside `with_conn!`).
pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
