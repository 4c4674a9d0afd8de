//! The HTTP edge: requests as API Gateway hands them to a function, who
//! calls ([`auth`]), what a request carries ([`extract`]), RFC 9457 problems
//! ([`problem`]), the API's JSON shapes ([`api`]), the review pages
//! ([`pages`], [`html`]), and what happens around every handler ([`lambda`]).

pub mod api;
pub mod auth;
pub mod extract;
pub mod gateway;
pub mod html;
pub mod lambda;
pub mod pages;
pub mod problem;

pub use problem::{Rejection, json_response, problem, respond};
