//! The bb8 connection manager for Redis.
//!
//! Ours rather than bb8-redis's for two reasons: that one opens connections with redis-rs's
//! fixed defaults (1 s connect, 500 ms response timeout), which would silently cap
//! `redis.timeout`; and it never reports a connection as broken, so after Redis restarts the
//! pool would keep handing out dead connections and never reconnect. Here both timeouts come
//! from the config, and a connection whose last command failed at the transport level (or
//! never finished because the caller's time box cancelled it) is dropped when it returns to
//! the pool, so the next checkout opens a fresh one.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, FromRedisValue, RedisError, RedisResult};

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

/// A pooled connection that remembers whether it can still be trusted.
pub struct RedisConn {
    conn: MultiplexedConnection,
    /// Set while a command runs and kept when it fails at the transport level; a command
    /// cancelled mid-flight therefore leaves it set too.
    poisoned: bool,
}

impl RedisConn {
    pub async fn query<T: FromRedisValue>(&mut self, cmd: &redis::Cmd) -> RedisResult<T> {
        self.poisoned = true;
        let result = cmd.query_async(&mut self.conn).await;
        self.poisoned = match &result {
            Ok(_) => false,
            Err(e) => {
                e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_unrecoverable_error()
                    || e.is_timeout()
            }
        };
        result
    }
}

impl bb8::ManageConnection for RedisManager {
    type Connection = RedisConn;
    type Error = RedisError;

    async fn connect(&self) -> Result<RedisConn, RedisError> {
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        Ok(RedisConn {
            conn,
            poisoned: false,
        })
    }

    async fn is_valid(&self, conn: &mut RedisConn) -> Result<(), RedisError> {
        conn.query::<()>(&redis::cmd("PING")).await
    }

    fn has_broken(&self, conn: &mut RedisConn) -> bool {
        conn.poisoned
    }
}
