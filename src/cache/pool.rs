//! The bb8 connection manager for Redis.
//!
//! Ours rather than bb8-redis's because that one opens connections with redis-rs's fixed
//! defaults (1 s connect, 500 ms response timeout), which would silently cap
//! `redis.timeout`. Here both come from the config.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};

pub struct RedisManager {
    client: Client,
    config: AsyncConnectionConfig,
}

impl RedisManager {
    pub fn new(url: &str, timeout: Duration) -> Result<RedisManager, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        Ok(RedisManager {
            client: Client::open(url)?,
            config,
        })
    }
}

impl bb8::ManageConnection for RedisManager {
    type Connection = MultiplexedConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<MultiplexedConnection, RedisError> {
        self.client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
    }

    async fn is_valid(&self, conn: &mut MultiplexedConnection) -> Result<(), RedisError> {
        redis::cmd("PING").query_async::<()>(conn).await
    }

    fn has_broken(&self, _conn: &mut MultiplexedConnection) -> bool {
        // A multiplexed connection reports failures per command; bb8 drops it on error paths.
        false
    }
}
