//! Helpers shared by every integration test: fresh databases per test (`backends`) and the
//! real binary as a process (`proc`).
pub mod backends;
pub mod mock_upstream;
pub mod proc;
pub mod release_server;
pub mod tls_upstream;

pub use backends::TestDb;

/// What test bodies return, so `?` works on any error (including inside `with_conn!`).
pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
