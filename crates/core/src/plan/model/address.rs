//! Plan addresses (`webhook.NAME`, `monitor.ID.block.NAME`, …): written by `Display` and
//! read by `FromStr`, nowhere else.

use std::fmt;
use std::str::FromStr;

/// Where a change applies: the one place addresses are written (`Display`) and read
/// (`FromStr`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    /// `custom_variable.NAME`.
    CustomVariable(String),
    /// `webhook.NAME`.
    Webhook(String),
    /// `monitor.ID`.
    Monitor(i64),
    /// `notification_rule.NAME`: the notification rule of the block NAME.
    NotificationRule(String),
    /// `status_board.NAME`: the dashboard of the board NAME.
    StatusBoard(String),
    /// `webhook_auth_method.NAME`: the webhook auth method NAME.
    AuthMethod(String),
    /// `routing_test.NAME`: a routing test of the manifests (a failing one is a problem).
    RoutingTest(String),
    /// `notification_block.NAME`: a block of the manifests, whatever its delivery (a
    /// handle it writes that names nothing is a problem).
    Block(String),
    /// `monitor.ID.block.NAME`: one managed block of a monitor's message.
    MonitorBlock {
        /// The monitor's id.
        monitor: i64,
        /// The block's name.
        block: String,
    },
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::CustomVariable(name) => write!(f, "custom_variable.{name}"),
            Address::Webhook(name) => write!(f, "webhook.{name}"),
            Address::Monitor(id) => write!(f, "monitor.{id}"),
            Address::NotificationRule(name) => write!(f, "notification_rule.{name}"),
            Address::StatusBoard(name) => write!(f, "status_board.{name}"),
            Address::AuthMethod(name) => write!(f, "webhook_auth_method.{name}"),
            Address::RoutingTest(name) => write!(f, "routing_test.{name}"),
            Address::Block(name) => write!(f, "notification_block.{name}"),
            Address::MonitorBlock { monitor, block } => {
                write!(f, "monitor.{monitor}.block.{block}")
            }
        }
    }
}

/// An address that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a plan address; addresses are custom_variable.NAME, webhook_auth_method.NAME, webhook.NAME, notification_rule.NAME, status_board.NAME, routing_test.NAME, notification_block.NAME, monitor.ID or monitor.ID.block.NAME")]
pub struct AddressError(pub String);

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Address, AddressError> {
        let bad = || AddressError(s.to_string());
        let (kind, rest) = s.split_once('.').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        match kind {
            "custom_variable" => Ok(Address::CustomVariable(rest.to_string())),
            "webhook" => Ok(Address::Webhook(rest.to_string())),
            "notification_rule" => Ok(Address::NotificationRule(rest.to_string())),
            "status_board" => Ok(Address::StatusBoard(rest.to_string())),
            "webhook_auth_method" => Ok(Address::AuthMethod(rest.to_string())),
            "routing_test" => Ok(Address::RoutingTest(rest.to_string())),
            "notification_block" => Ok(Address::Block(rest.to_string())),
            "monitor" => match rest.split_once(".block.") {
                Some((id, block)) if !block.is_empty() => Ok(Address::MonitorBlock {
                    monitor: id.parse().map_err(|_| bad())?,
                    block: block.to_string(),
                }),
                Some(_) => Err(bad()),
                None => Ok(Address::Monitor(rest.parse().map_err(|_| bad())?)),
            },
            _ => Err(bad()),
        }
    }
}
