//! Tracing against rendering over random messages (proptest): the handles traced without
//! building the text are those of the rendered text.

use super::*;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// The traced handles are those of the rendered text, offsets included, even where
    /// a handle starts in one section and goes on in the next, or a `{{` is split by
    /// a section: tracing finds them without building the text.
    #[test]
    fn traced_handles_are_the_rendered_ones(
        parts in proptest::collection::vec(0usize..14, 0..24),
        to in 0usize..4,
    ) {
        const FRAGMENTS: [&str; 14] = [
            "@", "a", "-b", " ", "\n", "{", "{{x}}", "@u@e.com", "{{#is_alert}}",
            "{{/is_alert}}", "{{^is_alert}}", "{{/is_alert}}", "x@y", "\t",
        ];
        // Sections balanced: a closer without an open section is left out, and the
        // open ones are closed at the end.
        let mut message = String::new();
        let mut depth = 0;
        for &i in &parts {
            match FRAGMENTS[i] {
                "{{#is_alert}}" | "{{^is_alert}}" => depth += 1,
                "{{/is_alert}}" if depth == 0 => continue,
                "{{/is_alert}}" => depth -= 1,
                _ => {}
            }
            message.push_str(FRAGMENTS[i]);
        }
        message.push_str(&"{{/is_alert}}".repeat(depth));
        // A `{` next to a tag makes a different tag: such messages are left out.
        let traced = TracedMessage::new(&message);
        proptest::prop_assume!(traced.is_ok());
        let traced = traced.unwrap();
        let to = [MonitorState::Alert, MonitorState::Warn, MonitorState::NoData, MonitorState::Ok][to];
        let transition = Transition { from: MonitorState::Ok, to, priority: None, renotify: false };
        let rendered = render(&message, &transition).unwrap();
        let want: Vec<String> = handles(&rendered).into_iter().map(|h| h.name).collect();
        let (decided, _) = traced.sent(&transition);
        let have: Vec<String> = decided.iter().map(|h| h.name.clone()).collect();
        proptest::prop_assert_eq!(&have, &want, "message {:?}", message);
        for h in &decided {
            proptest::prop_assert_eq!(&message[h.offset..h.offset + 1], "@");
        }
    }
}
