//! The admin route table, recorded as it is registered.
//!
//! Every admin route goes through [`RouteTable::add`], which both registers it with actix and
//! remembers (method, path). [`super::route_table`] replays the same registration without
//! actix to list them, so tests can prove that every route is behind the admin key without a
//! hand-kept list that could drift.

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder};

pub struct RouteTable<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    entries: Vec<(Method, String)>,
}

impl<'a> RouteTable<'a> {
    pub fn registering(cfg: &'a mut web::ServiceConfig) -> RouteTable<'a> {
        RouteTable { cfg: Some(cfg), entries: Vec::new() }
    }

    pub fn listing() -> RouteTable<'static> {
        RouteTable { cfg: None, entries: Vec::new() }
    }

    pub fn add<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.entries.push((method.clone(), path.to_string()));
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, web::method(method).to(handler));
        }
        self
    }

    pub fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    pub fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    pub fn patch<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, handler)
    }

    pub fn delete<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::DELETE, path, handler)
    }

    pub fn into_entries(self) -> Vec<(Method, String)> {
        self.entries
    }
}
