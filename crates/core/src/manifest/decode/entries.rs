//! Each kind's entry decoded: custom variables, pairs and their statuses, webhooks (headers,
//! payloads as JSON), notification blocks and their delivery, status boards, auth methods.
//! The decoder's core (`super`) walks the file and reads scalars; this is what each entry
//! holds.

use super::super::raw::{
    Delivery, RawAuthMethod, RawBlock, RawBoard, RawPair, RawSelector, RawStatuses, RawVariable,
    RawWebhook, Str,
};
use super::super::schema::{
    Keys, AUTH_METHOD_KEYS, BLOCK_KEYS, BOARD_KEYS, PAIR_KEYS, SELECTOR_KEYS, STATUS_KEYS,
    VARIABLE_KEYS, WEBHOOK_KEYS,
};
use super::super::yaml::{Node, Value};
use super::{suggestion, Decoder};

impl Decoder<'_> {
    pub(super) fn variable(&mut self, name: Str, body: &Node) -> RawVariable {
        let errors_before = self.errors;
        let what = format!("custom variable `{}`", name.raw);
        let mut var = RawVariable {
            name,
            value: None,
            secret: false,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, &VARIABLE_KEYS) {
            match key.as_str() {
                "value" => {
                    var.value = match &v.value {
                        Value::Str(raw) => Some(self.resolve_quietly(raw, v)),
                        _ => self.string(v, &format!("`value` of {what}")),
                    }
                }
                "secret" => var.secret = self.boolean(v, "`secret`").unwrap_or(false),
                _ => {}
            }
        }
        if let Some(value) = var
            .value
            .as_ref()
            .filter(|v| !var.secret && v.raw.contains("${env:"))
        {
            let pos = value.loc.pos;
            self.warn_plain_env(pos);
        }
        var.broken = self.errors > errors_before;
        var
    }

    pub(super) fn pair(&mut self, name: Str, body: &Node) -> RawPair {
        let errors_before = self.errors;
        let what = format!("webhook pair `{}`", name.raw);
        let mut pair = RawPair {
            name,
            check: None,
            host_name: None,
            tags: None,
            api_key_variable: None,
            statuses: None,
            seed_status: true,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, &PAIR_KEYS) {
            match key.as_str() {
                "check" => pair.check = self.string(v, "`check`"),
                "host_name" => pair.host_name = self.string(v, "`host_name`"),
                "tags" => pair.tags = self.strings(v, "`tags`"),
                "api_key_variable" => pair.api_key_variable = self.string(v, "`api_key_variable`"),
                "statuses" => {
                    let mut statuses = RawStatuses {
                        alert: None,
                        recovery: None,
                        warning: None,
                        no_data: None,
                        loc: self.loc(v.pos),
                    };
                    for (skey, _, sv) in self.fields(v, "`statuses`", &STATUS_KEYS) {
                        let status = self.status(sv, &skey);
                        match skey.as_str() {
                            "alert" => statuses.alert = status,
                            "recovery" => statuses.recovery = status,
                            "warning" => statuses.warning = status,
                            "no_data" => statuses.no_data = status,
                            _ => {}
                        }
                    }
                    pair.statuses = Some(statuses);
                }
                "seed_status" => {
                    pair.seed_status = self.boolean(v, "`seed_status`").unwrap_or(true);
                }
                _ => {}
            }
        }
        pair.broken = self.errors > errors_before;
        pair
    }

    fn status(&mut self, node: &Node, key: &str) -> Option<u8> {
        match node.value {
            Value::Int(n @ 0..=3) => u8::try_from(n).ok(),
            Value::Int(n) => {
                self.error(
                    node.pos,
                    format!("status `{key}: {n}` is outside 0-3"),
                    Some("check_run statuses are 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN".into()),
                );
                None
            }
            _ => {
                self.wrong_type(node, &format!("status `{key}`"), "an integer 0-3");
                None
            }
        }
    }

    pub(super) fn webhook(&mut self, name: Str, body: &Node) -> RawWebhook {
        let errors_before = self.errors;
        let what = format!("webhook `{}`", name.raw);
        let mut hook = RawWebhook {
            name,
            url: None,
            payload: None,
            payload_loc: None,
            custom_headers: None,
            encode_as: None,
            renamed_from: None,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, &WEBHOOK_KEYS) {
            match key.as_str() {
                "url" => hook.url = self.string(v, "`url`"),
                "payload" => {
                    hook.payload_loc = Some(self.loc(v.pos));
                    if v.value != Value::Null {
                        if let Some(json) = self.json(v) {
                            hook.payload = Some((json, v.clone()));
                        }
                    }
                }
                "custom_headers" => hook.custom_headers = self.headers(v),
                "encode_as" => {
                    if let Some(s) = self.string(v, "`encode_as`") {
                        match s.value.as_str() {
                            "json" => hook.encode_as = Some(crate::model::EncodeAs::Json),
                            "form" => hook.encode_as = Some(crate::model::EncodeAs::Form),
                            _ => self.error(
                                v.pos,
                                format!("`encode_as` must be `json` or `form`, not `{}`", s.raw),
                                None,
                            ),
                        }
                    }
                }
                "renamed_from" => hook.renamed_from = self.string(v, "`renamed_from`"),
                _ => {}
            }
        }
        hook.broken = self.errors > errors_before;
        hook
    }

    fn headers(&mut self, node: &Node) -> Option<Vec<(Str, Str)>> {
        let Value::Map(entries) = &node.value else {
            if node.value == Value::Null {
                return None;
            }
            self.error(
                node.pos,
                format!(
                    "`custom_headers` must be a map of header names to strings, found {}",
                    node.kind()
                ),
                Some("write it as `custom_headers: {Content-Type: application/json}`".into()),
            );
            return None;
        };
        let mut out: Vec<(Str, Str)> = Vec::new();
        let mut ok = true;
        for (k, v) in entries {
            let Some(key) = self.key(k, "`custom_headers`") else {
                ok = false;
                continue;
            };
            if let Some((first, _)) = out.iter().find(|(h, _)| h.raw.eq_ignore_ascii_case(&key)) {
                let line = first.loc.pos.line;
                self.error(
                    k.pos,
                    format!("header `{key}` appears twice in `custom_headers`"),
                    Some(format!("the first one is at line {line}")),
                );
                ok = false;
                continue;
            }
            let name = Str {
                raw: key.clone(),
                value: key.clone(),
                unresolved: false,
                loc: self.loc(k.pos),
                style: k.style,
            };
            match &v.value {
                Value::Str(s) => {
                    let value = self.resolve(s, v);
                    out.push((name, value));
                }
                _ => {
                    let hint = v
                        .scalar_text()
                        .map(|t| format!("quote it to make it a string: \"{t}\""));
                    self.error(
                        v.pos,
                        format!(
                            "`custom_headers` must be a map of strings; header `{key}` is {}",
                            v.kind()
                        ),
                        hint,
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// A YAML value as JSON, strings with `${env:…}` resolved. Iterative over an explicit
    /// stack is not needed: the tree is at most [`super::yaml::MAX_DEPTH`] deep.
    fn json(&mut self, node: &Node) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match &node.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => J::Number(n),
                None => {
                    self.error(
                        node.pos,
                        "the payload holds a number JSON cannot write (infinity or NaN)",
                        None,
                    );
                    return None;
                }
            },
            Value::Str(s) => J::String(self.resolve(s, node).value),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.json(i)?);
                }
                J::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    let key = self.key(k, "the payload")?;
                    if out.contains_key(&key) {
                        self.error(
                            k.pos,
                            format!("key `{key}` appears twice in the payload"),
                            None,
                        );
                        return None;
                    }
                    let value = self.json(v)?;
                    out.insert(key, value);
                }
                J::Object(out)
            }
        })
    }

    pub(super) fn block(&mut self, name: Str, body: &Node) -> RawBlock {
        let errors_before = self.errors;
        let what = format!("notification block `{}`", name.raw);
        let mut block = RawBlock {
            name,
            monitors: None,
            pair: None,
            notify: Vec::new(),
            text: None,
            text_key: None,
            delivery: Delivery::default(),
            always: None,
            otherwise: None,
            broken: false,
        };
        for (key, k, v) in self.fields(body, &what, &BLOCK_KEYS) {
            match key.as_str() {
                "monitors" => block.monitors = Some(self.selector(v, &SELECTOR_KEYS)),
                "pair" => block.pair = self.string(v, "`pair`"),
                "notify" => {
                    let entries = match &v.value {
                        Value::Map(entries) => entries.as_slice(),
                        Value::Null => &[],
                        _ => {
                            self.wrong_type(v, "`notify`", "a map of conditions to handles");
                            &[]
                        }
                    };
                    for (k, hv) in entries {
                        let Some(cond) = self.key(k, "`notify`") else {
                            continue;
                        };
                        let cond = Str {
                            raw: cond.clone(),
                            value: cond,
                            unresolved: false,
                            loc: self.loc(k.pos),
                            style: k.style,
                        };
                        let handles = self.handles(hv, &format!("the handles of `{}`", cond.raw));
                        block.notify.push((cond, handles));
                    }
                }
                "always" | "otherwise" => {
                    let handles = self.handles(v, &format!("`{key}`"));
                    let at = self.loc(k.pos);
                    if key == "always" {
                        block.always = Some((at, handles));
                    } else {
                        block.otherwise = Some((at, handles));
                    }
                }
                "text" => {
                    block.text_key = Some(self.loc(k.pos));
                    block.text = self.string(v, "`text`");
                }
                "delivery" => {
                    if let Some(delivery) = self.delivery(v) {
                        block.delivery = delivery;
                    }
                }
                _ => {}
            }
        }
        block.broken = self.errors > errors_before;
        block
    }

    pub(super) fn board(&mut self, name: Str, body: &Node) -> RawBoard {
        let errors_before = self.errors;
        let what = format!("status board `{}`", name.raw);
        let mut board = RawBoard {
            name,
            title: None,
            description: None,
            pairs: None,
            pairs_key: None,
            tags: None,
            broken: false,
        };
        for (key, k, v) in self.fields(body, &what, &BOARD_KEYS) {
            match key.as_str() {
                "title" => board.title = self.string(v, "`title`"),
                "description" => board.description = self.string(v, "`description`"),
                "pairs" => {
                    board.pairs_key = Some(self.loc(k.pos));
                    board.pairs = self.strings(v, "`pairs`");
                }
                "tags" => board.tags = self.strings(v, "`tags`"),
                _ => {}
            }
        }
        board.broken = self.errors > errors_before;
        board
    }

    /// Handles as a list, or as one string of them separated by spaces.
    pub(in crate::manifest) fn handles(&mut self, node: &Node, what: &str) -> Vec<Str> {
        match &node.value {
            Value::Str(_) => self
                .string(node, "handles")
                .map(|s| split_handles(&s))
                .unwrap_or_default(),
            _ => self.strings(node, what).unwrap_or_default(),
        }
    }

    pub(super) fn auth_method(&mut self, name: Str, body: &Node) -> RawAuthMethod {
        let errors_before = self.errors;
        let what = format!("webhook auth method `{}`", name.raw);
        let mut method = RawAuthMethod {
            name,
            access_token_url: None,
            client_id: None,
            client_secret: None,
            audience: None,
            scope: None,
            broken: false,
        };
        for (key, _, v) in self.fields(body, &what, &AUTH_METHOD_KEYS) {
            match key.as_str() {
                "access_token_url" => {
                    method.access_token_url = self.string(v, "`access_token_url`")
                }
                "client_id" => method.client_id = self.string(v, "`client_id`"),
                "client_secret" => {
                    // Resolved without echoing: an unresolved or literal secret is the
                    // lowering's to report, and nothing of the value is ever printed.
                    method.client_secret = match &v.value {
                        Value::Str(raw) => Some(self.resolve_quietly(raw, v)),
                        _ => self.string(v, &format!("`client_secret` of {what}")),
                    }
                }
                "audience" => method.audience = self.string(v, "`audience`"),
                "scope" => method.scope = self.string(v, "`scope`"),
                _ => {}
            }
        }
        method.broken = self.errors > errors_before;
        method
    }

    /// `delivery: message|rule`; anything else is reported with the closest spelling.
    fn delivery(&mut self, node: &Node) -> Option<Delivery> {
        let s = self.string(node, "`delivery`")?;
        let delivery = Delivery::parse(&s.value);
        if delivery.is_none() {
            self.error(
                node.pos,
                format!("`delivery` must be `message` or `rule`, not `{}`", s.raw),
                Some(suggestion(&s.value, &Delivery::NAMES, "deliveries")),
            );
        }
        delivery
    }

    /// A block's or a routing test's `monitors:`, whose keys are `keys`.
    pub(in crate::manifest) fn selector(&mut self, node: &Node, keys: &Keys) -> RawSelector {
        let mut sel = RawSelector {
            ids: Vec::new(),
            ids_key: None,
            tags: Vec::new(),
            tags_key: None,
            name: None,
            name_key: None,
            scope: None,
            scope_key: None,
            loc: self.loc(node.pos),
        };
        for (key, k, v) in self.fields(node, "`monitors`", keys) {
            let at = Some(self.loc(k.pos));
            match key.as_str() {
                "ids" => {
                    sel.ids_key = at;
                    match &v.value {
                        Value::Seq(items) => {
                            for i in items {
                                match i.value {
                                    Value::Int(id) => sel.ids.push(id),
                                    _ => self.wrong_type(i, "each monitor id", "an integer"),
                                }
                            }
                        }
                        Value::Int(id) => sel.ids.push(*id),
                        Value::Null => {}
                        _ => self.wrong_type(v, "`ids`", "a list of monitor ids"),
                    }
                }
                "tags" => {
                    sel.tags_key = at;
                    sel.tags = self.strings(v, "`tags`").unwrap_or_default();
                }
                "name" => {
                    sel.name_key = at;
                    sel.name = self.string(v, "`name`");
                }
                "scope" => {
                    sel.scope_key = at;
                    sel.scope = self.string(v, "`scope`");
                }
                _ => {}
            }
        }
        sel
    }
}

/// `"@a @b"` written as one string: each whitespace-separated word is a handle, each with
/// the string's position.
fn split_handles(s: &Str) -> Vec<Str> {
    s.value
        .split_whitespace()
        .map(|h| Str {
            raw: h.to_string(),
            value: h.to_string(),
            unresolved: s.unresolved,
            loc: s.loc,
            style: s.style,
        })
        .collect()
}
