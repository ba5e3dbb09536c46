//! The syntax layer: the pest grammar (`syntax/grammar.pest`) and a spanned AST of rule files.
//!
//! This module never imports `compile`: it knows shapes, not meanings, so it can be split out.

mod ast;
mod parse;

pub(crate) use ast::{
    Condition, Example, Expr, Field, Item, ProviderDef, RuleDef, SourceFile, Span, Statement, Value,
};
pub(crate) use parse::parse_file;
pub use parse::Rule;
