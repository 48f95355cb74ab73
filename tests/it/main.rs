//! The one integration-test binary (one link step instead of one per file). Each module is a
//! group of tests; `util` holds the helpers they share.
mod db;
mod util;
