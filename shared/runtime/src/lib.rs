//! What a process runs with: every setting declared once and read into a
//! typed configuration ([`settings`], [`values`]), the adapters those
//! settings name wired into the service ([`backends`]: the one place that
//! looks at which AWS services a program was built with), and what a Lambda
//! function starts with ([`lambda`]).

pub mod backends;
mod connections;
pub mod lambda;
mod records;
pub mod settings;
pub mod values;

pub use backends::{Backends, DirectoryCache, TenantsFile, Uses};
pub use settings::{Config, Env, File, Flags, SignInConfig, Source, vars};
