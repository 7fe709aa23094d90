//! The renderers this module gained from `detect` (test, coverage, drill), snapshot-tested
//! like the plan, diff and lint renderers already were, and the one Markdown fitter.

use super::*;
use crate::detect::drill::{DetectionDrill, Link, Report};

const BLUEPRINT: &str = r#"
blueprint: render-lab
region: us-east-1
trail:
  name: render-lab
  bucket: { name: render-lab-trail }
  cloudwatch_logs: { log_group: trail, retention_days: 7 }
notifications:
  soc: { name: render-lab-soc, email: [soc@example.com] }
detections:
  - { use: cis/4.3, notify: [soc] }
  - { use: soc/secret-access, notify: [soc] }
  - name: home-made
    pattern: '{ $.eventName = "GetSecretValue" }'
    notify: [soc]
    samples:
      match: ['{"eventName":"ListSecrets"}']
  - name: unproven
    pattern: '{ $.eventName = "DeleteSecret" }'
    notify: [soc]
"#;

fn model() -> crate::model::Model {
    crate::plan::tests::model(BLUEPRINT)
}

#[test]
fn test_and_coverage_reports() {
    let m = model();
    let t = crate::detect::run_tests(&m);
    // A detection with no samples proved nothing: untested, neither passed nor failed.
    assert_eq!((t.passed, t.failed, t.untested), (2, 1, 1));
    insta::assert_snapshot!("test_human", t.human());
    let c = crate::detect::coverage(&m);
    insta::assert_snapshot!("coverage_human", c.human());
    insta::assert_snapshot!("coverage_markdown", c.markdown());
}

#[test]
fn drill_reports() {
    let r = Report {
        format_version: "1",
        blueprint: "render-lab".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        drill_id: "socform-drill-0123456789ab".into(),
        wiring_only: true,
        detections: vec![
            DetectionDrill {
                name: "root-account-usage".into(),
                links: vec![
                    Link::pass("trail", "trail render-lab is logging; last delivered to trail 4 min ago"),
                    Link::skipped("log-group", "trail exists but has received no event yet"),
                    Link::fail("subscriptions", "topic render-lab-soc has no subscriber | none"),
                ],
            },
            DetectionDrill { name: "secret-accessed".into(), links: vec![Link::pass("alarm", "ok")] },
        ],
    };
    insta::assert_snapshot!("drill_human", r.human());
    insta::assert_snapshot!("drill_markdown", r.markdown());
}

#[test]
fn the_fitter_keeps_the_most_parts_that_fit_and_never_more() {
    let part = "x".repeat(10_000);
    let build = |k: usize| format!("head\n{}", part.repeat(k));
    let out = fit_markdown(20, build);
    assert_eq!(out.chars().count(), 5 + 6 * 10_000, "six parts of 10,000 fit in 65,000");
    assert_eq!(fit_markdown(3, |k| "y".repeat(k)), "yyy", "everything fits: all of it");
    assert_eq!(fit_markdown(2, |k| "z".repeat(70_000 + k)).len(), 70_000, "nothing fits: the least");
}

#[test]
fn the_review_section_says_when_nothing_needs_a_second_look() {
    let mut out = String::new();
    review_section(&mut out, &[], true);
    assert!(out.starts_with(":white_check_mark: **Security review:**"), "{out}");
}
