//! The scope parser: precedence, value groups, quotes, wildcards, every error with its
//! column, bounded nesting, and two properties — no input panics, and generated
//! expressions evaluate like a reference evaluation of the tree they were written from.

use super::*;
use proptest::prelude::*;

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

fn tag(key: &str, value: &str) -> Scope {
    Scope::Term(Term::Tag {
        key: key.to_string(),
        value: value.to_string(),
    })
}

fn word(w: &str) -> Scope {
    Scope::Term(Term::Word(w.to_string()))
}

fn not(s: Scope) -> Scope {
    Scope::Not(Box::new(s))
}

fn parsed(text: &str) -> Scope {
    Scope::parse(text).unwrap_or_else(|err| panic!("{text:?}: {err}"))
}

fn error(text: &str) -> ScopeError {
    match Scope::parse(text) {
        Ok(scope) => panic!("{text:?} parsed as {scope:?}"),
        Err(err) => err,
    }
}

#[test]
fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
    assert_eq!(
        parsed("a:1 OR b:2 AND NOT c:3"),
        Scope::Or(vec![
            tag("a", "1"),
            Scope::And(vec![tag("b", "2"), not(tag("c", "3"))])
        ])
    );
    assert_eq!(
        parsed("(a:1 OR b:2) c:3"),
        Scope::And(vec![
            Scope::Or(vec![tag("a", "1"), tag("b", "2")]),
            tag("c", "3")
        ])
    );
}

#[test]
fn adjacent_terms_are_anded_and_a_leading_dash_negates() {
    assert_eq!(
        parsed("team:checkout -env:dev  prod"),
        Scope::And(vec![
            tag("team", "checkout"),
            not(tag("env", "dev")),
            word("prod")
        ])
    );
    // A dash inside a word is part of it.
    assert_eq!(parsed("env:us-east-1"), tag("env", "us-east-1"));
    assert_eq!(
        parsed("-(a OR b)"),
        not(Scope::Or(vec![word("a"), word("b")]))
    );
}

#[test]
fn value_groups_quotes_and_the_one_wildcard() {
    assert_eq!(
        parsed("team:(a OR \"b c\")"),
        Scope::Or(vec![tag("team", "a"), tag("team", "b c")])
    );
    assert_eq!(
        parsed("team:(a AND NOT (b OR c))"),
        Scope::And(vec![
            tag("team", "a"),
            not(Scope::Or(vec![tag("team", "b"), tag("team", "c")]))
        ])
    );
    assert_eq!(
        parsed("service:*"),
        Scope::Term(Term::AnyValue {
            key: "service".to_string()
        })
    );
    assert_eq!(
        parsed(r#"k:"say \"hi\" \\o/""#),
        tag("k", r#"say "hi" \o/"#)
    );
    // Values may hold colons; operators are operators only in capitals and not before ':'.
    assert_eq!(parsed("url:http://x"), tag("url", "http://x"));
    assert_eq!(
        parsed("and or NOT:x"),
        Scope::And(vec![word("and"), word("or"), tag("NOT", "x")])
    );
}

#[test]
fn matching_is_ascii_case_insensitive_and_key_star_needs_the_key() {
    let monitor = tags(&["team:Checkout", "env:prod", "canary"]);
    assert!(parsed("TEAM:checkout").matches(&monitor));
    assert!(parsed("team:checkout AND NOT env:dev").matches(&monitor));
    assert!(!parsed("team:checkout AND NOT env:prod").matches(&monitor));
    assert!(parsed("env:*").matches(&monitor));
    assert!(!parsed("region:*").matches(&monitor));
    assert!(parsed("CANARY").matches(&monitor));
    assert!(
        !parsed("checkout").matches(&monitor),
        "a word is a whole tag"
    );
    assert!(parsed("team:(payments OR checkout)").matches(&monitor));
    assert!(
        !parsed("canary:*").matches(&monitor),
        "a bare tag has no value"
    );
}

#[test]
fn errors_say_what_was_expected_and_where() {
    assert_eq!(error("   "), ScopeError::Empty);
    assert_eq!(error("").to_string(), "empty scope");
    assert_eq!(
        error("team:a AND (env:b").to_string(),
        "unbalanced parenthesis at column 12: this '(' is never closed"
    );
    assert_eq!(
        error("team:a) OR b").to_string(),
        "unbalanced parenthesis at column 7: this ')' closes nothing"
    );
    assert_eq!(
        error("team:a AND").to_string(),
        "expected a term after AND at column 11, found the end of the scope"
    );
    assert_eq!(
        error("OR a").to_string(),
        "expected a term at column 1, found OR"
    );
    assert_eq!(
        error("a OR OR b").to_string(),
        "expected a term after OR at column 6, found OR"
    );
    assert_eq!(
        error("()").to_string(),
        "expected a term after '(' at column 2, found ')'"
    );
    assert_eq!(
        error("team:").to_string(),
        "expected a value after ':' at column 6, found the end of the scope"
    );
    assert_eq!(
        error(":x").to_string(),
        "expected a tag key before ':' at column 1, found ':'"
    );
    assert_eq!(
        error("- a").to_string(),
        "expected a term right after '-' at column 2, found ' '"
    );
    assert_eq!(
        error("k:\"open").to_string(),
        "unterminated quote at column 3"
    );
    assert_eq!(
        error("team:check*").to_string(),
        "wildcard at column 11: the only wildcard is a whole value, as in key:*"
    );
    assert!(matches!(error("*"), ScopeError::Wildcard { offset: 0, .. }));
    assert_eq!(
        error("a:b\"c\"").to_string(),
        "expected whitespace or ')' after a term at column 4, found '\"'"
    );
    // Columns count characters, offsets bytes.
    let err = error("é:a AND");
    assert_eq!(err.offset(), 8);
    assert!(err.to_string().contains("column 8"), "{err}");
}

#[test]
fn length_is_bounded_in_characters() {
    let at_limit = format!("k:{}", "é".repeat(MAX_SCOPE_CHARS - 2));
    assert!(Scope::parse(&at_limit).is_ok());
    let over = format!("{at_limit}x");
    let err = error(&over);
    assert_eq!(err.to_string(), "longer than 3000 characters (3001)");
    assert_eq!(err.offset(), over.len() - 1);
}

#[test]
fn nesting_of_any_length_is_an_error_never_a_stack_overflow() {
    let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(parsed(&nested(MAX_DEPTH)), word("a"));
    assert!(matches!(
        error(&nested(MAX_DEPTH + 1)),
        ScopeError::TooDeep { offset: 100, .. }
    ));
    let too_deep = [
        "(".repeat(1400),
        "NOT ".repeat(700),
        "-".repeat(2999),
        format!("k:{}v{}", "(".repeat(150), ")".repeat(150)),
    ];
    for text in too_deep {
        assert!(matches!(error(&text), ScopeError::TooDeep { .. }), "{text}");
    }
    assert!(matches!(
        error(&"(".repeat(1_000_000)),
        ScopeError::TooLong { .. }
    ));
}

#[test]
fn display_writes_a_normalised_form_that_parses_back() {
    let cases = [
        ("a  b", "a AND b"),
        ("-env:dev", "NOT env:dev"),
        ("team:(a OR b) c", "(team:a OR team:b) AND c"),
        ("(a AND b) AND c", "(a AND b) AND c"),
        (
            "k:\"x y\" \"AND\" \"-w\" k:*",
            "k:\"x y\" AND \"AND\" AND \"-w\" AND k:*",
        ),
        ("NOT (a OR b)", "NOT (a OR b)"),
    ];
    for (text, normal) in cases {
        let scope = parsed(text);
        assert_eq!(scope.to_string(), normal, "{text:?}");
        assert_eq!(parsed(normal), scope, "{normal:?}");
    }
}

#[test]
fn terms_lists_every_term_in_order() {
    let scope = parsed("team:a (env:b OR NOT c) k:*");
    let texts: Vec<String> = scope.terms().iter().map(|t| t.to_string()).collect();
    assert_eq!(texts, ["team:a", "env:b", "c", "k:*"]);
}

// ---------------------------------------------------------------------------------------
// Properties.

/// An expression as a test writes it: the tree, plus how each node is spelled.
#[derive(Debug, Clone)]
enum Expr {
    Tag(String, String),
    Any(String),
    Word(String),
    /// `NOT x` (false) or `-x` (true).
    Not(Box<Expr>, bool),
    /// With `AND` between items (true) or adjacent (false).
    And(Vec<Expr>, bool),
    Or(Vec<Expr>),
    /// `key:(v1 OR v2 …)`.
    Values(String, Vec<String>),
}

const KEYS: &[&str] = &["team", "env", "Priority", "svc"];
const VALUES: &[&str] = &["checkout", "p1", "us-east-1", "a b", "x:y", "AND", "-v"];
const WORDS: &[&str] = &["prod", "canary", "AND", "a b", "-w", "k:v"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(list).prop_map(str::to_string)
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (pick(KEYS), pick(VALUES)).prop_map(|(k, v)| Expr::Tag(k, v)),
        pick(KEYS).prop_map(Expr::Any),
        pick(WORDS).prop_map(Expr::Word),
        (pick(KEYS), prop::collection::vec(pick(VALUES), 1..4))
            .prop_map(|(k, vs)| Expr::Values(k, vs)),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>()).prop_map(|(e, dash)| Expr::Not(Box::new(e), dash)),
            (prop::collection::vec(inner.clone(), 2..4), any::<bool>())
                .prop_map(|(items, explicit)| Expr::And(items, explicit)),
            prop::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn value_text(value: &str) -> String {
    if value_needs_quotes(value) {
        quote(value)
    } else {
        value.to_string()
    }
}

/// Writes an expression, compound nodes in parentheses, independently of `Display`.
fn render(e: &Expr) -> String {
    match e {
        Expr::Tag(k, v) => format!("{k}:{}", value_text(v)),
        Expr::Any(k) => format!("{k}:*"),
        Expr::Word(w) => {
            let plain = !value_needs_quotes(w)
                && !w.contains(':')
                && !w.starts_with('-')
                && !["AND", "OR", "NOT"].contains(&w.as_str());
            if plain {
                w.clone()
            } else {
                quote(w)
            }
        }
        Expr::Not(inner, true) => format!("-{}", render(inner)),
        Expr::Not(inner, false) => format!("NOT {}", render(inner)),
        Expr::And(items, explicit) => {
            let sep = if *explicit { " AND " } else { " " };
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("({})", parts.join(sep))
        }
        Expr::Or(items) => {
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("({})", parts.join(" OR "))
        }
        Expr::Values(k, vs) => {
            // Inside a group, operators and a leading '-' keep their meaning: quote them.
            let group_value = |v: &String| {
                if v.starts_with('-') || ["AND", "OR", "NOT"].contains(&v.as_str()) {
                    quote(v)
                } else {
                    value_text(v)
                }
            };
            let parts: Vec<String> = vs.iter().map(group_value).collect();
            format!("{k}:({})", parts.join(" OR "))
        }
    }
}

/// The reference evaluation: the meaning of each node, written out directly.
fn eval(e: &Expr, tags: &[String]) -> bool {
    let has = |wanted: &str| {
        tags.iter()
            .any(|t| t.to_lowercase() == wanted.to_lowercase())
    };
    match e {
        Expr::Tag(k, v) => has(&format!("{k}:{v}")),
        Expr::Any(k) => tags.iter().any(|t| {
            t.split_once(':')
                .is_some_and(|(tk, _)| tk.to_lowercase() == k.to_lowercase())
        }),
        Expr::Word(w) => has(w),
        Expr::Not(inner, _) => !eval(inner, tags),
        Expr::And(items, _) => items.iter().all(|i| eval(i, tags)),
        Expr::Or(items) => items.iter().any(|i| eval(i, tags)),
        Expr::Values(k, vs) => vs.iter().any(|v| has(&format!("{k}:{v}"))),
    }
}

/// Tags drawn from the same vocabulary, in random case.
fn monitor_tags() -> impl Strategy<Value = Vec<String>> {
    let one = prop_oneof![
        (pick(KEYS), pick(VALUES)).prop_map(|(k, v)| format!("{k}:{v}")),
        pick(WORDS),
    ];
    prop::collection::vec((one, any::<bool>()), 0..6).prop_map(|tags| {
        tags.into_iter()
            .map(|(t, upper)| if upper { t.to_uppercase() } else { t })
            .collect()
    })
}

/// Text made of the scope syntax's own pieces, to reach deep into the parser.
fn scope_like() -> impl Strategy<Value = String> {
    let piece = proptest::sample::select(vec![
        "(", ")", "\"", " ", "AND", "OR", "NOT", "-", ":", "*", "a", "b:c", "\\", "é", "k:(",
    ]);
    prop::collection::vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_and_what_parses_prints_back(text in prop_oneof![any::<String>(), scope_like()]) {
        if let Ok(scope) = Scope::parse(&text) {
            let normal = scope.to_string();
            prop_assert_eq!(Scope::parse(&normal), Ok(scope), "{:?} -> {:?}", text, normal);
        }
    }

    #[test]
    fn generated_expressions_evaluate_like_the_reference(e in expr(), tags in monitor_tags()) {
        let text = render(&e);
        let scope = Scope::parse(&text);
        prop_assert!(scope.is_ok(), "{:?}: {:?}", text, scope);
        let scope = scope.unwrap_or(Scope::And(Vec::new()));
        prop_assert_eq!(scope.matches(&tags), eval(&e, &tags), "{:?} on {:?}", text, tags);
    }
}
