//! A user template cannot run away: a loop of 1e10 iterations ends with a clear error, quickly,
//! whether it writes (the output cap) or not (the fuel).

mod common;

use std::time::{Duration, Instant};

use bounce_report::{RenderLimits, ReportError, Templates};

fn render(source: &str, limits: Option<RenderLimits>) -> (Result<String, ReportError>, Duration) {
    let mut templates =
        Templates::with_overrides(vec![("loop.txt".into(), source.into())]).expect("it parses");
    if let Some(limits) = limits {
        templates.set_limits(limits);
    }
    let context = common::example_context();
    let start = Instant::now();
    let result = templates.render("loop.txt", &context);
    (result, start.elapsed())
}

/// 100,000 × 100,000 iterations: `range` alone refuses more than 100,000 elements.
const WRITING_LOOP: &str =
    "{% for a in range(100000) %}{% for b in range(100000) %}0123456789{% endfor %}{% endfor %}";
const SILENT_LOOP: &str =
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";

#[test]
fn a_writing_loop_stops_at_the_output_cap() {
    let limits = RenderLimits { max_output_bytes: 1 << 20, ..RenderLimits::default() };
    let (result, took) = render(WRITING_LOOP, Some(limits));
    let error = result.expect_err("1e11 bytes of output is refused");
    assert!(matches!(&error, ReportError::OutputTooLarge { limit, .. } if *limit == 1 << 20));
    assert_eq!(
        error.to_string(),
        "template `loop.txt` wrote more than 1048576 bytes; rendering stopped"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_silent_loop_runs_out_of_fuel() {
    let limits = RenderLimits { fuel: 2_000_000, ..RenderLimits::default() };
    let (result, took) = render(SILENT_LOOP, Some(limits));
    let error = result.expect_err("1e10 iterations run out of fuel");
    assert!(matches!(&error, ReportError::OutOfFuel { fuel: 2_000_000, .. }), "{error:?}");
    assert!(error.to_string().contains("ran out of fuel"), "{error}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn the_builtins_render_within_the_default_limits() {
    let templates = Templates::builtin().expect("the built-ins parse");
    for info in templates.list() {
        templates.render(&info.name, &common::example_context()).expect("a built-in renders");
    }
}
